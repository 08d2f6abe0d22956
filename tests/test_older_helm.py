"""What users of other helm releases get, with the real binaries (README, "Which helm
versions"): 3.4.2, the oldest any registry package carries (built with Go 1.14), 3.8.1, the last
without ``--post-renderer-args``, and 3.9.4, the first release here with it; 3.19.0, the newest
helm 3 a registry package carries, and the Helm 4 releases before 4.3, 4.1.4 and 4.2.3.

- Without ``--post-renderer-args`` helm itself refuses the flag, before any post-renderer runs;
  ocean-proxy's settings reach it by its ``OCEAN_PROXY_*`` variables or a config file, and
  the release is the one ``--post-renderer-args`` gives on a helm that has it.
- The auto-update Job's helm may be built with a Go before 1.16, which reads ``SSL_CERT_DIR``
  as one directory (the Job's post-renderer alone: tests/job_renderer/, on 3.4.2; the
  whole auto-update, three times over: tests/test_auto_update.py, on 3.8.1).
- Helm 3.19 and Helm 4.1 and 4.2, set up as the README says (Helm 4: the post-renderer plugin
  from its signed tarball, verified), render the release helm 3.17 and Helm 4.3 render, with
  ocean-proxy's notices on helm's stderr; every Helm 4 refuses a post-renderer given by path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .auto_update_emulation import copy_chart, run_auto_update
from .chart_render import NAMESPACE, RELEASE
from .conftest import FIXTURE_CHART, VENV_BIN, Run, clean_env, is_helm4, run_command, tool
from .netfixtures.pki import SPOT_CHARTS
from .plugin_harness import RELEASE_PUBLIC_KEY, VERSION, SignedRelease, ok, post_renderer_user_env
from .pod_sandbox import Image
from .test_auto_update import CURRENT, MODES, NEXT, install

OLDEST, BEFORE_ARGS, WITH_ARGS = "helm3.4.2", "helm3.8.1", "helm3.9.4"
WITHOUT_ARGS = [OLDEST, BEFORE_ARGS]
NEWER = {"helm3.19.0": "helm3", "helm4.1.4": "helm4", "helm4.2.3": "helm4"}  # -> tested major
PROXY = "http://alice:s3cret@proxy.corp.example:3128"
NO_PROXY = ".corp.example,10.0.0.0/8"
VENDOR_FLAGS = ["--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
                "--set", "spotinst.token=spot-tok-J7w2Qx9Lr4"]


def helm_run(helm: str, command: list[str], *flags: str, env: dict[str, str] | None = None,
             renderer: str = str(VENV_BIN / "ocean-proxy-post-renderer")) -> Run:
    """The vendor's command plus ``--post-renderer ocean-proxy-post-renderer`` (by path)."""
    return run_command([tool(helm), *command, RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
                        *VENDOR_FLAGS, "--post-renderer", renderer, *flags],
                       env=env or clean_env())


def with_post_renderer_args(ca_file: Path, helm: str = WITH_ARGS, **options) -> Run:
    run = helm_run(helm, ["template"],
                   "--post-renderer-args", f"--proxy-url={PROXY}",
                   "--post-renderer-args", f"--ca-file={ca_file}",
                   "--post-renderer-args", f"--no-proxy={NO_PROXY}", **options)
    assert run.returncode == 0, run.stderr
    return run


def as_installed(helm: str, signed: Path, home: Path) -> dict[str, str]:
    """A user's environment with ocean-proxy-post-renderer set up as the README tells this
    helm's major: on PATH for Helm 3, the plugin from its signed tarball for Helm 4."""
    major = "helm4" if is_helm4(helm) else "helm3"
    env = post_renderer_user_env(major, home, PIP_INDEX_URL="http://127.0.0.1:9/")
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages reach helm's stderr
    if is_helm4(helm):
        tarball = signed / f"ocean-proxy-post-renderer-{VERSION}.tgz"
        run = ok(run_command([tool(helm), "plugin", "install", "--keyring",
                              signed / RELEASE_PUBLIC_KEY, tarball], env=env))
        assert "Plugin Hash Verified: sha256:" in run.text + run.stderr
    return env


def documents(run: Run) -> list[object]:
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc is not None]


@pytest.mark.parametrize("command", [["template"], ["upgrade", "--install"]],
                         ids=["template", "upgrade-install"])
@pytest.mark.parametrize("helm", WITHOUT_ARGS)
def test_a_helm_without_post_renderer_args_refuses_the_flag_itself(helm, command):
    run = helm_run(helm, command, "--post-renderer-args", f"--proxy-url={PROXY}")

    assert (run.returncode, run.stdout) == (1, b"")
    assert run.stderr == "Error: unknown flag: --post-renderer-args\n"


def test_the_first_helm_with_post_renderer_args_passes_them_on(ca_file):
    run = with_post_renderer_args(ca_file)
    assert "10.0.0.0/8" in run.text and "ocean-proxy-ca-bundle" in run.text


@pytest.mark.parametrize("helm", WITHOUT_ARGS)
def test_the_environment_gives_the_release_post_renderer_args_give(helm, ca_file):
    expected = with_post_renderer_args(ca_file)

    run = helm_run(helm, ["template"], env=clean_env(
        OCEAN_PROXY_URL=PROXY, OCEAN_PROXY_CA_FILE=str(ca_file), OCEAN_PROXY_NO_PROXY=NO_PROXY))

    assert run.returncode == 0, run.stderr
    assert run.stdout == expected.stdout


@pytest.mark.parametrize("helm", WITHOUT_ARGS)
def test_a_config_file_gives_the_release_post_renderer_args_give(helm, ca_file, tmp_path):
    expected = with_post_renderer_args(ca_file)
    config = tmp_path / "ocean-proxy.yaml"
    config.write_text(yaml.safe_dump({"proxyUrl": PROXY, "caFiles": [str(ca_file)],
                                      "noProxy": NO_PROXY}))
    config.chmod(0o600)

    run = helm_run(helm, ["template"], env=clean_env(OCEAN_PROXY_CONFIG=str(config)))

    assert run.returncode == 0, run.stderr
    assert run.stdout == expected.stdout


@pytest.mark.parametrize("helm", NEWER)
def test_a_newer_helm_renders_the_release_of_its_tested_major(
        helm, signed_release: SignedRelease, ca_file, tmp_path):
    tested = NEWER[helm]
    by_name = "ocean-proxy-post-renderer"
    expected = with_post_renderer_args(ca_file, tested, renderer=by_name, env=as_installed(
        tested, signed_release.dist, tmp_path / tested))

    run = with_post_renderer_args(ca_file, helm, renderer=by_name, env=as_installed(
        helm, signed_release.dist, tmp_path / helm))

    assert documents(run) == documents(expected)  # Helm 4 re-serialises: blank lines differ
    assert "10.0.0.0/8" in run.text and "ocean-proxy-ca-bundle" in run.text
    injected = "ocean-proxy: injected proxy http://alice:***@proxy.corp.example:3128"
    assert run.stderr.startswith(injected) and "s3cret" not in run.stderr


@pytest.mark.parametrize("helm", ["helm4", "helm4.1.4", "helm4.2.3"])
def test_every_helm4_refuses_a_post_renderer_given_by_path(helm):
    run = helm_run(helm, ["template"])

    assert (run.returncode, run.stdout) == (1, b"")
    path = VENV_BIN / "ocean-proxy-post-renderer"
    assert run.stderr == (f'Error: invalid argument "{path}" for "--post-renderer" flag: '
                          f"plugin: {{Name:{path} Type:postrenderer/v1}} not found\n")


# -- the auto-update Job's helm ------------------------------------------------------------


@pytest.fixture(scope="module")
def job_image(net_pki) -> Image:
    return Image(net_pki.public_roots_file.read_bytes())


def test_an_auto_update_whose_helm_is_built_with_a_go_before_1_16_trusts_the_ca(
        job_image, auth_proxy, spot_origin, net_pki, tmp_path):
    """helm 3.4.2 (Go 1.14) reads SSL_CERT_DIR as one directory, not a list: the Job's
    'helm repo add' through the intercepting proxy must still trust the CA, and the upgrade
    carry the proxy and the CA to the Job after it."""
    (mode,) = [m for m in MODES if m.name == "zero-config"]
    proxy_url, ca_file = auth_proxy.credentials_url, net_pki.corp_root_file
    charts = {CURRENT: FIXTURE_CHART,
              NEXT: copy_chart(FIXTURE_CHART, tmp_path / "charts" / NEXT, NEXT)}
    pipeline = install(tool(OLDEST), FIXTURE_CHART, mode.user_values(proxy_url, ca_file), [],
                       tmp_path)

    update = run_auto_update(pipeline.cluster, helm=tool(OLDEST), charts=charts,
                             version=NEXT, image=job_image, workdir=tmp_path / "job")

    assert update.run.returncode == 0, update.run.stderr
    assert update.upgraded and pipeline.cluster.version == NEXT
    assert (SPOT_CHARTS, "/index.yaml") in spot_origin.requests
    assert "now has ocean-proxy's proxy, CA and step" in update.run.text
