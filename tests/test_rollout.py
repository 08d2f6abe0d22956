"""Rollout annotations: none of them lets a reader of pods confirm a proxy password.

The chart's ``checksum/config`` is a plain SHA-256 over the text of its ConfigMap, which holds
the proxy URL with its credentials when they are in the chart's values. Anyone who can read
pods could hash the template's text with a guessed password and compare. The post-renderer
takes the credentials out of the ConfigMap and recomputes ``checksum/config`` over the
ConfigMap as it emits it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pytest
from ruamel.yaml import YAML

from .chart_render import FULLNAME, NAMESPACE, RELEASE, VENDOR_FLAGS
from .conftest import FIXTURE_CHART, VENV_BIN, clean_env, tool
from .test_render_helm import POST_RENDERER, rendered
from .test_render_helm import helm_user as helm_user  # helm 4 with the post-renderer plugin

PASSWORD = "Gu3ss-Me'Not"
URL = f"http://svc-ocean:{PASSWORD}@proxy.corp:3128"
TEMPLATE = "templates/configmap.yaml"


def helm3(*flags: str) -> subprocess.CompletedProcess:
    env = clean_env(PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin")
    done = subprocess.run([tool("helm3"), "template", RELEASE, FIXTURE_CHART, "--namespace",
                           NAMESPACE, *VENDOR_FLAGS, *flags], capture_output=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done


def configmap_text(proxy_url: str) -> str:
    """The ConfigMap template's text as ``include ... | sha256sum`` sees it."""
    shown = helm3("--set-string", f"spotinst.proxyUrl={proxy_url}", "--show-only", TEMPLATE)
    text = shown.stdout.decode()
    return text.split("\n", 2)[2]  # without helm's '---' and '# Source:' lines


def annotations(stream: bytes) -> dict[str, str]:
    docs = [d for d in YAML(typ="safe").load_all(stream) if d]
    deployment = next(d for d in docs if d["kind"] == "Deployment"
                      and d["metadata"]["name"] == FULLNAME)
    return deployment["spec"]["template"]["metadata"]["annotations"]


def post_rendered(*extra: str) -> subprocess.CompletedProcess:
    return helm3("--set-string", f"spotinst.proxyUrl={URL}",
                 "--post-renderer", "ocean-proxy-post-renderer", *extra)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_chart_alone_lets_a_password_guess_be_confirmed():
    """The oracle the post-renderer removes: hashing the template text with the right guess
    gives the chart's own annotation."""
    plain = helm3("--set-string", f"spotinst.proxyUrl={URL}")
    assert annotations(plain.stdout)["checksum/config"] == sha256(configmap_text(URL))


@pytest.mark.parametrize("guess", [PASSWORD, "wrong-guess"])
def test_no_annotation_confirms_a_password_guess(guess):
    out = post_rendered()
    hashed = {sha256(configmap_text(URL.replace(PASSWORD, guess))),
              sha256(guess), sha256(f"svc-ocean:{guess}"), sha256(URL.replace(PASSWORD, guess))}
    found = annotations(out.stdout)
    assert not hashed & set(found.values()), found
    assert PASSWORD.encode() not in out.stdout


def test_a_url_written_without_its_scheme_confirms_no_guess_either():
    """Go reads 'user:password@host:port' as http://, and so does ocean-proxy, which takes
    the credentials out of the ConfigMap; the chart's checksum/config over the text that held
    them stayed, and confirmed the right guess."""
    bare = URL.removeprefix("http://")
    out = helm3("--set-string", f"spotinst.proxyUrl={bare}",
                "--post-renderer", "ocean-proxy-post-renderer")
    found = annotations(out.stdout)
    assert found["checksum/config"] != sha256(configmap_text(bare))
    assert PASSWORD.encode() not in out.stdout


def test_checksum_config_covers_the_configmap_as_emitted():
    out = post_rendered()
    docs = [d for d in YAML(typ="safe").load_all(out.stdout) if d]
    configmap = next(d for d in docs if d["kind"] == "ConfigMap"
                     and d["metadata"]["name"] == FULLNAME)
    assert configmap["data"]["proxy-url"] == ""  # blank, as the chart's values leave it
    canonical = json.dumps(configmap, sort_keys=True, separators=(",", ":"), default=str)
    assert annotations(out.stdout)["checksum/config"] == sha256(canonical)


def test_checksum_config_follows_the_configmap_and_not_the_password():
    before = annotations(post_rendered().stdout)["checksum/config"]
    other_password = annotations(helm3(
        "--set-string", f"spotinst.proxyUrl={URL.replace(PASSWORD, 'another-one')}",
        "--post-renderer", "ocean-proxy-post-renderer").stdout)["checksum/config"]
    other_config = annotations(post_rendered(
        "--set", "spotinst.baseUrl=https://api.other.example").stdout)["checksum/config"]
    assert other_password == before  # the password restarts pods through checksum/proxy
    assert other_config != before


def test_the_replacement_is_explained_and_a_second_post_render_keeps_it():
    chart_output = helm3("--set-string", f"spotinst.proxyUrl={URL}").stdout
    first = subprocess.run([VENV_BIN / "ocean-proxy-post-renderer", "--explain"],
                           input=chart_output, capture_output=True, env=clean_env(), timeout=60)
    assert first.returncode == 0, first.stderr.decode()
    explained = [line for line in first.stderr.decode().splitlines() if "checksum/config" in line]
    assert explained and "password" in " ".join(explained), first.stderr.decode()
    assert PASSWORD not in first.stderr.decode()
    again = subprocess.run([VENV_BIN / "ocean-proxy-post-renderer"], input=first.stdout,
                           capture_output=True, env=clean_env(), timeout=60)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout == first.stdout


_COUNT_SCRYPT = """
import hashlib, sys
calls = []
real = hashlib.scrypt
hashlib.scrypt = lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
from post_renderer.cli import main
code = main(["render", "--no-cache"])
sys.stderr.write(f"scrypt calls: {len(calls)}\\n")
sys.exit(code)
"""


SPOT_TOKEN = "6f1c0e4b9a7d2e3f5a8b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a2b5c8d1e4f"


def scrypt_calls_and_annotation(*flags: str) -> tuple[int, str]:
    rendered = helm3("--set-string", f"spotinst.proxyUrl={URL}", *flags).stdout
    done = subprocess.run([str(VENV_BIN / "python"), "-c", _COUNT_SCRYPT], input=rendered,
                          capture_output=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    calls = int(done.stderr.decode().rsplit("scrypt calls: ", 1)[1])
    return calls, re.search(r"checksum/proxy: (\w+)", done.stdout.decode()).group(1)


def test_a_proxy_password_costs_one_scrypt_per_run_however_many_ask():
    """Without a Spot token in a Secret to key it, checksum/proxy stretches the password with
    scrypt, the slowest step of a render: the controller, the auto-update Job's overlay and
    the lints all want it, and the password is stretched once."""
    assert scrypt_calls_and_annotation()[0] == 1  # the vendor flags' token is a stand-in


def test_with_the_spot_token_in_its_secret_no_scrypt_runs_and_the_password_still_counts():
    calls, keyed = scrypt_calls_and_annotation("--set", f"spotinst.token={SPOT_TOKEN}")
    assert calls == 0
    _, other_password = scrypt_calls_and_annotation(
        "--set", f"spotinst.token={SPOT_TOKEN}",
        "--set-string", f"spotinst.proxyUrl={URL.replace(PASSWORD, 'An0ther')}")
    _, other_token = scrypt_calls_and_annotation("--set", f"spotinst.token={SPOT_TOKEN[::-1]}")
    assert len({keyed, other_password, other_token}) == 3


# -- the auto-update Job the controller holds --------------------------------------------------
# The controller reads the Job from env AUTO_UPDATE_JOB_SPEC, which the kubelet resolves from
# the ConfigMap when the container starts: a Job text that changes while the pod template does
# not reaches no running controller, and the next auto-update runs the old Job.

def controller_and_job(run) -> tuple[dict, str]:
    out = rendered(run)
    return out.pod(), out.config()["auto-update.job"]


@pytest.mark.parametrize("proxy", ["http://proxy.corp:3128", None], ids=["proxy", "ca-only"])
def test_a_changed_auto_update_job_restarts_the_controller_that_holds_it(
        helm_user, ca_file, proxy):
    """A proxy without a password (or a transparent one: the CA alone), and the auto-update
    policy changed from 'keep' to the default 'inject' and back: each change of the Job the
    ConfigMap gives the controller changes its pod template, and the same settings twice
    change neither."""
    settings = ("--set", f"spotinst.proxyUrl={proxy}") if proxy else ()
    flags = (*VENDOR_FLAGS, *settings, "--set", "caBundleSecret.create=true",
             "--set-file", f"caBundleSecret.data={ca_file}", *POST_RENDERER)
    policy = ("--post-renderer-args", "--auto-update=keep")

    kept = controller_and_job(helm_user.template(*flags, *policy))
    injected = controller_and_job(helm_user.template(*flags))
    again = controller_and_job(helm_user.template(*flags))

    assert "OCEAN_PROXY_ARGS" in injected[1] and "OCEAN_PROXY_ARGS" not in kept[1]
    assert injected[0]["spec"]["containers"] == kept[0]["spec"]["containers"]
    assert injected[0]["metadata"] != kept[0]["metadata"]
    assert again == injected


@pytest.mark.parametrize("proxy", ["http://proxy.corp:3128", None], ids=["proxy", "ca-only"])
def test_the_charts_checksum_config_is_kept_where_the_configmap_is_not_changed(
        helm_user, ca_file, proxy):
    """A proxy without a password (or the CA alone) and --auto-update=keep: ocean-proxy
    changes nothing in the ConfigMap, so the pods keep the chart's own checksum/config, and
    --explain gives no reason for a change it did not need (a password hidden, a Job
    edited)."""
    settings = ("--set", f"spotinst.proxyUrl={proxy}") if proxy else ()
    flags = (*VENDOR_FLAGS, *settings, "--set", "caBundleSecret.create=true",
             "--set-file", f"caBundleSecret.data={ca_file}")
    chart_alone = rendered(helm_user.template(*flags)).pod()

    run = helm_user.template(*flags, *POST_RENDERER, "--post-renderer-args",
                             "--auto-update=keep", "--post-renderer-args", "--explain")

    kept = rendered(run).pod()
    assert kept["metadata"]["annotations"]["checksum/config"] == \
        chart_alone["metadata"]["annotations"]["checksum/config"]
    assert "checksum/config" not in run.stderr, run.stderr
