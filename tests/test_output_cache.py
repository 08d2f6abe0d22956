"""The output cache: a replayed run writes and says exactly what a fresh one does, any change
to what a run reads is a miss, and the cache never holds a secret in clear."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from post_renderer import cli, output_cache
from post_renderer.arguments import build_post_renderer_parser
from post_renderer.commands import render as render_command

from . import certs
from .chart_render import NAMESPACE, PROXY_FLAGS, RELEASE, VENDOR_FLAGS
from .conftest import (
    FIXTURE_CHART,
    VENV_BIN,
    clean_env,
    helm_template,
    post_renderer,
    run_command,
    tool,
)

PASSWORD = "Tr0ub4dor-and-3"
PROXY_WITH_CREDENTIALS = f"http://ops:{PASSWORD}@proxy.corp:3128"
CA = certs.root("Output Cache Root CA")
OTHER_CA = certs.root("Other Output Cache Root CA")


@pytest.fixture(scope="module")
def vendor_render(tmp_path_factory) -> bytes:
    return helm_template(tmp_path_factory.mktemp("vendor") / "helm-home", *PROXY_FLAGS)


@pytest.fixture(scope="module")
def chart_ca_render(tmp_path_factory) -> bytes:
    """Zero config: the proxy and the CA come from the chart's values."""
    folder = tmp_path_factory.mktemp("chart-ca")
    (folder / "ca.pem").write_bytes(CA.pem)
    return helm_template(folder / "helm-home", *PROXY_FLAGS, "--set", "caBundleSecret.create=true",
                         "--set-file", f"caBundleSecret.data={folder / 'ca.pem'}")


def entries(cache: Path) -> list[Path]:
    folder = cache / "outputs"
    return sorted(folder.iterdir()) if folder.exists() else []


def cold_warm_off(cache: Path, *args: str | Path, stdin: bytes, **env: str):
    """The same run with an empty cache, with the cache it filled, and with it turned off."""
    cached = clean_env(OCEAN_PROXY_CACHE_DIR=str(cache), **env)
    cold = post_renderer(*args, stdin=stdin, env=cached)
    warm = post_renderer(*args, stdin=stdin, env=cached)
    flag = post_renderer(*args, "--no-cache", stdin=stdin, env=cached)
    variable = post_renderer(*args, stdin=stdin, env={**cached, "OCEAN_PROXY_NO_CACHE": "1"})
    return cold, warm, flag, variable


CASES = {
    "chart values with a CA": ("chart", ()),
    "flags with credentials and a CA file": ("vendor", ("--proxy-url", PROXY_WITH_CREDENTIALS,
                                                        "--ca-file", "{ca}")),
    "pass-through": ("none", ()),
    "explain": ("chart", ("--explain", "--proxy-url", PROXY_WITH_CREDENTIALS)),
    "plan": ("vendor", ("--plan", "--ca-file", "{ca}", "--no-proxy", ".corp.example")),
}


def stream(kind: str, vendor_render: bytes, chart_ca_render: bytes) -> bytes:
    if kind == "none":
        return b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n"
    return chart_ca_render if kind == "chart" else vendor_render


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hit_writes_and_says_what_a_fresh_run_does(case, vendor_render, chart_ca_render,
                                                     tmp_path):
    kind, flags = CASES[case]
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    args = [flag.format(ca=tmp_path / "ca.pem") for flag in flags]
    runs = cold_warm_off(tmp_path / "cache", *args,
                         stdin=stream(kind, vendor_render, chart_ca_render))
    assert runs[0].returncode == 0, runs[0].stderr
    assert len({(run.returncode, run.stdout, run.stderr) for run in runs}) == 1
    assert len(entries(tmp_path / "cache")) == 1  # the cold run stored, the others did not


def test_a_warm_hit_imports_no_ruamel_cryptography_typing_or_openssl(vendor_render,
                                                                       tmp_path):
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    argv = [sys.executable, "-X", "importtime", str(VENV_BIN / "ocean-proxy-post-renderer"),
            "--proxy-url", PROXY_WITH_CREDENTIALS, "--ca-file", str(tmp_path / "ca.pem")]
    heavy = ("ruamel", "cryptography", "typing", "_hashlib", "post_renderer.render.pipeline")
    cold = set(heavy) - {"cryptography"}  # an ordinary CA is read without it (x509_der)
    for run in ("cold", "warm"):
        done = subprocess.run(argv, input=vendor_render, capture_output=True, env=env,
                              check=True)
        imports = [line for line in done.stderr.decode().splitlines() if "import time" in line]
        imported = {name for name in heavy if any(name in line for line in imports)}
        assert imported == (cold if run == "cold" else set()), run


@pytest.mark.parametrize("switches", [[], ["--no-cache"]], ids=["as-helm-runs-it", "switch"])
def test_a_run_without_arguments_or_with_switches_does_not_import_argparse(
        switches, vendor_render, tmp_path):
    """Helm passes no arguments (the settings come from the environment), CI may add a switch:
    argparse (with gettext and locale) is not needed to read either."""
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"),
                    OCEAN_PROXY_URL=PROXY_WITH_CREDENTIALS,
                    OCEAN_PROXY_CA_FILE=str(tmp_path / "ca.pem"))
    argv = [sys.executable, "-X", "importtime", str(VENV_BIN / "ocean-proxy-post-renderer"),
            *switches]
    runs = [subprocess.run(argv, input=vendor_render, capture_output=True, env=env, check=True)
            for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and b"HTTPS_PROXY" in runs[1].stdout
    for run in runs:
        imported = [line.rpartition("|")[2].strip() for line in run.stderr.decode().splitlines()
                    if line.startswith("import time:")]
        assert "post_renderer.cli" in imported and "argparse" not in imported


def changed_run(tmp_path: Path, vendor_render: bytes, change: str):
    """A warm run after ``change``, and the same run without the cache."""
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    (tmp_path / "config-ca.pem").write_bytes(CA.pem)
    (tmp_path / "ocean-proxy.yaml").write_text("caFiles: [config-ca.pem]\n")
    args = ["--config", str(tmp_path / "ocean-proxy.yaml")]
    env = {"OCEAN_PROXY_CACHE_DIR": str(tmp_path / "cache"), "OCEAN_PROXY_NO_PROXY": ".a.example"}
    before = post_renderer(*args, stdin=vendor_render, env=clean_env(**env))
    assert before.returncode == 0, before.stderr
    stdin = vendor_render
    if change == "config file":
        (tmp_path / "ocean-proxy.yaml").write_text(
            "caFiles: [config-ca.pem]\nnoProxy: [.b.example]\n")
        env.pop("OCEAN_PROXY_NO_PROXY")
    elif change == "CA file named by the config file":
        (tmp_path / "config-ca.pem").write_bytes(OTHER_CA.pem)
    elif change == "CA file named by a flag":
        args += ["--ca-file", str(tmp_path / "ca.pem")]
        post_renderer(*args, stdin=vendor_render, env=clean_env(**env))
        (tmp_path / "ca.pem").write_bytes(OTHER_CA.pem)
    elif change == "environment variable":
        env["OCEAN_PROXY_NO_PROXY"] = ".c.example"
    elif change == "input byte":
        stdin = vendor_render.replace(b"cluster-1", b"cluster-2")
    warm = post_renderer(*args, stdin=stdin, env=clean_env(**env))
    fresh = post_renderer(*args, "--no-cache", stdin=stdin, env=clean_env(**env))
    return before, warm, fresh


@pytest.mark.parametrize("change", ["config file", "CA file named by the config file",
                                    "CA file named by a flag", "environment variable",
                                    "input byte"])
def test_a_change_to_anything_the_run_reads_is_a_miss(change, vendor_render, tmp_path):
    before, warm, fresh = changed_run(tmp_path, vendor_render, change)
    assert (warm.returncode, warm.stdout, warm.stderr) == \
        (fresh.returncode, fresh.stdout, fresh.stderr)
    assert warm.stdout != before.stdout


def in_process(argv: list[str], capfd) -> tuple[int, bytes, str]:
    code = cli.main(argv, build_post_renderer_parser)
    out, err = capfd.readouterr()
    return code, out.encode(), err


def test_a_run_after_the_first_verdict_change_misses(vendor_render, tmp_path, monkeypatch,
                                                     capfd):
    """The CA enters its last 30 days ten days from now: from then on a replay would miss
    the warning, so the cache must render again."""
    soon = certs.root("Forty Days CA", not_after=certs.NOW + 40 * certs.DAY)
    (tmp_path / "ca.pem").write_bytes(soon.pem)
    (tmp_path / "in.yaml").write_bytes(vendor_render)
    for name in [name for name in os.environ if name.startswith("OCEAN_PROXY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OCEAN_PROXY_MESSAGES", "stderr")
    monkeypatch.setenv("OCEAN_PROXY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OCEAN_PROXY_CACHE_KEY_FILE", str(tmp_path / "cache.key"))
    renders = []
    real_render = render_command.render
    monkeypatch.setattr(render_command, "render",
                        lambda *args: renders.append(1) or real_render(*args))
    argv = ["-f", str(tmp_path / "in.yaml"), "--ca-file", str(tmp_path / "ca.pem")]
    first = in_process(argv, capfd)
    assert in_process(argv, capfd) == first and len(renders) == 1
    later = (soon.cert.not_valid_after_utc - 30 * certs.DAY).timestamp() + 60
    monkeypatch.setattr(output_cache, "now", lambda: later)
    code, out, err = in_process(argv, capfd)
    assert len(renders) == 2 and code == 0 and out == first[1]
    assert "in under 30 days" in err and "in under 30 days" not in first[2]
    monkeypatch.setattr(output_cache, "now", lambda: later - 20 * 86400)  # before valid_from
    in_process(argv, capfd)
    assert len(renders) == 3


def test_the_cache_holds_neither_the_password_nor_the_ca(chart_ca_render, tmp_path):
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    cache = tmp_path / "cache"
    run = post_renderer("--proxy-url", PROXY_WITH_CREDENTIALS, "--ca-file", tmp_path / "ca.pem",
                        stdin=chart_ca_render, env=clean_env(OCEAN_PROXY_CACHE_DIR=str(cache)))
    assert run.returncode == 0, run.stderr
    secrets = [PASSWORD.encode(), base64.b64encode(PROXY_WITH_CREDENTIALS.encode()),
               *(base64.b64encode(b"x" * pad + PASSWORD.encode())[4:-4] for pad in range(3)),
               CA.pem, *CA.pem.splitlines()[1:-1], base64.b64encode(CA.pem)[:40]]
    stored = b"".join(path.read_bytes() for path in cache.rglob("*") if path.is_file())
    assert stored and not [secret for secret in secrets if secret in stored]
    assert (cache / "outputs").stat().st_mode & 0o777 == 0o700
    assert {path.stat().st_mode & 0o777 for path in entries(cache)} == {0o600}


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "another entry's"])
def test_a_damaged_entry_is_a_miss(damage, vendor_render, tmp_path):
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    args = ("--proxy-url", PROXY_WITH_CREDENTIALS, "--ca-file", tmp_path / "ca.pem")
    fresh = post_renderer(*args, stdin=vendor_render, env=env)
    post_renderer("--plan", stdin=vendor_render, env=env)
    mine, other = sorted(entries(tmp_path / "cache"), key=lambda p: p.stat().st_size)[::-1]
    data = mine.read_bytes()
    mine.write_bytes({"flip a byte": data[:500] + bytes([data[500] ^ 1]) + data[501:],
                      "truncate": data[:-7], "empty": b"",
                      "another entry's": other.read_bytes()}[damage])
    again = post_renderer(*args, stdin=vendor_render, env=env)
    assert (again.returncode, again.stdout, again.stderr) == \
        (fresh.returncode, fresh.stdout, fresh.stderr)
    assert mine.read_bytes() != data  # stored again (under a new nonce)


def test_a_refused_bundle_is_not_cached(vendor_render, tmp_path):
    (tmp_path / "leaf.pem").write_bytes(certs.leaf(CA).pem)
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    runs = [post_renderer("--ca-file", tmp_path / "leaf.pem", stdin=vendor_render, env=env)
            for _ in range(2)]
    assert runs[0].returncode == 1 and "not a CA" in runs[0].stderr
    assert runs[0] == runs[1] and entries(tmp_path / "cache") == []


def test_a_read_only_or_unusable_cache_only_renders(vendor_render, tmp_path):
    (tmp_path / "cache").write_text("a file where the directory would be")
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    runs = [post_renderer("--plan", stdin=vendor_render, env=env) for _ in range(2)]
    assert runs[0].returncode == 0 and runs[0] == runs[1]


def test_a_ca_file_that_is_a_pipe_is_read_once_and_not_cached(vendor_render, tmp_path):
    env = clean_env(OCEAN_PROXY_CACHE_DIR=str(tmp_path / "cache"))
    script = (f"exec {VENV_BIN / 'ocean-proxy-post-renderer'} --ca-file <(cat ca.pem) "
              "< in.yaml")
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    (tmp_path / "in.yaml").write_bytes(vendor_render)
    run = run_command(["bash", "-c", script], env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert entries(tmp_path / "cache") == []


def test_the_cache_keeps_only_recent_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(output_cache, "MAX_ENTRIES", 3)
    cache = output_cache.OutputCache(str(tmp_path / "outputs"))
    for number in range(5):
        cache.store(bytes([number]) * 32, output_cache.Entry(b"out", (), 0.0, None))
        written = tmp_path / "outputs" / output_cache._name(cache._keyed(bytes([number]) * 32))
        os.utime(written, (time.time() - 100 + number,) * 2)  # the first, oldest
    cache.store(b"k" * 32, output_cache.Entry(b"out", (), 0.0, None))
    assert len(entries(tmp_path)) == 3
    assert cache.load(b"k" * 32) is not None and cache.load(bytes([0]) * 32) is None


def test_an_output_over_the_limit_is_not_kept(tmp_path):
    cache = output_cache.OutputCache(str(tmp_path / "outputs"))
    big = b"x" * (output_cache.MAX_OUTPUT_BYTES + 1)
    cache.store(b"k" * 32, output_cache.Entry(big, (), 0.0, None))
    assert cache.load(b"k" * 32) is None


def test_helm_post_renderer_output_is_the_same_cold_and_warm(tmp_path):
    (tmp_path / "ca.pem").write_bytes(CA.pem)
    home = tmp_path / "helm-home"
    env = clean_env(HELM_DATA_HOME=str(home), HELM_CONFIG_HOME=str(home),
                    HELM_CACHE_HOME=str(home))
    env.pop("OCEAN_PROXY_CACHE_DIR")  # helm's cache directory, as users get it
    argv = [tool("helm3"), "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
            *VENDOR_FLAGS, "--post-renderer", VENV_BIN / "ocean-proxy-post-renderer",
            "--post-renderer-args", f"--proxy-url={PROXY_WITH_CREDENTIALS}",
            "--post-renderer-args", f"--ca-file={tmp_path / 'ca.pem'}"]
    cold, warm = (run_command(argv, env=env) for _ in range(2))
    assert cold.returncode == 0, cold.stderr
    assert (cold.returncode, cold.stdout, cold.stderr) == (warm.returncode, warm.stdout,
                                                          warm.stderr)
    assert len(entries(home / "ocean-proxy")) == 1


def test_a_copy_of_the_cache_without_this_users_secret_is_useless(vendor_render, tmp_path):
    """A CI cache of ~/.cache carries the entries but not the secret in helm's config dir:
    with another secret nothing is found, and nothing stored can test a password guess."""
    cache = tmp_path / "cache"
    mine = clean_env(OCEAN_PROXY_CACHE_DIR=str(cache),
                     OCEAN_PROXY_CACHE_KEY_FILE=str(tmp_path / "mine.key"))
    args = ("--proxy-url", PROXY_WITH_CREDENTIALS)
    first = post_renderer(*args, stdin=vendor_render, env=mine)
    assert first.returncode == 0 and len(entries(cache)) == 1
    assert (tmp_path / "mine.key").stat().st_mode & 0o777 == 0o600
    before = {path.name: path.read_bytes() for path in entries(cache)}
    theirs = dict(mine, OCEAN_PROXY_CACHE_KEY_FILE=str(tmp_path / "theirs.key"))
    again = post_renderer(*args, stdin=vendor_render, env=theirs)
    assert again.stdout == first.stdout
    after = {path.name: path.read_bytes() for path in entries(cache)}
    assert len(after) == 2 and set(before) < set(after)  # a miss: rendered and stored anew
    (tmp_path / "unreadable").mkdir()
    nowhere = dict(mine, OCEAN_PROXY_CACHE_KEY_FILE=str(tmp_path / "unreadable"))
    third = post_renderer(*args, stdin=vendor_render, env=nowhere)
    assert third.stdout == first.stdout and len(entries(cache)) == 2  # no secret: no cache
