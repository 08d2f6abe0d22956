"""examples/helmfile deployed with ``helmfile sync``, the real helmfile against the real API
server, with Helm 3 and Helm 4 set up as the README says (``user``), on a machine behind the
corporate proxy: helm fetches charts.spot.io through the intercepting proxy with Basic auth
(the ``repository`` fixture), set up by the README's lines for it (``behind_the_proxy``).

What the user depends on: the chart comes through the proxy, the controller goes through the
same proxy and trusts the same CA, no password is in plain sight in the cluster, in helmfile's
output (but with ``--debug``, as the README warns) nor on disk in helm's or helmfile's files, a
pipeline that runs the same sync again changes nothing in the cluster, and a proxy that refuses
the credentials, or a CA helm does not trust, stops the sync with the words the README's
troubleshooting names. The example runs as written but for two
things the shared test server needs: ``--namespace`` (each test has its own; helmfile's flag
overrides the file's ``spot-system``) and ``--set metrics-server.apiService.create=false`` (one
cluster-wide APIService for every release of the suite).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from .. import certs
from ..chart_render import CA_KEY
from ..conftest import Run
from ..helmfile_example import PROXY_HEADING, README, behind_the_proxy, helmfile, project
from ..netfixtures.fixtures import PROXY_USER
from ..netfixtures.pki import SPOT_CHARTS, NetPki
from ..test_readme import section
from .auto_update_job import SECOND, ChartRepository
from .helm_users import HelmUser
from .release import (
    CONTROLLER,
    PROXY_PASSWORD,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    injected_names,
    ok,
)
from .server import ApiServer
from .stored import Stored

RELEASE = "ocean-controller"  # the example's
SPOTINST = {"SPOTINST_ACCOUNT": "act-12345678", "SPOTINST_CLUSTER_IDENTIFIER": "prod-eu-1",
            "SPOTINST_TOKEN": "spot-token-0123456789abcdef"}
HELM_RECORDS = "sh.helm.release.v1."  # helm's release history: a new revision each sync
WRONG_PASSWORD = "Wr0ng-pa55@word"
UNREACHABLE = "is not a valid chart repository or cannot be reached"  # helm's words


@dataclass(frozen=True)
class Helmfile:
    """The user's copy of the example, their environment, helmfile's global flags, and the
    directories that are the user's own: home (helm's config and cache, helmfile's cache),
    the temporary directory, the project."""

    project: Path
    env: dict[str, str]
    flags: tuple[str, ...]
    own_dirs: tuple[Path, ...]

    def __call__(self, *args: str) -> Run:
        return helmfile(self.project, self.env, *self.flags, *args)


@pytest.fixture
def user_shell(user: HelmUser, cluster_namespace: str, repository: ChartRepository,
               net_pki: NetPki, api_server: ApiServer, tmp_path: Path) -> Helmfile:
    """The user's shell after the README's lines for the proxy: helm's config and cache (and
    so ocean-proxy's cache) in a home of the test's own (the plugins stay where the session
    installed them); the proxy's CA is the one that goes into the controller;
    SPOTINST_PROXY_URL is the same proxy."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    proxy_url = repository.proxy.credentials_url
    env = {name: value for name, value in user.env.items()
           if name not in {"OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE"}}
    env.update(SPOTINST, SPOTINST_PROXY_URL=proxy_url, HOME=str(home), TMPDIR=str(tmp),
               HELM_CONFIG_HOME=str(home / ".config" / "helm"),
               HELM_CACHE_HOME=str(home / ".cache" / "helm"), XDG_CACHE_HOME=str(home / ".cache"))
    copied = project(tmp_path, net_pki.corp_root.pem)  # charts.spot.io as written
    env.update(behind_the_proxy(copied, env, proxy_url, urlsplit(api_server.url).hostname or ""))
    return Helmfile(copied, env, ("--helm-binary", str(user.binary), "--namespace",
                                  cluster_namespace),
                    (home, tmp, copied, Path(user.env["HELM_DATA_HOME"])))


@pytest.fixture
def user_helmfile(user_shell: Helmfile) -> Iterator[Helmfile]:
    """The release is destroyed afterwards: its ClusterRoles are named after it, the same for
    every test."""
    yield user_shell
    ok(user_shell("destroy"))


def objects(stored: Stored) -> dict[str, str]:
    """Each stored object's resourceVersion, helm's release records aside."""
    return {f"{kind} {name}": found["metadata"]["resourceVersion"]
            for kind, by_name in (("Deployment", stored.deployments), ("Secret", stored.secrets),
                                  ("ConfigMap", stored.configmaps),
                                  ("DaemonSet", stored.daemonsets))
            for name, found in by_name.items() if not name.startswith(HELM_RECORDS)}


def password_forms(password: str) -> list[bytes]:
    """The password as given, percent-encoded (in a URL) and in a Proxy-Authorization
    header's Basic credentials."""
    return [password.encode(), quote(password, safe="").encode(),
            base64.b64encode(f"{PROXY_USER}:{password}".encode())]


def shown(run: Run, password: str) -> list[bytes]:
    """The forms of ``password`` in a run's output."""
    output = run.stdout + run.stderr.encode()
    return [form for form in password_forms(password) if form in output]


def files_with(directories: tuple[Path, ...], needles: list[bytes]) -> list[str]:
    return [str(path) for directory in directories for path in sorted(directory.rglob("*"))
            if path.is_file() and not path.is_symlink()
            and any(needle in path.read_bytes() for needle in needles)]


def test_helmfile_sync_through_the_proxy_gives_the_controller_the_proxy_and_the_ca(
        user_helmfile, api_server, cluster_namespace, repository, net_pki):
    proxy_url, corp_ca = repository.proxy.credentials_url, net_pki.corp_root.pem
    assert repository.proxy.spec.password == PROXY_PASSWORD  # the one check() looks for
    asked_before = len(repository.origin.requests)

    first = ok(user_helmfile("sync", *SUITE_FLAGS))

    asked = repository.origin.requests[asked_before:]  # the origin is behind the proxy only
    assert (SPOT_CHARTS, "/index.yaml") in asked
    assert (SPOT_CHARTS, f"/charts/{CONTROLLER}-{SECOND}.tgz") in asked
    controller = ControllerRelease(api_server, cluster_namespace, RELEASE)
    stored = controller.check()  # every pod can start; the proxy password nowhere in sight
    template = stored.deployments[controller.fullname]["spec"]["template"]
    assert injected_names(template) == {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy",
                                        "http_proxy", "no_proxy", "SSL_CERT_DIR"}
    assert stored.secret_text(f"{controller.fullname}-ocean-proxy", "proxy-url") == proxy_url
    assert stored.secret_text(f"{controller.fullname}-ca-bundle", CA_KEY) == corp_ca.decode()
    [container] = [c for c in template["spec"]["containers"] if c["name"] == CONTROLLER]
    no_proxy = next(e["value"] for e in container["env"] if e["name"] == "NO_PROXY")
    assert {".corp.example", "10.0.0.0/8"} <= set(no_proxy.split(","))  # postRendererArgs
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert f"/etc/ssl/certs/{certs.openssl_subject_hash(corp_ca)}.0" in mounts
    installed = generation(controller)
    before = objects(stored)

    again = ok(user_helmfile("sync", *SUITE_FLAGS))  # the pipeline runs again

    after = controller.check()
    assert objects(after) == before
    assert generation(controller) == installed
    records = sorted(name for name in after.secrets if name.startswith(HELM_RECORDS))
    assert records == [f"{HELM_RECORDS}{RELEASE}.v1", f"{HELM_RECORDS}{RELEASE}.v2"]
    assert shown(first, PROXY_PASSWORD) == shown(again, PROXY_PASSWORD) == []  # a CI log
    # what the README warns of: --debug prints the rendered values, secrets and all
    debugged = ok(user_helmfile("--debug", "sync", *SUITE_FLAGS))
    assert shown(debugged, PROXY_PASSWORD)
    assert SPOTINST["SPOTINST_TOKEN"] in debugged.stderr + debugged.text
    assert "`helmfile --debug`" in section(README.read_text(), PROXY_HEADING)
    # helm's repositories.yaml, caches and config, helmfile's temporary values files
    home = user_helmfile.own_dirs[0]
    assert (home / ".config" / "helm" / "repositories.yaml").is_file()
    assert (home / ".cache" / "helm" / "ocean-proxy").is_dir()
    assert files_with(user_helmfile.own_dirs, password_forms(PROXY_PASSWORD)) == []


def troubleshooting() -> list[str]:
    """What the README's troubleshooting quotes, after its lines for the proxy."""
    after_the_lines = section(README.read_text(), PROXY_HEADING).rsplit("```", 1)[1]
    return [" ".join(quoted.split()) for quoted in re.findall(r"`([^`]+)`", after_the_lines)]


@pytest.mark.parametrize("broken", ["wrong password", "CA not trusted"])
def test_helmfile_behind_a_refusing_proxy_stops_with_the_readmes_words(
        user_shell, repository, api_server, cluster_namespace, broken):
    env = dict(user_shell.env)
    if broken == "wrong password":
        env["HTTPS_PROXY"] = repository.proxy.url_with(PROXY_USER, WRONG_PASSWORD)
        why = "Proxy Authentication Required"
    else:
        del env["SSL_CERT_FILE"]
        why = "x509: certificate signed by unknown authority"

    run = replace(user_shell, env=env)("sync", *SUITE_FLAGS)

    assert run.returncode != 0
    quoted = troubleshooting()
    assert {"helm repo add", UNREACHABLE, why} <= set(quoted), quoted
    # helmfile names the helm command that failed, one argument a line, and helm's error
    assert re.findall(r"^ +\d+: (\S+) \(\d+ bytes\)$", run.stderr, re.M)[1:3] == ["repo", "add"]
    [helm_says] = {line.strip() for line in run.stderr.splitlines() if "Error:" in line}
    assert UNREACHABLE in helm_says and helm_says.endswith(why), helm_says
    assert shown(run, PROXY_PASSWORD) == shown(run, WRONG_PASSWORD) == []
    assert api_server.list("deployments", cluster_namespace) == []  # nothing was installed
