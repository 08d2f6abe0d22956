"""The metric exporter and the network client the controller chart renders in its own
release (``ocean-metric-exporter.deployChart=true``, ``ocean-network-client.deployChart=true``),
installed with the vendor's command and the post-renderer on the real API server, helm 3 and
helm 4.

After each step every stored pod template of the namespace can start and shows no password
(``ControllerRelease.check``), and what the kubelet would give each agent's container from
the stored objects is the controller's proxy (the password from a Secret), its NO_PROXY and
the corporate CA: the Go network client in ``SSL_CERT_FILE``/``SSL_CERT_DIR``, the JVM
exporter in its own ``PROXY_URL`` and ``USER_ENV_CERTIFICATES``. A new proxy password or CA
rolls every workload of the release once, and the same upgrade again rolls none. The chart's own
auto-update Job, run for real twice, leaves every agent behind the proxy with the CA.
The agents read the controller's Secrets: one stored Secret of the namespace holds the
password.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509

from ..agent_charts import IN_CLUSTER, helm_template
from ..conftest import FIXTURE_CHART, post_renderer
from ..kubelet_view import ContainerView, container_view
from ..test_auto_update import first
from .auto_update_job import FIRST, SECOND, assert_proxy_and_trust, auto_update, resolved
from .release import CONTROLLER, PROXY_PASSWORD, PROXY_URL, ControllerRelease, ok, vendor_flags
from .server import ApiServer
from .stored import Object, Stored
from .test_day_two import NEW_PASSWORD, NEW_URL, holding
from .test_network_client import NO_PROXY_NAMES, PROXY_NAMES, certificates, go_trust

DEPLOY = ("--set", "ocean-metric-exporter.deployChart=true",
          "--set", "ocean-network-client.deployChart=true")
CHECKSUM_PROXY, CHECKSUM_CA = "checksum/proxy", "checksum/ca-bundle"
AGENTS = ("spot-ocean-metric-exporter", "spotinst-ocean-network-client")


def workloads(controller: ControllerRelease) -> dict[str, tuple[str, str]]:
    """Each agent's workload (kind, name) by its container, as the chart names them."""
    return {CONTROLLER: ("Deployment", controller.fullname),
            AGENTS[0]: ("Deployment", f"{controller.name}-ocean-metric-exporter"),
            AGENTS[1]: ("DaemonSet", f"{controller.name}-ocean-network-client")}


def stored_workload(stored: Stored, kind: str, name: str) -> Object:
    found = (stored.deployments if kind == "Deployment" else stored.daemonsets).get(name)
    assert found is not None, f"{kind} {name} is not stored"
    return found


def sees(controller: ControllerRelease, container: str) -> ContainerView:
    """What the kubelet gives ``container`` from the objects the API server stored."""
    stored = controller.stored()
    template = stored_workload(stored, *workloads(controller)[container])["spec"]["template"]
    docs = controller.api.list("secrets,configmaps", controller.namespace)
    return container_view(docs, template, container, namespace=controller.namespace)


def generations(controller: ControllerRelease) -> dict[str, int]:
    stored = controller.stored()
    return {container: stored_workload(stored, *where)["metadata"]["generation"]
            for container, where in workloads(controller).items()}


def checksums(controller: ControllerRelease, key: str) -> dict[str, str]:
    stored = controller.stored()
    return {container: (stored_workload(stored, *where)["spec"]["template"]["metadata"]
                        .get("annotations") or {}).get(key, "")
            for container, where in workloads(controller).items()}


def password_holders(stored: Stored, password: str = PROXY_PASSWORD) -> list[str]:
    """Every stored Secret of the namespace whose data holds ``password``, percent-encoded
    or not."""
    forms = {password, quote(password, safe="")}
    return sorted(name for name, secret in stored.secrets.items()
                  if any(form in base64.b64decode(value).decode("latin-1")
                         for value in (secret.get("data") or {}).values() for form in forms))


def secrets_read(template: Object) -> set[str]:
    """The Secrets a pod template reads: env entries and volumes."""
    spec = template["spec"]
    read = {v["secret"]["secretName"] for v in spec.get("volumes") or [] if "secret" in v}
    for container in spec["containers"]:
        read |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env") or []
                 if "secretKeyRef" in (e.get("valueFrom") or {})}
    return read


def assert_agents_read_the_controllers_secrets(controller: ControllerRelease) -> None:
    """One Secret holds the password, the controller's pod reads it, and each agent's pod
    reads it and no Secret the controller's pod does not read."""
    stored = controller.stored()
    templates = {container: stored_workload(stored, *where)["spec"]["template"]
                 for container, where in workloads(controller).items()}
    [holder] = password_holders(stored)
    theirs = secrets_read(templates[CONTROLLER])
    assert holder in theirs
    for agent in AGENTS:
        assert holder in secrets_read(templates[agent]), agent
        assert secrets_read(templates[agent]) <= theirs, agent


def exporter_trusts(view: ContainerView) -> set[str]:
    """The certificates the JVM exporter adds from USER_ENV_CERTIFICATES."""
    pem = view.env["USER_ENV_CERTIFICATES"].encode()
    return {cert.subject.rfc4514_string() for cert in x509.load_pem_x509_certificates(pem)}


def assert_every_agent_behind(controller: ControllerRelease, proxy_url: str, ca: Path) -> None:
    beside = sees(controller, CONTROLLER)
    assert first(beside.env, "HTTPS_PROXY", "https_proxy") == proxy_url
    assert go_trust(beside) == certificates(ca)
    for container in AGENTS:
        seen = sees(controller, container)
        assert {name: seen.env.get(name) for name in PROXY_NAMES} == \
            dict.fromkeys(PROXY_NAMES, proxy_url), container
        for name in NO_PROXY_NAMES:
            entries = seen.env[name].split(",")
            assert all(host in entries for host in IN_CLUSTER[1:]), (container, entries)
        if container == AGENTS[0]:
            assert seen.env["PROXY_URL"] == proxy_url
            assert exporter_trusts(seen) == {
                c.subject.rfc4514_string()
                for c in x509.load_pem_x509_certificates(ca.read_bytes())}
        else:
            assert go_trust(seen) == certificates(ca), container
            assert seen.env["SPOTINST_TOKEN"] == "TOKEN"  # the controller's Secret, read


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}",
                             [*vendor_flags(cas[0]), *DEPLOY])


def test_every_agent_of_the_release_is_stored_behind_the_proxy_with_the_ca(
        user, controller, cas):
    ok(controller.upgrade(user))

    controller.check()
    assert_every_agent_behind(controller, PROXY_URL, cas[0])
    assert_agents_read_the_controllers_secrets(controller)


@pytest.mark.parametrize("change", ["password", "CA"])
def test_a_new_proxy_password_or_ca_rolls_every_agent_of_the_release_once(
        user, controller, cas, tmp_path, change):
    ok(controller.upgrade(user))
    installed = generations(controller)
    before = {key: checksums(controller, key) for key in (CHECKSUM_PROXY, CHECKSUM_CA)}
    rotated = tmp_path / "rotated.pem"
    rotated.write_bytes(cas[1].read_bytes())
    flags = {"password": ("--set", f"spotinst.proxyUrl={NEW_URL}"),
             "CA": ("--set-file", f"caBundleSecret.data={rotated}")}[change]

    ok(controller.upgrade(user, *flags))

    stored = controller.check()
    after = {key: checksums(controller, key) for key in (CHECKSUM_PROXY, CHECKSUM_CA)}
    changed = CHECKSUM_PROXY if change == "password" else CHECKSUM_CA
    for key, by_container in after.items():  # the one that covers the change, on every agent
        assert all(by_container.values()), (key, by_container)
        differs = [c for c in by_container if by_container[c] != before[key][c]]
        assert differs == (list(by_container) if key == changed else []), (key, differs)
    assert generations(controller) == {c: n + 1 for c, n in installed.items()}
    if change == "password":
        assert_every_agent_behind(controller, NEW_URL, cas[0])
        assert holding(stored, PROXY_PASSWORD) == []  # in no Secret of ocean-proxy's
        assert len(password_holders(stored, NEW_PASSWORD)) == 1
    else:
        assert_every_agent_behind(controller, PROXY_URL, rotated)
        assert_agents_read_the_controllers_secrets(controller)
    ok(controller.upgrade(user, *flags))  # the same upgrade again: nothing rolls
    assert generations(controller) == {c: n + 1 for c, n in installed.items()}


def test_every_agent_keeps_the_proxy_and_the_ca_across_the_charts_auto_updates(
        user, api_server, cluster_namespace, repository, net_pki, tmp_path):
    """The chart's own auto-update Job, run for real twice (its 'helm upgrade' through the
    proxy, with Basic auth): its post-renderer gives the agents the chart renders beside the
    controller their proxy and CA again, so after each every agent still resolves to the
    proxy and the corporate CA, the render warned of nothing lost, and the agents' checksums
    are still the render's: the auto-update rolls no agent."""
    proxy_url, ca = repository.proxy.credentials_url, net_pki.corp_root_file
    release = ControllerRelease(api_server, cluster_namespace,
                                f"oc-{cluster_namespace.split('-')[0]}",
                                [*vendor_flags(ca, proxy_url), *DEPLOY])
    chart = helm_template(user.binary, user.env, release.name, FIXTURE_CHART, *release.flags,
                          namespace=release.namespace)
    said = post_renderer(stdin=chart.stdout).stderr  # helm 4 shows none of it on success
    assert "which the chart renders too, loses" not in said, said
    ok(release.upgrade(user))
    assert_every_agent_behind(release, proxy_url, ca)
    rendered = {key: checksums(release, key) for key in (CHECKSUM_PROXY, CHECKSUM_CA)}
    installed = {agent: generations(release)[agent] for agent in AGENTS}

    for version, run in ((FIRST, "job-1"), (SECOND, "job-2")):
        job = auto_update(release, user, repository, net_pki, version, tmp_path / run)

        assert_proxy_and_trust(resolved(release), proxy_url, net_pki.corp_root.pem)
        assert_every_agent_behind(release, proxy_url, ca)
        assert_agents_read_the_controllers_secrets(release)
        assert {key: checksums(release, key) for key in rendered} == rendered, version
        # the agents' pods as the chart versions render them are alike: nothing rolls them
        assert {agent: generations(release)[agent] for agent in AGENTS} == installed, version
        assert "keep ocean-proxy's proxy and CA" in job.text, job.text
