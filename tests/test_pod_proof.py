"""The pod-level proof: each container the post-renderer changes reaches the stand-in Spot
services through a real TLS-intercepting proxy (mitmproxy) with a real TLS stack, given only
what its rendered pod spec gives it; with the chart's own output it does not.

Each client runs in pod_sandbox: the container's env and Secret mounts, over an image that
trusts the public roots alone. The Go stack (the controller; the auto-update Job's helm) is
the real helm binary adding charts.spot.io and pulling a chart from it. fluent-bit's stack
(the log-shipper) is fluent_bit_client: fluent-bit's proxy handling and trust paths on
OpenSSL, asking api.spotinst.io. The CA is the one ``ocean-proxy discover-ca`` finds; the
proxy comes from the container's own environment, never from the test.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509

from .chart_render import FULLNAME, NAMESPACE, RELEASE, Rendered, embedded_job, parse
from .conftest import FIXTURE_CHART, VENV_BIN, Run, clean_env, ocean_proxy, run_command
from .kubelet_view import ContainerView, container_view
from .netfixtures.chart_repo import CHART, VERSION
from .netfixtures.fixtures import PROXY_PASSWORD, PROXY_USER
from .netfixtures.mitm import MitmProxy
from .netfixtures.pki import SPOT_API, SPOT_CHARTS
from .netfixtures.servers import SPOT_API_ANSWER, LocalServer
from .pod_sandbox import Image, run_in_pod

CONTROLLER, LOG_SHIPPER, AUTO_UPDATE = "ocean-kubernetes-controller", "log-shipper", "auto-update"
FLUENT_BIT_CLIENT = Path(__file__).with_name("fluent_bit_client.py")
BASE_FLAGS = ("--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
              "--set", "spotinst.token=TOKEN")
POST_RENDERER = ("--post-renderer", "ocean-proxy-post-renderer")
CHART_PATH = f"/charts/{CHART}-{VERSION}.tgz"
PROXY_SECRET = f"{FULLNAME}-ocean-proxy"


@dataclass(frozen=True)
class Ask:
    """One way of asking for the release: which proxy, with credentials or not, and how the
    post-renderer is told (``flags``: --proxy-url/--ca-file on a chart that has neither;
    ``zero-config``: the vendor's values alone; ``None``: the vendor's command, no
    post-renderer)."""

    name: str
    proxy: str  # the fixture
    credentials: bool = False
    post_renderer: str | None = "zero-config"


WITH_CREDENTIALS = Ask("credentials", "auth_proxy", credentials=True)
POST_RENDERED = (
    Ask("flags", "intercepting_proxy", post_renderer="flags"),
    Ask("zero-config", "intercepting_proxy"),
    WITH_CREDENTIALS,
)
VENDOR_WITH_CREDENTIALS = Ask("vendor-command-credentials", "auth_proxy", credentials=True,
                              post_renderer=None)
CHART_ONLY = (
    Ask("vendor-command", "intercepting_proxy", post_renderer=None),
    VENDOR_WITH_CREDENTIALS,
)


@dataclass
class Release:
    ask: Ask
    rendered: Rendered
    proxy: MitmProxy

    def view(self, container: str) -> ContainerView:
        pod = (embedded_job(self.rendered)["spec"]["template"] if container == AUTO_UPDATE
               else self.rendered.pod())
        return container_view(self.rendered.docs, pod, container, namespace=NAMESPACE)


class Traffic:
    """What reached the proxy and the origin while a block ran. The origin records a
    request before it answers; mitmdump may write its log a moment later."""

    def __init__(self, proxy: MitmProxy, origin: LocalServer) -> None:
        self.proxy, self.origin = proxy, origin

    def __enter__(self) -> Traffic:
        self._log_start, self._requests_start = len(self.proxy.log()), len(self.origin.requests)
        return self

    def __exit__(self, *exc: object) -> None:
        self.origin_requests = self.origin.requests[self._requests_start:]

    @property
    def proxy_log(self) -> str:
        return self.proxy.log()[self._log_start:]

    @property
    def proxy_connections(self) -> int:
        """Connections the proxy accepted (an earlier test's disconnects may still come)."""
        return self.proxy_log.count("client connect")

    def proxy_logged(self, text: str, timeout: float = 5) -> bool:
        deadline = time.monotonic() + timeout
        while text not in self.proxy_log:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


# -- releases ---------------------------------------------------------------------------


def discover_ca(proxy: MitmProxy, net_pki, output: Path) -> Path:
    """The CA as a user gets it: ``ocean-proxy discover-ca`` through the proxy."""
    run = ocean_proxy("discover-ca", "--proxy-url", proxy.url, "--target", f"{SPOT_API}:443",
                      "-o", output, "--public-roots", net_pki.public_roots_file)
    assert run.returncode == 0, run.stderr
    return output


def helm_template(helm3: Path, *flags: str | Path) -> Rendered:
    env = clean_env(PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin")
    run = run_command([helm3, "template", RELEASE, FIXTURE_CHART, "--namespace", NAMESPACE,
                       *BASE_FLAGS, *flags], env=env)
    assert run.returncode == 0, run.stderr
    return parse(run.text)


def render(ask: Ask, proxy: MitmProxy, ca_file: Path, helm3: Path) -> Release:
    url = proxy.credentials_url if ask.credentials else proxy.url
    vendor = ("--set", f"spotinst.proxyUrl={url}", "--set", "caBundleSecret.create=true",
              "--set-file", f"caBundleSecret.data={ca_file}")
    if ask.post_renderer == "flags":
        flags = (*POST_RENDERER, "--post-renderer-args", f"--proxy-url={url}",
                 "--post-renderer-args", f"--ca-file={ca_file}")
    else:
        flags = (*vendor, *(POST_RENDERER if ask.post_renderer else ()))
    return Release(ask, helm_template(helm3, *flags), proxy)


@pytest.fixture(scope="module")
def image(net_pki) -> Image:
    return Image(net_pki.public_roots_file.read_bytes())


@pytest.fixture(scope="module")
def discovered_ca(intercepting_proxy, net_pki, tmp_path_factory) -> Path:
    return discover_ca(intercepting_proxy, net_pki, tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture(scope="module", params=POST_RENDERED, ids=lambda ask: ask.name)
def post_rendered(request, discovered_ca, helm3) -> Release:
    proxy = request.getfixturevalue(request.param.proxy)
    return render(request.param, proxy, discovered_ca, helm3)


@pytest.fixture(scope="module", params=CHART_ONLY, ids=lambda ask: ask.name)
def chart_only(request, discovered_ca, helm3) -> Release:
    proxy = request.getfixturevalue(request.param.proxy)
    return render(request.param, proxy, discovered_ca, helm3)


@pytest.fixture(params=["helm3", "helm4"])
def helm(request) -> Path:
    """The Go client: helm 3 and helm 4, two builds of Go's TLS and proxy code."""
    return request.getfixturevalue(request.param)


# -- clients ----------------------------------------------------------------------------


def go_pull(helm: Path, view: ContainerView, image: Image, workdir: Path) -> Run:
    """The Go stack: helm adds charts.spot.io and pulls a chart from it."""
    pulled = workdir / "pulled"
    pulled.mkdir(parents=True)
    return run_in_pod(view, [[helm, "repo", "add", "spot", f"https://{SPOT_CHARTS}"],
                             [helm, "pull", f"spot/{CHART}", "--destination", pulled]],
                      image=image, workdir=workdir)


def fluent_bit_get(view: ContainerView, image: Image, workdir: Path) -> Run:
    """fluent-bit's stack: its proxy handling and trust paths on OpenSSL, GET / of the API."""
    return run_in_pod(view, [[VENV_BIN / "python", "-I", FLUENT_BIT_CLIENT, SPOT_API]],
                      image=image, workdir=workdir)


def assert_pulled_through_the_proxy(run: Run, traffic: Traffic, origin: LocalServer,
                                    workdir: Path) -> None:
    assert run.returncode == 0, run.stderr
    assert (workdir / "pulled" / f"{CHART}-{VERSION}.tgz").read_bytes() == \
        origin.files[CHART_PATH]
    assert traffic.origin_requests == [(SPOT_CHARTS, "/index.yaml"), (SPOT_CHARTS, CHART_PATH)]
    # intercepted: mitmproxy decrypted the request and sent it on to the origin
    assert traffic.proxy_logged(f"GET https://{origin.address}{CHART_PATH}")


def assert_answered_through_the_proxy(run: Run, traffic: Traffic, origin: LocalServer,
                                      proxy: MitmProxy) -> None:
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == SPOT_API_ANSWER
    assert f"via proxy 127.0.0.1:{proxy.port}" in run.stderr
    assert traffic.origin_requests == [(SPOT_API, "/")]
    assert traffic.proxy_logged(f"GET https://{origin.address}/ ")


# -- the post-rendered spec works -------------------------------------------------------


@pytest.mark.parametrize("container", [CONTROLLER, AUTO_UPDATE])
def test_go_client_pulls_the_chart_through_the_proxy_with_the_post_rendered_spec(
        post_rendered, container, helm, image, spot_origin, tmp_path):
    with Traffic(post_rendered.proxy, spot_origin) as traffic:
        run = go_pull(helm, post_rendered.view(container), image, tmp_path)

    assert_pulled_through_the_proxy(run, traffic, spot_origin, tmp_path)


def test_fluent_bit_client_gets_the_spot_api_answer_with_the_post_rendered_spec(
        post_rendered, image, spot_origin, tmp_path):
    with Traffic(post_rendered.proxy, spot_origin) as traffic:
        run = fluent_bit_get(post_rendered.view(LOG_SHIPPER), image, tmp_path)

    assert_answered_through_the_proxy(run, traffic, spot_origin, post_rendered.proxy)


# -- the chart's own output does not ----------------------------------------------------


def test_controller_with_the_charts_output_reaches_the_proxy_but_does_not_trust_its_ca(
        chart_only, helm, image, spot_origin, tmp_path):
    with Traffic(chart_only.proxy, spot_origin) as traffic:
        run = go_pull(helm, chart_only.view(CONTROLLER), image, tmp_path)

    assert run.returncode == 1
    assert f"https://{SPOT_CHARTS}/index.yaml" in run.stderr
    assert "x509: certificate signed by unknown authority" in run.stderr
    assert traffic.proxy_logged(
        f"The client does not trust the proxy's certificate for {SPOT_CHARTS}")
    assert traffic.origin_requests == []


def test_auto_update_job_with_the_charts_output_has_no_proxy_and_reaches_nothing(
        chart_only, helm, image, spot_origin, tmp_path):
    with Traffic(chart_only.proxy, spot_origin) as traffic:
        run = go_pull(helm, chart_only.view(AUTO_UPDATE), image, tmp_path)

    assert run.returncode == 1
    assert f"lookup {SPOT_CHARTS}" in run.stderr  # it went direct: DNS, not the proxy
    assert traffic.proxy_connections == 0
    assert traffic.origin_requests == []


def test_log_shipper_with_the_charts_output_has_no_proxy_and_reaches_nothing(
        chart_only, image, spot_origin, tmp_path):
    with Traffic(chart_only.proxy, spot_origin) as traffic:
        run = fluent_bit_get(chart_only.view(LOG_SHIPPER), image, tmp_path)

    assert run.returncode == 1
    assert f"direct to {SPOT_API}:443 (no proxy)" in run.stderr
    assert traffic.proxy_connections == 0
    assert traffic.origin_requests == []


# -- what the spec carries --------------------------------------------------------------


def test_controller_keeps_the_charts_ca_variable_holding_the_discovered_ca(
        post_rendered, discovered_ca):
    env = post_rendered.view(CONTROLLER).env

    assert x509.load_pem_x509_certificates(env["USER_ENV_CERTIFICATES"].encode()) == \
        x509.load_pem_x509_certificates(discovered_ca.read_bytes())


@pytest.fixture(scope="module")
def credentials_release(auth_proxy, discovered_ca, helm3) -> Release:
    return render(WITH_CREDENTIALS, auth_proxy, discovered_ca, helm3)


def test_proxy_credentials_come_from_the_added_secret_and_nowhere_else(credentials_release):
    rendered = credentials_release.rendered
    encoded = quote(PROXY_PASSWORD, safe="")
    secret = rendered.one("Secret", PROXY_SECRET)
    token = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    others = json.dumps([doc for doc in rendered.docs if doc is not secret])
    for form in (PROXY_PASSWORD, encoded, token):
        assert form not in others
    assert set(secret) == {"apiVersion", "kind", "metadata", "type", "data"}
    assert any(encoded in base64.b64decode(value).decode() for value in secret["data"].values())
    for container in (CONTROLLER, LOG_SHIPPER, AUTO_UPDATE):
        pod = (embedded_job(rendered)["spec"]["template"] if container == AUTO_UPDATE
               else rendered.pod())
        env = {e["name"]: e for c in pod["spec"]["containers"] if c["name"] == container
               for e in c["env"]}
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            if (container, name) == (CONTROLLER, "HTTPS_PROXY"):  # the chart's, key blanked
                assert "secretKeyRef" not in env[name]["valueFrom"]
                continue
            assert env[name]["valueFrom"]["secretKeyRef"]["name"] == PROXY_SECRET, container


def test_the_vendor_command_alone_leaves_the_password_in_the_configmap(auth_proxy, discovered_ca,
                                                                       helm3):
    release = render(VENDOR_WITH_CREDENTIALS, auth_proxy, discovered_ca, helm3)

    assert quote(PROXY_PASSWORD, safe="") in release.rendered.config()["proxy-url"]


# -- a CA that only Go accepts ----------------------------------------------------------


@pytest.fixture(scope="module")
def intermediate_only_release(intermediate_only_proxy, net_pki, helm3, tmp_path_factory
                              ) -> Release:
    ca_file = discover_ca(intermediate_only_proxy, net_pki,
                          tmp_path_factory.mktemp("intermediate") / "ca.pem")
    assert x509.load_pem_x509_certificates(ca_file.read_bytes()) == [net_pki.inspection.cert]
    return render(Ask("intermediate-only", "intermediate_only_proxy", post_renderer="flags"),
                  intermediate_only_proxy, ca_file, helm3)


def test_an_intermediate_alone_is_enough_for_go(intermediate_only_release, helm3, image,
                                                spot_origin, tmp_path):
    release = intermediate_only_release
    with Traffic(release.proxy, spot_origin) as traffic:
        run = go_pull(helm3, release.view(CONTROLLER), image, tmp_path)

    assert_pulled_through_the_proxy(run, traffic, spot_origin, tmp_path)


def test_an_intermediate_alone_is_not_enough_for_openssl_as_check_bundle_warns(
        intermediate_only_release, image, spot_origin, tmp_path):
    release = intermediate_only_release
    with Traffic(release.proxy, spot_origin) as traffic:
        run = fluent_bit_get(release.view(LOG_SHIPPER), image, tmp_path)

    assert run.returncode == 1
    assert "tls: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get " \
           "issuer certificate" in run.stderr
    assert traffic.origin_requests == []


# -- a proxy URL Go cannot read ---------------------------------------------------------


def test_a_password_go_cannot_parse_makes_the_controller_skip_the_proxy_so_it_is_refused(
        auth_proxy, helm3, image, spot_origin, tmp_path):
    url = f"http://{PROXY_USER}:50%off@127.0.0.1:{auth_proxy.port}"  # '%' not written as %25
    ask = Ask("unencoded-percent", "auth_proxy", credentials=True, post_renderer=None)
    plain = Release(ask, helm_template(helm3, "--set", f"spotinst.proxyUrl={url}"), auth_proxy)
    with Traffic(auth_proxy, spot_origin) as traffic:
        run = go_pull(helm3, plain.view(CONTROLLER), image, tmp_path)

    assert run.returncode == 1
    assert f"lookup {SPOT_CHARTS}" in run.stderr  # Go dropped the proxy URL and went direct
    assert traffic.proxy_connections == 0
    refused = ocean_proxy("render", stdin=plain.rendered.text.encode())
    assert refused.returncode == 1
    assert "must be percent-encoded" in refused.stderr
    assert "50%off" not in refused.stderr
