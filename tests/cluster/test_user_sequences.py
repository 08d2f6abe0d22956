"""Sequences of helm commands that platform teams run on one release, against a real API server.

Each test is one such sequence with real helm 3 or 4: ``helm uninstall`` and an install again
with another CA (also Helm 3, then Helm 4); a CA taken out, then another put in; two releases
in two namespaces; ``helm uninstall --keep-history``, an install and ``helm rollback`` across
it, or the rollback alone; ``--dry-run`` and ``--dry-run=server`` installs and upgrades; a
password given to the post-renderer alone, looked for in helm's records; settings in several
``-f`` files with ``--reset-then-reuse-values``, ``--reuse-values`` and ``--set-string``;
``helm rollback`` to each earlier revision after several upgrades. After every step
``ControllerRelease.check`` reads what the API server stored (every pod starts, no password in
plain sight), and ``trusted`` says which corporate CAs the stored pod gives the controller's
Go stack and the log-shipper's OpenSSL: exactly the ones the user's last command names.
"""

from __future__ import annotations

import base64
import posixpath
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .. import certs
from ..kubelet_view import ContainerView, container_view
from .helm_users import HelmUser
from .release import (
    CONTROLLER,
    PROXY_PASSWORD,
    PROXY_URL,
    SUITE_FLAGS,
    ControllerRelease,
    generation,
    ok,
    pod_shape,
    vendor_flags,
)
from .server import ApiServer
from .stored import Stored

LOG_SHIPPER = "log-shipper"
OPENSSL_DIR = "/etc/ssl/certs"


@pytest.fixture(scope="module")
def roots() -> tuple[certs.Issued, certs.Issued]:
    return certs.root("Corp Proxy Root CA"), certs.root("Corp Proxy Root CA 2027")


@pytest.fixture
def bundles(roots, tmp_path: Path) -> dict[str, Path]:
    """The first root, the second, and both (a rotation under way), each in a file."""
    first, second = roots
    files = {"first": first.pem, "second": second.pem, "both": first.pem + second.pem}
    for name, pem in files.items():
        (tmp_path / f"{name}.pem").write_bytes(pem)
    return {name: tmp_path / f"{name}.pem" for name in files}


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str, bundles) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}",
                             vendor_flags(bundles["first"]))


def _ders(pem: bytes) -> set[bytes]:
    return {cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(pem)}


def _files(view: ContainerView) -> dict[str, bytes]:
    """Every file the container's Secret volumes put in its filesystem, by path."""
    files = {}
    for mount in view.secret_mounts:
        if mount.sub_path:
            files[mount.mount_path] = mount.files[mount.sub_path]
        else:
            files.update((posixpath.join(mount.mount_path, path), content)
                         for path, content in mount.files.items())
    return files


def trusted(controller: ControllerRelease, container: str) -> set[bytes]:
    """The CAs (DER) the stored pod adds to what ``container`` trusts: Go reads every file of
    each ``SSL_CERT_DIR`` directory (and the controller ``USER_ENV_CERTIFICATES``), OpenSSL
    looks issuers up in /etc/ssl/certs."""
    docs = controller.api.list("secrets,configmaps", controller.namespace)
    view = container_view(docs, controller.template(), container,
                          namespace=controller.namespace)
    dirs = view.env.get("SSL_CERT_DIR", "").split(":") if container == CONTROLLER \
        else [OPENSSL_DIR]
    found = {der for path, content in _files(view).items() if posixpath.dirname(path) in dirs
             for der in _ders(content)}
    if container == CONTROLLER and view.env.get("USER_ENV_CERTIFICATES"):
        found |= _ders(view.env["USER_ENV_CERTIFICATES"].encode())
    return found


def assert_trusts(controller: ControllerRelease, *cas: certs.Issued) -> None:
    wanted = {ca.der for ca in cas}
    for container in (CONTROLLER, LOG_SHIPPER):
        assert trusted(controller, container) == wanted, container


def test_a_reinstall_with_another_ca_drops_the_ca_of_the_uninstalled_release(
        user, controller, roots, bundles):
    """The kept Secrets survive ``helm uninstall``; the install that adopts them must not
    leave the first release's CA trusted when the user's new command names only another."""
    first, second = roots
    ok(controller.upgrade(user))
    controller.check()
    assert_trusts(controller, first)
    ok(user.helm("uninstall", controller.name, "--namespace", controller.namespace))

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['second']}"))

    controller.check()
    assert_trusts(controller, second)


def test_a_ca_taken_out_then_another_one_put_in_is_trusted_alone(
        user, controller, roots, bundles):
    """A CA-less revision (a proxy that stopped intercepting) renders no CA Secret: the kept
    one stays behind, outside the release, and the revision that brings a CA back adopts it
    like a reinstall does."""
    first, second = roots
    ok(controller.upgrade(user))
    assert_trusts(controller, first)
    ok(controller.upgrade(user, "--set", "caBundleSecret.create=false",
                          "--set", "caBundleSecret.data="))
    controller.check()
    assert_trusts(controller)

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['second']}"))

    controller.check()
    assert_trusts(controller, second)


def test_a_helm4_reinstall_of_a_helm3_release_drops_the_first_ca_too(
        helm_users, controller, roots, bundles):
    """A team moves to Helm 4 across an uninstall: Helm 4 adopts the Secrets Helm 3 kept."""
    first, second = roots
    ok(controller.upgrade(helm_users.get("helm3")))
    assert_trusts(controller, first)
    helm4 = helm_users.get("helm4")
    ok(helm4.helm("uninstall", controller.name, "--namespace", controller.namespace))

    ok(controller.upgrade(helm4, "--set-file", f"caBundleSecret.data={bundles['second']}"))

    controller.check()
    assert_trusts(controller, second)


def test_releases_in_two_namespaces_keep_their_own_proxy_and_ca(
        user, api_server, controller, roots, bundles):
    second = roots[1]
    namespace = api_server.create_namespace(f"{controller.namespace[:55]}-other")
    other = ControllerRelease(api_server, namespace, f"{controller.name}b",
                              vendor_flags(bundles["second"], PROXY_URL.replace("alice", "bob")))
    ok(controller.upgrade(user))
    ok(other.upgrade(user))
    installed = other.check().deployments[other.fullname]["spec"]["template"]

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['both']}"))
    ok(user.helm("uninstall", controller.name, "-n", controller.namespace))

    stored = other.check()
    assert other.template() == installed
    assert_trusts(other, second)
    assert stored.secret_text(f"{other.fullname}-ocean-proxy", "proxy-url") == \
        PROXY_URL.replace("alice", "bob")


def test_uninstall_keep_history_then_install_then_rollback_across_it(
        user, controller, roots, bundles):
    first, second = roots
    ok(controller.upgrade(user))  # 1
    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['both']}"))  # 2
    rotating = controller.check().deployments[controller.fullname]["spec"]["template"]
    ok(user.helm("uninstall", controller.name, "-n", controller.namespace, "--keep-history"))
    controller.check()

    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['second']}"))  # 3
    controller.check()
    assert_trusts(controller, second)

    ok(user.helm("rollback", controller.name, "2", "-n", controller.namespace))  # 4
    controller.check()
    assert pod_shape(controller.template()) == pod_shape(rotating)
    assert_trusts(controller, first, second)
    ok(user.helm("rollback", controller.name, "1", "-n", controller.namespace))  # 5
    controller.check()
    assert_trusts(controller, first)


def test_an_uninstall_with_keep_history_is_undone_by_a_rollback(user, controller, roots, bundles):
    """Uninstalled by mistake: ``helm rollback`` to an earlier revision brings the release
    back over the kept Secrets, with that revision's CA and no other."""
    first, _ = roots
    ok(controller.upgrade(user))  # 1
    installed = controller.check().deployments[controller.fullname]["spec"]["template"]
    ok(controller.upgrade(user, "--set-file", f"caBundleSecret.data={bundles['second']}"))  # 2
    ok(user.helm("uninstall", controller.name, "-n", controller.namespace, "--keep-history"))

    ok(user.helm("rollback", controller.name, "1", "-n", controller.namespace))

    controller.check()
    assert pod_shape(controller.template()) == pod_shape(installed)
    assert_trusts(controller, first)


def stored_state(stored: Stored) -> dict[str, object]:
    """What a dry run must leave as it was: every Deployment's spec, every Secret's and
    ConfigMap's data (helm's release records included)."""
    return {**{f"Deployment {n}": d["spec"] for n, d in stored.deployments.items()},
            **{f"Secret {n}": s.get("data") for n, s in stored.secrets.items()},
            **{f"ConfigMap {n}": c.get("data") for n, c in stored.configmaps.items()}}


@pytest.mark.parametrize("dry_run", ["--dry-run", "--dry-run=server"])
def test_dry_runs_store_nothing_and_show_no_password(user, controller, bundles, dry_run):
    first_install = controller.upgrade(user, dry_run)
    assert first_install.returncode == 0, first_install.stderr
    assert PROXY_PASSWORD not in first_install.text + first_install.stderr
    assert set(controller.stored().secrets) == set()  # no Secret, no release record

    ok(controller.upgrade(user))
    before = stored_state(controller.check())
    new_url = PROXY_URL.replace("alice", "bob")
    changed = controller.upgrade(user, dry_run, "--set", f"spotinst.proxyUrl={new_url}",
                                 "--set-file", f"caBundleSecret.data={bundles['both']}")
    assert changed.returncode == 0, changed.stderr
    assert PROXY_PASSWORD not in changed.text + changed.stderr
    assert stored_state(controller.check()) == before
    ok(controller.upgrade(user))  # the real upgrade after it: nothing to change
    assert generation(controller) == 1


@pytest.mark.parametrize("dry_run", ["--dry-run", "--dry-run=server"])
def test_a_dry_run_with_hide_secret_prints_no_secret_and_no_password_in_base64(
        user, controller, dry_run):
    """A dry run prints every manifest, the proxy Secret ocean-proxy adds among them, whose
    data is the whole proxy URL in base64 (the README says so); with helm's --hide-secret no
    Secret is printed, ocean-proxy's neither. Helm 4 hides them once the post-renderer has
    run; Helm 3 hides the chart's from the post-renderer itself, which then hides its own
    and says that the dry run shows the release without them (no CA from caBundleSecret),
    not that no CA is configured."""
    encoded = base64.b64encode(PROXY_URL.encode()).decode()
    shown = controller.upgrade(user, dry_run)
    assert shown.returncode == 0, shown.stderr
    assert encoded in shown.text  # without the flag: the proxy Secret, whole
    hidden = controller.upgrade(user, dry_run, "--hide-secret")
    assert hidden.returncode == 0, hidden.stderr
    documents = [d for d in yaml.safe_load_all(hidden.text.split("\nMANIFEST:\n", 1)[-1]
                                               .split("\nNOTES:\n", 1)[0])
                 if isinstance(d, dict)]
    kinds = [d.get("kind") for d in documents]
    assert "Deployment" in kinds and "Secret" not in kinds, kinds
    assert encoded not in hidden.text and PROXY_PASSWORD not in hidden.text + hidden.stderr
    told = "helm hid the chart's Secrets from the post-renderer (--hide-secret, Helm 3)"
    assert (told in hidden.stderr) == (user.major == "helm3"), hidden.stderr
    assert "no CA bundle configured" not in hidden.stderr, hidden.stderr


def test_a_password_given_to_the_post_renderer_alone_stays_out_of_helms_records(
        user, api_server, cluster_namespace, bundles):
    """``--proxy-url`` as a post-renderer argument: helm's stored release (its values, its
    manifest, its hooks and notes) holds the password nowhere in plain text, through a
    first install, an upgrade and a rollback."""
    controller = ControllerRelease(
        api_server, cluster_namespace, f"oc-{cluster_namespace.split('-')[0]}",
        ["--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
         "--set", "spotinst.token=TOKEN", *SUITE_FLAGS], [f"--proxy-url={PROXY_URL}"])
    shown = (PROXY_PASSWORD, quote(PROXY_PASSWORD, safe=""))
    ok(controller.upgrade(user, "--post-renderer-args", f"--ca-file={bundles['first']}"))
    ok(controller.upgrade(user, "--post-renderer-args", f"--ca-file={bundles['both']}"))
    ok(user.helm("rollback", controller.name, "1", "-n", controller.namespace))

    controller.check()
    for revision in ("1", "2", "3"):
        for what in (("all",), ("values", "--all")):
            record = ok(user.helm("get", *what, controller.name, "-n", controller.namespace,
                                  "--revision", revision))
            assert not [s for s in shown if s in record.text], (revision, what)


def test_settings_in_several_values_files_then_reset_then_reuse_and_set_string(
        user, api_server, cluster_namespace, roots, bundles, tmp_path):
    """A pipeline keeps the proxy in one values file and the CA in another, rotates the CA
    with ``--reset-then-reuse-values``, takes the old one out with ``--reuse-values``, and
    gives the same URL with ``--set-string``: the pods roll exactly at each CA change."""
    first, second = roots
    proxy_values, ca_values = tmp_path / "proxy.yaml", tmp_path / "ca.yaml"
    proxy_values.write_text(yaml.safe_dump({"spotinst": {
        "account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN",
        "proxyUrl": PROXY_URL}}))
    ca_values.write_text(yaml.safe_dump({"caBundleSecret": {
        "create": True, "data": bundles["first"].read_text()}}))
    controller = ControllerRelease(api_server, cluster_namespace,
                                   f"oc-{cluster_namespace.split('-')[0]}", [*SUITE_FLAGS])

    ok(controller.upgrade(user, "-f", proxy_values, "-f", ca_values))
    installed = controller.check().deployments[controller.fullname]["spec"]["template"]
    assert_trusts(controller, first)

    ok(controller.upgrade(user, "--reset-then-reuse-values",
                          "--set-file", f"caBundleSecret.data={bundles['both']}"))
    controller.check()
    assert generation(controller) == 2
    assert_trusts(controller, first, second)

    ok(controller.upgrade(user, "--reuse-values",
                          "--set-file", f"caBundleSecret.data={bundles['second']}"))
    controller.check()
    assert generation(controller) == 3
    assert_trusts(controller, second)

    ok(controller.upgrade(user, "--reuse-values", "--set-string",
                          f"spotinst.proxyUrl={PROXY_URL}"))
    controller.check()
    assert generation(controller) == 3

    ok(controller.upgrade(user, "-f", proxy_values, "-f", ca_values))  # the files alone again
    controller.check()
    assert generation(controller) == 4
    assert controller.template() == installed
    assert_trusts(controller, first)


def test_rollback_to_each_earlier_revision_after_several_upgrades(
        user: HelmUser, controller, roots, bundles):
    first, second = roots
    steps = [((), (first,)),
             (("--set-file", f"caBundleSecret.data={bundles['both']}"), (first, second)),
             (("--post-renderer-args", "--no-proxy=.corp.example"), (first,)),
             (("--set", f"spotinst.proxyUrl={PROXY_URL.replace('alice', 'bob')}"), (first,)),
             (("--set-file", f"caBundleSecret.data={bundles['second']}"), (second,)),
             (("--set", "spotinst.proxyUrl="), (first,))]
    revisions: dict[int, tuple[Stored, set[bytes]]] = {}
    for number, (step, cas) in enumerate(steps, start=1):
        ok(controller.upgrade(user, *step))
        revisions[number] = controller.check(), {ca.der for ca in cas}
        assert_trusts(controller, *cas)

    for number in sorted(revisions, reverse=True)[1:]:
        ok(user.helm("rollback", controller.name, str(number), "-n", controller.namespace))
        stored = controller.check()
        expected, cas = revisions[number]
        assert pod_shape(controller.template()) == pod_shape(
            expected.deployments[controller.fullname]["spec"]["template"]), number
        for name, secret in expected.secrets.items():
            if name.startswith(controller.fullname):
                assert stored.secrets[name].get("data") == secret.get("data"), (number, name)
        for container in (CONTROLLER, LOG_SHIPPER):
            assert trusted(controller, container) == cas, (number, container)
