"""The network client beside the controller: a privileged DaemonSet on the real API server.

Its chart has no proxy or CA values, so its release is post-rendered as examples/agents/
says: the proxy in ``OCEAN_PROXY_URL``, the CA in ``--ca-file``, next to a post-rendered
controller whose Secret and ConfigMap it reads (``oceanController.*``). After each step
every stored pod template of the namespace, the DaemonSet's included, can start and shows no
password (``ControllerRelease.check``), and what the kubelet would give the network client
from the stored objects is the proxy, ``NO_PROXY`` and the corporate CAs the controller's
container gets. Its pods roll when its proxy or CA changes, and only then. Its proxy and CA
come from its own command, never from the controller's release: the controller's password
given to the controller alone, the controller without ocean-proxy, uninstalled first or
installed last leave the network client as its own command left it; taken off its own
command, nothing of its password stays behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.hashes import SHA256

from ..agent_charts import NETWORK_CLIENT, NETWORK_CLIENT_CHART
from ..agent_charts import NETWORK_CLIENT_NAMESPACE as CHART_NAMESPACE
from ..conftest import Run
from ..kubelet_view import ContainerView, container_view
from ..test_auto_update import first, trust_files
from .helm_users import HelmUser
from .release import CONTROLLER, PROXY_PASSWORD, PROXY_URL, ControllerRelease, ok, vendor_flags
from .server import ApiServer
from .stored import Object, Stored, leaks, pod_problems
from .test_day_two import NEW_URL, holding

KIND, NAME, CONTAINER = NETWORK_CLIENT
PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
NO_PROXY_NAMES = ("NO_PROXY", "no_proxy")
CHECKSUM_PROXY, CHECKSUM_CA = "checksum/proxy", "checksum/ca-bundle"


@dataclass
class NetworkClientRelease:
    """The network client's release, in the controller's namespace, run with the proxy and
    CA its own command names; its DaemonSet runs in ``runs_in`` (the chart's ``namespace``
    value), the controller's namespace unless ``namespace`` names another."""

    controller: ControllerRelease
    proxy_url: str
    ca_file: Path
    namespace: str = ""

    @property
    def name(self) -> str:
        return f"{self.controller.name}-network-client"

    @property
    def runs_in(self) -> str:
        return self.namespace or self.controller.namespace

    def upgrade(self, user: HelmUser, *, post_render: bool = True) -> Run:
        """The command of examples/agents/README.md: the URL in the environment, not in ps."""
        namespace, fullname = self.controller.namespace, self.controller.fullname
        flags: list[str | os.PathLike] = [
            "--set", f"namespace={self.runs_in}", "--set", f"oceanController.secretName={fullname}",
            "--set", f"oceanController.configMapName={fullname}"]
        if post_render:
            flags += ["--post-renderer-args", f"--ca-file={self.ca_file}"]
        proxy = {"OCEAN_PROXY_URL": self.proxy_url} if self.proxy_url else {}
        with_proxy = replace(user, env={**user.env, **proxy})
        return with_proxy.upgrade(self.name, NETWORK_CLIENT_CHART, namespace, *flags,
                                  post_render=post_render)

    def daemonset(self) -> Object:
        found = Stored.read(self.controller.api, self.runs_in).daemonsets.get(NAME)
        assert found is not None, f"{KIND} {NAME} is not stored in {self.runs_in}"
        return found

    def sees(self) -> ContainerView:
        """What the kubelet gives the network client's container from the stored objects."""
        return _view(self.controller.api, self.runs_in, self.daemonset()["spec"]["template"],
                     CONTAINER)


def _view(api: ApiServer, namespace: str, template: Object, container: str) -> ContainerView:
    docs = api.list("secrets,configmaps", namespace)
    return container_view(docs, template, container, namespace=namespace)


def controller_sees(controller: ControllerRelease) -> ContainerView:
    return _view(controller.api, controller.namespace, controller.template(), CONTROLLER)


def _named(certificates: list[x509.Certificate]) -> set[str]:
    return {f"{cert.subject.rfc4514_string()} (SHA-256 {cert.fingerprint(SHA256()).hex()[:16]})"
            for cert in certificates}


def go_trust(view: ContainerView) -> set[str]:
    """The certificates a Go program of the container reads from the Secret files mounted
    where it looks: ``SSL_CERT_FILE`` and every directory of ``SSL_CERT_DIR``."""
    directories = {d.rstrip("/") for d in view.env.get("SSL_CERT_DIR", "").split(":") if d}
    return _named([cert for path, content in trust_files(view).items()
                   if path == view.env.get("SSL_CERT_FILE")
                   or path.rsplit("/", 1)[0] in directories
                   for cert in x509.load_pem_x509_certificates(content)])


def certificates(ca_file: Path) -> set[str]:
    return _named(x509.load_pem_x509_certificates(ca_file.read_bytes()))


def assert_as_the_controller(client: NetworkClientRelease, proxy_url: str,
                             cas: set[str]) -> None:
    """The network client's container has the proxy (its password from a Secret), the
    controller's NO_PROXY, and trusts the CAs the controller's container trusts."""
    seen, beside = client.sees(), controller_sees(client.controller)
    assert {name: seen.env.get(name) for name in PROXY_NAMES} == \
        dict.fromkeys(PROXY_NAMES, proxy_url)
    assert first(beside.env, "HTTPS_PROXY", "https_proxy") == proxy_url
    for name in NO_PROXY_NAMES:
        assert seen.env[name] == first(beside.env, *NO_PROXY_NAMES), name
    assert go_trust(seen) == go_trust(beside) == cas


def generation(client: NetworkClientRelease) -> int:
    return client.daemonset()["metadata"]["generation"]


def annotations(client: NetworkClientRelease) -> dict[str, str]:
    return client.daemonset()["spec"]["template"]["metadata"].get("annotations") or {}


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, cas) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


@pytest.fixture
def network_client(controller: ControllerRelease, cas) -> Iterator[NetworkClientRelease]:
    """Its ClusterRole and ClusterRoleBinding are named after the chart, as the vendor's are:
    one network client per cluster, so each test takes them away again."""
    yield NetworkClientRelease(controller, PROXY_URL, cas[0])
    api = controller.api
    api.kubectl("delete", "clusterrole,clusterrolebinding", NAME, "--ignore-not-found")
    api.kubectl("delete", "-n", CHART_NAMESPACE, "daemonset,serviceaccount", NAME,
                "--ignore-not-found")
    api.kubectl("delete", "-n", CHART_NAMESPACE, "secret", f"{NAME}-ocean-proxy",
                f"{NAME}-ocean-proxy-ca", "--ignore-not-found")


@pytest.fixture
def rotated(cas, tmp_path: Path) -> Path:
    """The corporate CA and the one that replaces it, in one bundle (a CA rotation)."""
    both = tmp_path / "rotated.pem"
    both.write_bytes(cas[0].read_bytes() + cas[1].read_bytes())
    return both


def test_the_network_client_gets_the_controllers_proxy_and_trust(
        user, controller, network_client, cas):
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))

    controller.check()
    assert_as_the_controller(network_client, PROXY_URL, certificates(cas[0]))
    assert {CHECKSUM_PROXY, CHECKSUM_CA} <= set(annotations(network_client))


def test_the_same_upgrade_again_leaves_the_network_clients_pods_alone(
        user, controller, network_client):
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))
    installed = network_client.daemonset()

    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))

    controller.check()
    after = network_client.daemonset()
    assert after["spec"]["template"] == installed["spec"]["template"]
    assert after["metadata"]["generation"] == installed["metadata"]["generation"]


@pytest.mark.parametrize("change", ["password", "CA"])
def test_a_new_password_or_ca_rolls_the_network_client_once(
        user, controller, network_client, cas, rotated, change):
    """The user's pipeline (examples/agents/upgrade-agents.sh) gives both releases the same
    PROXY_URL and CA file: a new one reaches both, and rolls the network client's pods."""
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))
    before, installed = annotations(network_client), generation(network_client)

    if change == "password":
        ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={NEW_URL}"))
        network_client.proxy_url = NEW_URL
    else:
        ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={rotated}"))
        network_client.ca_file = rotated
    ok(network_client.upgrade(user))

    stored = controller.check()
    changed = {key for key in (CHECKSUM_PROXY, CHECKSUM_CA)
               if annotations(network_client)[key] != before[key]}
    assert changed == {CHECKSUM_PROXY if change == "password" else CHECKSUM_CA}
    assert generation(network_client) == installed + 1
    assert_as_the_controller(network_client, network_client.proxy_url,
                             certificates(network_client.ca_file))
    if change == "password":
        assert holding(stored, PROXY_PASSWORD) == []  # in no Secret of ocean-proxy's
    ok(network_client.upgrade(user))  # the pipeline again: nothing more
    assert generation(network_client) == installed + 1


def test_the_network_client_keeps_the_proxy_its_own_command_names(
        user, controller, network_client):
    """Its proxy comes from its own command, not from the controller's release: a new
    password given to the controller alone leaves it the old one, even upgraded again."""
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))
    installed = network_client.daemonset()

    ok(controller.upgrade(user, "--set", f"spotinst.proxyUrl={NEW_URL}"))
    ok(network_client.upgrade(user))

    controller.check()
    assert network_client.sees().env["HTTPS_PROXY"] == PROXY_URL
    assert network_client.daemonset()["spec"]["template"] == installed["spec"]["template"]


def test_the_controllers_own_command_without_ocean_proxy_leaves_the_network_client_its_proxy(
        user, controller, network_client, cas):
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))
    installed = generation(network_client)

    ok(controller.upgrade(user, post_render=False))  # the vendor's command alone

    controller.check(chart_alone=True)
    seen = network_client.sees()
    assert {name: seen.env.get(name) for name in PROXY_NAMES} == \
        dict.fromkeys(PROXY_NAMES, PROXY_URL)
    assert go_trust(seen) == certificates(cas[0])
    assert generation(network_client) == installed


def test_the_network_client_installed_before_the_controller(
        user, controller, network_client, cas):
    """Its reads of the controller's Secret and ConfigMap are optional: it starts without
    them, behind the proxy, and the controller's install leaves its pods alone."""
    ok(network_client.upgrade(user))
    controller.check()
    seen = network_client.sees()
    assert seen.env["HTTPS_PROXY"] == PROXY_URL and "SPOTINST_TOKEN" not in seen.env
    installed = generation(network_client)

    ok(controller.upgrade(user))

    controller.check()
    assert_as_the_controller(network_client, PROXY_URL, certificates(cas[0]))
    assert network_client.sees().env["SPOTINST_TOKEN"] == "TOKEN"
    assert generation(network_client) == installed


def test_the_network_client_through_the_controllers_uninstall_and_reinstall(
        user, controller, network_client, cas):
    """Uninstalled first, the controller takes its Secret and ConfigMap with it; the network
    client reads them optionally and keeps its own proxy and CA, upgraded again or not."""
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))
    installed = generation(network_client)

    ok(user.helm("uninstall", controller.name, "-n", controller.namespace))
    controller.check()
    ok(network_client.upgrade(user))
    controller.check()
    seen = network_client.sees()
    assert seen.env["HTTPS_PROXY"] == PROXY_URL and "SPOTINST_TOKEN" not in seen.env
    assert go_trust(seen) == certificates(cas[0])

    ok(controller.upgrade(user))

    controller.check()
    assert_as_the_controller(network_client, PROXY_URL, certificates(cas[0]))
    assert generation(network_client) == installed


def test_the_network_client_in_the_charts_own_namespace_gets_its_secrets_there(
        user, controller, network_client, cas):
    """The chart's default ``namespace`` (kube-system) is not helm's: what ocean-proxy adds
    for the DaemonSet goes beside it, where the kubelet looks, and nothing to the release's
    namespace. (The controller's Secret and ConfigMap are not there: the chart reads them
    optionally, and its pods then run without the Spot token, the vendor chart's doing.)"""
    network_client.namespace = CHART_NAMESPACE
    ok(controller.upgrade(user))

    ok(network_client.upgrade(user))

    beside = Stored.read(controller.api, CHART_NAMESPACE)
    assert pod_problems(beside) == []
    assert leaks(beside, [PROXY_PASSWORD, quote(PROXY_PASSWORD, safe="")]) == []
    seen = network_client.sees()
    assert {name: seen.env.get(name) for name in PROXY_NAMES} == \
        dict.fromkeys(PROXY_NAMES, PROXY_URL)
    assert go_trust(seen) == go_trust(controller_sees(controller)) == certificates(cas[0])
    assert not [name for name in controller.check().secrets if name.startswith(NAME)]


@pytest.mark.parametrize("off", ["ocean-proxy", "the proxy, CA kept"])
def test_taking_the_proxy_off_the_network_client_leaves_no_password_of_its_own(
        user, controller, network_client, cas, off):
    """Its Secrets are its release's alone, never kept: an upgrade without them takes them
    out, password and all, and its pods start without what they held."""
    ok(controller.upgrade(user))
    ok(network_client.upgrade(user))

    network_client.proxy_url = ""
    ok(network_client.upgrade(user, post_render=off != "ocean-proxy"))

    stored = controller.check()
    assert [where for where in holding(stored, PROXY_PASSWORD) if where.startswith(NAME)] == []
    seen = network_client.sees()
    assert [name for name in PROXY_NAMES if seen.env.get(name)] == []
    assert go_trust(seen) == (set() if off == "ocean-proxy" else certificates(cas[0]))
