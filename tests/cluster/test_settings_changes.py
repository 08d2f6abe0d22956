"""A release's proxy and CA settings changed over its life, as platform teams change them.

The proxy loses its password, then the proxy goes (a transparent proxy: the CA stays), then
the CA; ``helm rollback`` to a revision with another CA or another proxy; ``--reuse-values``
and ``--reset-values``; ``--no-proxy`` additions; a second controller release in the same
namespace; the same settings moved from ``--post-renderer-args`` into a config file. After
every step ``ControllerRelease.check`` reads what the API server stored, and
the Deployment's ``metadata.generation`` says the pods roll exactly when the proxy or the CA
changed, and only then. Three findings are held as strict expected failures: what would fix
them changes what users see (the exporter beside a transparent or a removed proxy, a renamed
release over the kept Secrets).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ..agent_charts import EXPORTER_CHART, exporter_beside_controller
from ..conftest import FIXTURE_CHART
from .helm_users import HelmUser
from .release import (
    CHECKSUMS,
    NO_CA,
    NO_URL,
    PROXY_URL,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    injected_names,
    ok,
    pod_shape,
    vendor_flags,
)
from .server import ApiServer
from .stored import JOB_KEY, Object, Stored
from .test_spot_agents import exporter_sees

PLAIN_URL = "http://proxy.corp.example:3128"  # the same proxy, no password any more


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


def checksums(controller: ControllerRelease) -> dict[str, str]:
    annotations = controller.template()["metadata"].get("annotations") or {}
    return {key: value for key, value in annotations.items() if key in CHECKSUMS}


def test_password_dropped_then_proxy_removed_then_ca_removed(user, controller):
    ok(controller.upgrade(user))
    installed = controller.check().deployments[controller.fullname]["spec"]["template"]
    first = checksums(controller)
    proxy_secret = f"{controller.fullname}-ocean-proxy"

    ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={PLAIN_URL}"))
    stored = controller.check()
    assert generation(controller) == 2
    assert stored.secret_text(proxy_secret, "proxy-url") == PLAIN_URL  # the password is gone
    assert checksums(controller)["checksum/ca-bundle"] == first["checksum/ca-bundle"]
    assert checksums(controller)["checksum/proxy"] != first["checksum/proxy"]
    ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={PLAIN_URL}"))
    assert generation(controller) == 2

    ok(controller.upgrade(user, *NO_URL))  # a transparent proxy: the CA alone
    controller.check()
    assert generation(controller) == 3
    assert injected_names(controller.template()) == {"HTTPS_PROXY", "SSL_CERT_DIR"}  # chart's
    assert checksums(controller) == {"checksum/ca-bundle": first["checksum/ca-bundle"]}

    ok(controller.upgrade(user, *NO_URL, *NO_CA))
    controller.check()
    assert generation(controller) == 4
    assert injected_names(controller.template()) == {"HTTPS_PROXY"}  # the chart's, blank
    assert checksums(controller) == {}

    ok(controller.upgrade(user))
    controller.check()
    assert generation(controller) == 5
    assert pod_shape(controller.template()) == pod_shape(installed)


def test_rollback_to_revisions_with_another_ca_and_another_proxy(user, controller, cas):
    ok(controller.upgrade(user))  # revision 1
    first = controller.check()
    template = first.deployments[controller.fullname]["spec"]["template"]
    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={cas[1]}"))  # 2
    assert generation(controller) == 2

    ok(user.helm("rollback", controller.name, "1", "-n", controller.namespace))  # 3
    stored = controller.check()
    assert generation(controller) == 3
    assert controller.template() == template
    for name in (f"{controller.fullname}-ca-bundle", f"{controller.fullname}-ocean-proxy-ca"):
        assert stored.secrets[name]["data"] == first.secrets[name]["data"], name

    ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={PLAIN_URL}"))  # 4
    ok(user.helm("rollback", controller.name, "1", "-n", controller.namespace))  # 5
    stored = controller.check()
    assert generation(controller) == 5
    assert controller.template() == template
    assert stored.secret_text(f"{controller.fullname}-ocean-proxy", "proxy-url") == PROXY_URL


def test_reuse_values_keeps_the_pods_and_reset_values_brings_them_back(user, controller, cas):
    def upgrade(*flags: str) -> None:
        ok(user.upgrade(controller.name, FIXTURE_CHART, controller.namespace, *flags))

    ok(controller.upgrade(user))
    template = controller.check().deployments[controller.fullname]["spec"]["template"]

    upgrade("--reuse-values")
    controller.check()
    assert generation(controller) == 1
    upgrade("--reuse-values", "--set-file", f"caBundleSecret.data={cas[1]}")
    controller.check()
    assert generation(controller) == 2
    upgrade("--reset-values", *vendor_flags(cas[0]))
    controller.check()
    assert generation(controller) == 3
    assert controller.template() == template


def test_no_proxy_additions_roll_the_pods_once(user, controller):
    ok(controller.upgrade(user))
    first = checksums(controller)

    ok(controller.upgrade(user, "--post-renderer-args", "--no-proxy=.corp.example,10.0.0.0/8"))
    controller.check()
    assert generation(controller) == 2
    assert checksums(controller)["checksum/proxy"] != first["checksum/proxy"]
    for same in (("--post-renderer-args", "--no-proxy=10.0.0.0/8,.CORP.example,.corp.example"),
                 ("--set", "extraEnv[0].name=NO_PROXY",  # the same entries, from values
                  "--set", "extraEnv[0].value=.corp.example\\,10.0.0.0/8")):
        ok(controller.upgrade(user, *same))
        controller.check()
        assert generation(controller) == 2, same

    ok(controller.upgrade(user))
    controller.check()
    assert generation(controller) == 3
    assert checksums(controller) == first


@pytest.mark.parametrize("proxy", [PLAIN_URL, ""], ids=["plain-proxy", "ca-only"])
def test_the_controller_restarts_whenever_the_auto_update_job_it_holds_changes(
        user, controller, cas, proxy):
    """The controller reads the Job from env AUTO_UPDATE_JOB_SPEC, which the kubelet resolves
    when the container starts: the Job it runs at the next auto-update is the stored one only
    if the pods rolled (the Deployment's generation grew) whenever that changed. A proxy
    without a password (or the CA alone), and the auto-update policy switched from 'keep' to
    the default and back, with an upgrade between that changes nothing."""
    plain = replace(controller, flags=vendor_flags(cas[0], proxy))
    kept = replace(plain, renderer_args=["--auto-update=keep"])
    held, last, generations = None, 0, []
    for step, release in enumerate((kept, plain, plain, kept)):
        ok(release.upgrade(user))
        stored = release.check()
        job = stored.configmaps[controller.fullname]["data"][JOB_KEY]
        generations.append(generation(controller))
        if generations[-1] != last:  # the pods rolled: their env reads the Job again
            held, last = job, generations[-1]
        assert held == job, f"step {step}: the controller runs a Job the ConfigMap no longer has"
    assert generations == [1, 2, 2, 3]


def test_a_pipeline_s_config_file_deploys_what_the_flags_deploy_and_rolls_nothing_between(
        user, api_server, cluster_namespace, cas, tmp_path):
    """A team moves its settings from --post-renderer-args into one ocean-proxy.yaml
    (OCEAN_PROXY_CONFIG, caFiles beside it): the API server stores the same objects, the
    pods do not roll, no password shows, and the warning about a file others can read comes
    once per upgrade, on helm's stderr."""
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "corp-ca.pem").write_bytes(cas[0].read_bytes())
    config = folder / "ocean-proxy.yaml"
    config.write_text(f"proxyUrl: {PROXY_URL}\ncaFiles: [corp-ca.pem]\n"
                      "noProxy: [.corp.example, 10.0.0.0/8]\n")
    config.chmod(0o644)
    by_flags = ControllerRelease(
        api_server, cluster_namespace, f"oc-{cluster_namespace.split('-')[0]}",
        ["--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
         "--set", "spotinst.token=TOKEN", *SUITE_FLAGS],  # the vendor's, no proxy, no CA
        [f"--proxy-url={PROXY_URL}", f"--ca-file={cas[0]}",
         "--no-proxy=.corp.example,10.0.0.0/8"])
    by_file = replace(by_flags, renderer_args=[])
    with_file = replace(user, env={**user.env, "OCEAN_PROXY_CONFIG": str(config)})

    ok(by_flags.upgrade(user))
    flagged = by_flags.check()
    for _ in range(2):
        run = ok(by_file.upgrade(with_file))
        warnings = [line for line in run.stderr.splitlines()
                    if line.startswith(f"ocean-proxy: warning: config file {config} holds")]
        assert len(warnings) == 1, run.stderr
        stored = by_file.check()
        assert generation(by_file) == 1
        assert pod_shape(by_file.template()) == pod_shape(flagged.deployments[
            by_flags.fullname]["spec"]["template"])
        assert release_data(stored) == release_data(flagged)


def release_data(stored: Stored) -> dict[str, Object]:
    """What the chart and ocean-proxy keep in Secrets and ConfigMaps (helm's records aside)."""
    return {f"{kind} {name}": found.get("data") for kind, kept in
            (("Secret", stored.secrets), ("ConfigMap", stored.configmaps))
            for name, found in kept.items() if not name.startswith("sh.helm.release.")}


def test_a_second_release_in_the_namespace_leaves_the_first_alone(user, controller, cas):
    other = ControllerRelease(controller.api, controller.namespace, f"{controller.name}b",
                              vendor_flags(cas[1], PLAIN_URL))
    ok(controller.upgrade(user))
    template = controller.check().deployments[controller.fullname]["spec"]["template"]

    ok(other.upgrade(user))
    other.check()
    ok(controller.upgrade(user))
    ok(user.helm("uninstall", other.name, "-n", other.namespace))
    ok(controller.upgrade(user))

    controller.check()
    assert generation(controller) == 1
    assert controller.template() == template


def install_exporter_beside(controller: ControllerRelease, user: HelmUser) -> None:
    ok(user.upgrade(f"{controller.name}-exporter", EXPORTER_CHART, controller.namespace,
                    *exporter_beside_controller(controller.fullname)))


def test_an_exporter_beside_a_transparent_proxy_can_start(user, controller):
    ok(controller.upgrade(user, *NO_URL))  # the CA alone, post-rendered first as asked
    install_exporter_beside(controller, user)

    controller.check()


def test_an_exporter_beside_the_controller_drops_a_removed_proxy(user, controller):
    ok(controller.upgrade(user))
    install_exporter_beside(controller, user)
    assert exporter_sees(controller).env["PROXY_URL"] == PROXY_URL

    ok(controller.upgrade(user, *NO_URL))  # a transparent proxy: the CA alone
    install_exporter_beside(controller, user)  # post-rendered again, as the render asks

    controller.check()
    assert exporter_sees(controller).env.get("PROXY_URL", "") == ""  # as its ConfigMap says


@pytest.mark.xfail(strict=True, reason=(
    "design question: the kept Secrets are named after the chart's fullname and carry the "
    "earlier release's ownership annotations, so a release of another name with the same "
    "fullname (a rename, fullnameOverride) fails with 'exists and cannot be imported into "
    "the current release' until they are deleted, or taken with --take-ownership (the test "
    "below); the vendor's chart alone installs"))
def test_a_renamed_release_with_the_same_fullname_installs_over_the_kept_secrets(
        user, controller):
    ok(controller.upgrade(user))
    ok(user.helm("uninstall", controller.name, "-n", controller.namespace))
    # a release name that holds the chart's name is the fullname as it is (the chart's helper)
    renamed = ControllerRelease(controller.api, controller.namespace, controller.fullname,
                                controller.flags)
    ok(renamed.upgrade(user, post_render=False))

    ok(renamed.upgrade(user))


def test_a_renamed_release_takes_the_kept_secrets_over_with_take_ownership(user, controller):
    """The remedy the README gives for the one above: helm's own --take-ownership, once."""
    ok(controller.upgrade(user))
    installed = controller.check().deployments[controller.fullname]["spec"]["template"]
    ok(user.helm("uninstall", controller.name, "-n", controller.namespace))
    renamed = ControllerRelease(controller.api, controller.namespace, controller.fullname,
                                controller.flags)

    ok(renamed.upgrade(user, "--take-ownership"))

    stored = controller.check()
    for suffix in ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values"):
        owner = stored.secrets[controller.fullname + suffix]["metadata"]["annotations"]
        assert owner["meta.helm.sh/release-name"] == renamed.name, suffix
    ok(renamed.upgrade(user))  # and from then on, the usual command
    controller.check()
    # the same pods, but for the chart's checksum/config: its ConfigMap names the release
    before, after = pod_shape(installed), pod_shape(controller.template())
    for shape in (before, after):
        shape["annotations"] = {k: v for k, v in shape["annotations"].items() if k in CHECKSUMS}
    assert after == before
