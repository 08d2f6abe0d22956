"""Certificate verdicts against the runtimes that use the bundle: Go and OpenSSL.

The controller and the auto-updater's helm are Go (crypto/x509); the log-shipper (fluent-bit)
is OpenSSL. For every rule in runtime_pki, the real clients are asked first (helm 3 and
helm 4 pulling a chart over HTTPS with ``SSL_CERT_FILE``; ``openssl s_client`` with
``-CAfile``), and their outcomes are pinned here; then ``check-bundle``, ``verify`` and the
post-renderer must agree with them: a certificate is accepted only if Go trusts it, and
when only the log-shipper refuses it the warning says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .certs import DAY, NOW
from .certs import root as corp_root
from .chart_render import PROXY_FLAGS, parse
from .cli_outcomes import failure
from .conftest import FIXTURE_CHART, clean_env, ocean_proxy, post_renderer, run_command, tool
from .runtime_clients import ChainServer, ConnectTunnel, Outcome, go_outcome, openssl_outcome
from .runtime_pki import Case, cases

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

# Pinned runtime facts: (helm 3 = Go 1.23, helm 4 = Go 1.26+, OpenSSL 3 at security level 2),
# each True when the chain is trusted, else a piece of the client's error.
RUNTIMES: dict[str, tuple[bool | str, bool | str, bool | str]] = {
    "baseline": (True, True, True),
    # Go drops a root with a negative serial while loading SSL_CERT_FILE; OpenSSL keeps it
    "negative-serial": ("signed by unknown authority", "signed by unknown authority", True),
    "zero-serial": (True, True, True),
    "long-serial": (True, True, True),
    "negative-serial-intermediate-served": ("x509: negative serial number",
                                            "x509: negative serial number", True),
    "no-basic-constraints-intermediate-served": ("signed by unknown authority",
                                                 "signed by unknown authority",
                                                 "invalid CA certificate"),
    "critical-unknown-extension": ("unhandled critical extension",
                                   "unhandled critical extension",
                                   "unhandled critical extension"),
    "critical-unknown-extension-intermediate": ("unhandled critical extension",
                                                "unhandled critical extension",
                                                "unhandled critical extension"),
    # Go drops a root with a critical key identifier or AIA (RFC 5280: never critical)
    "critical-subject-key-identifier": ("signed by unknown authority",
                                        "signed by unknown authority",
                                        "unhandled critical extension"),
    "critical-authority-key-identifier": ("signed by unknown authority",
                                          "signed by unknown authority",
                                          "unhandled critical extension"),
    "critical-authority-information-access": ("signed by unknown authority",
                                              "signed by unknown authority",
                                              "unhandled critical extension"),
    "critical-crl-distribution-points": (True, True, True),
    "critical-certificate-policies": (True, True, True),
    # the policy extensions: Go 1.23 (helm 3) refuses them critical, later Go and OpenSSL not
    "critical-policy-constraints": ("unhandled critical extension", True, True),
    "critical-inhibit-any-policy": ("unhandled critical extension", True, True),
    # Go: a v3 issuer needs basicConstraints cA=true, even as the trust anchor
    "no-basic-constraints": ("signed by unknown authority", "signed by unknown authority",
                             True),
    # a version 1 root has no extensions to state it is a CA: both take it as one
    "version-1-root": (True, True, True),
    "basic-constraints-not-ca": ("signed by unknown authority", "signed by unknown authority",
                                 "invalid CA certificate"),
    # with the intermediate in the bundle Go anchors there; OpenSSL goes on to the root
    "path-length-exceeded": (True, True, "path length constraint exceeded"),
    "path-length-exceeded-served": ("too many intermediates", "too many intermediates",
                                    "path length constraint exceeded"),
    # a limit of 0 intermediates, and none: at its limit, not over it
    "path-length-zero-signs-the-server": (True, True, True),
    "key-usage-without-cert-sign": ("signed by unknown authority",
                                    "signed by unknown authority", "invalid CA certificate"),
    "name-constraints-violated": ("not authorized to sign for this name",
                                  "not authorized to sign for this name",
                                  "permitted subtree violation"),
    "dsa-key": ("signed by unknown authority", "handshake failure", True),
    # Go knows the NIST curves only: it drops a root on the curve of Bitcoin keys
    "ec-secp256k1": ("signed by unknown authority", "signed by unknown authority", True),
    "rsa-1024": (True, True, "CA certificate key too weak"),
    # Go 1.24 and later refuse RSA keys under 1024 bits
    "rsa-512": (True, "signed by unknown authority", "CA certificate key too weak"),
    "sha1-intermediate-served": ("signed by unknown authority",
                                 "signed by unknown authority",
                                 "CA signature digest algorithm too weak"),
    "sha1-intermediate-in-bundle": (True, True, "CA signature digest algorithm too weak"),
    "md5-intermediate-served": ("signed by unknown authority", "signed by unknown authority",
                                "CA signature digest algorithm too weak"),
    # nobody checks the trust anchor's own signature
    "sha1-self-signed-root": (True, True, True),
    "expired-root": ("expired or is not yet valid", "expired or is not yet valid",
                     "certificate has expired"),
    "not-yet-valid-root": ("expired or is not yet valid", "expired or is not yet valid",
                           "certificate is not yet valid"),
    "expired-root-beside-a-good-one": (True, True, True),
}


class Runtimes:
    """Each case's outcome with each real client, asked once per session."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._found: dict[str, tuple[Outcome, Outcome, Outcome]] = {}

    def __call__(self, case: Case) -> tuple[Outcome, Outcome, Outcome]:
        if case.name not in self._found:
            home = self._directory / case.name
            bundle = write_bundle(case, home)
            with ChainServer(case.served_pem, case.served[0].key_pem, home / "server") as server:
                self._found[case.name] = (
                    go_outcome(tool("helm3"), bundle, server, home / "helm3"),
                    go_outcome(tool("helm4"), bundle, server, home / "helm4"),
                    openssl_outcome(bundle, server),
                )
        return self._found[case.name]

    def go_trusts(self, case: Case) -> bool:
        """The controller's Go version is not known: trusted only if every Go trusts it."""
        helm3, helm4, _ = self(case)
        return helm3.trusted and helm4.trusted

    def openssl_trusts(self, case: Case) -> bool:
        return self(case)[2].trusted


@pytest.fixture(scope="session")
def runtimes(tmp_path_factory) -> Runtimes:
    return Runtimes(tmp_path_factory.mktemp("runtimes"))


def write_bundle(case: Case, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bundle.pem"
    path.write_bytes(case.bundle_pem)
    return path


def check_bundle(*files: Path):
    run = ocean_proxy("check-bundle", "--json", *files)
    assert "Traceback" not in run.stderr
    return run, json.loads(run.stdout)


def entry_of(report: dict, fingerprint: str) -> dict:
    (entry,) = [c for c in report["certificates"] if c.get("fingerprint_sha256") == fingerprint]
    return entry


def said(entry: dict) -> str:
    """Everything check-bundle says about one certificate."""
    parts = [r["message"] + " " + r["hint"] for r in entry["refusals"]]
    return " ".join([*parts, *entry["warnings"], entry.get("skipped") or ""])


ALL = sorted(cases())
JUDGED = [name for name in ALL if cases()[name].suspect is not None
          and name != "expired-root-beside-a-good-one"]


# -- the runtimes, pinned --------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_go_and_openssl_outcomes_are_pinned(runtimes, name):
    outcomes = runtimes(cases()[name])

    for client, expected, outcome in zip(("helm3 (Go)", "helm4 (Go)", "openssl"),
                                         RUNTIMES[name], outcomes, strict=True):
        if expected is True:
            assert outcome.trusted, f"{client} refused {name}: {outcome.reason}"
        else:
            assert not outcome.trusted, f"{client} trusted {name}"
            assert expected in outcome.reason, f"{client}: {outcome.reason}"


# -- check-bundle agrees with them -----------------------------------------------------------


@pytest.mark.parametrize("name", JUDGED)
def test_check_bundle_accepts_only_what_go_trusts_and_names_the_runtime_that_refuses(
        runtimes, name, tmp_path):
    case = cases()[name]
    run, report = check_bundle(write_bundle(case, tmp_path))
    entry = entry_of(report, case.suspect.fingerprint)
    words = said(entry)

    if not runtimes.go_trusts(case):
        assert entry["verdict"] not in ("ok", "warning"), words
        assert case.reason.lower() in words.lower(), words
        if runtimes.openssl_trusts(case):
            assert "controller" in words, words
        usable = [c for c in report["certificates"] if c["verdict"] in ("ok", "warning")]
        assert run.returncode == (0 if usable else 1), run.stderr
    elif not runtimes.openssl_trusts(case):
        assert run.returncode == 0, run.stderr
        assert entry["verdict"] == "warning", words
        assert "log-shipper" in words and case.reason.lower() in words.lower(), words
    else:
        assert run.returncode == 0, run.stderr
        assert entry["verdict"] == "ok", words


def test_no_sha1_warning_for_a_self_signed_roots_own_signature(tmp_path):
    case = cases()["sha1-self-signed-root"]

    run, report = check_bundle(write_bundle(case, tmp_path))

    assert run.returncode == 0, run.stderr
    assert report["certificates"][0]["warnings"] == []
    assert "SHA-1" not in run.stderr and "sha1" not in run.stderr.lower()


def test_sha1_below_the_anchor_is_a_warning_for_the_log_shipper_only(tmp_path):
    case = cases()["sha1-intermediate-in-bundle"]

    run, report = check_bundle(write_bundle(case, tmp_path))

    root, intermediate = (entry_of(report, c.fingerprint) for c in case.bundle)
    assert run.returncode == 0, run.stderr
    assert root["verdict"] == "ok" and root["warnings"] == []
    assert any("SHA-1" in w and "log-shipper" in w for w in intermediate["warnings"])


def test_an_expired_root_beside_a_good_one_is_left_out_and_named(tmp_path):
    case = cases()["expired-root-beside-a-good-one"]
    expired, fresh = case.bundle

    run, report = check_bundle(write_bundle(case, tmp_path))

    assert run.returncode == 0, run.stderr
    assert report["ok"] is True
    assert entry_of(report, fresh.fingerprint)["verdict"] == "ok"
    left_out = entry_of(report, expired.fingerprint)
    assert left_out["verdict"] not in ("ok", "warning", "refused")
    assert "expired" in said(left_out) and "left out" in said(left_out)
    assert any(expired.cert.subject.rfc4514_string() in w and "left out" in w
               for w in left_out["warnings"])


def test_a_bundle_of_only_expired_roots_is_refused(tmp_path):
    case = cases()["expired-root"]

    run, report = check_bundle(write_bundle(case, tmp_path))

    assert run.returncode == 1 and report["ok"] is False
    assert "expired" in run.stderr


def expired_in(pem: bytes) -> list[x509.Certificate]:
    now = dt.datetime.now(dt.timezone.utc)
    with warnings.catch_warnings():  # one system root has serial 0, which cryptography flags
        warnings.simplefilter("ignore")
        certificates = x509.load_pem_x509_certificates(pem)
    return [c for c in certificates if c.not_valid_after_utc < now]


def system_bundle(tmp_path: Path) -> Path:
    """The machine's public bundle, with one expired root more: whether the machine's own
    bundle still carries an expired root depends on its ca-certificates release."""
    path = tmp_path / "ca-certificates.crt"
    expired = corp_root("Retired Public Root CA", not_before=NOW - 900 * DAY,
                        not_after=NOW - 30 * DAY)
    path.write_bytes(SYSTEM_BUNDLE.read_bytes() + expired.pem)
    return path


def test_the_system_bundle_plus_a_corporate_root_is_accepted_with_warnings(tmp_path):
    corporate = tmp_path / "corp-root.pem"
    corporate.write_bytes(corp_root("Corp Proxy Root CA").pem)
    public = system_bundle(tmp_path)

    run, report = check_bundle(public, corporate)

    assert run.returncode == 0, run.stderr
    assert report["ok"] is True
    assert report["certificates"][-1]["verdict"] == "ok"
    expired = expired_in(public.read_bytes())
    assert expired
    for cert in expired:
        entry = entry_of(report, cert.fingerprint(hashes.SHA256()).hex())
        assert entry["verdict"] not in ("ok", "warning", "refused"), said(entry)
        assert "expired" in said(entry) and "left out" in said(entry)


# -- verify agrees with them -----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_verify_never_says_verified_for_a_chain_go_refuses(runtimes, name, tmp_path):
    case = cases()[name]
    bundle = write_bundle(case, tmp_path)
    unrelated = tmp_path / "public-roots.pem"
    unrelated.write_bytes(corp_root("Unrelated Public Root").pem)

    with ChainServer(case.served_pem, case.served[0].key_pem, tmp_path / "server") as server, \
            ConnectTunnel() as tunnel:
        run = ocean_proxy("verify", "--proxy", tunnel.url, "--target",
                          f"127.0.0.1:{server.port}", "--servername", "localhost",
                          "--public-roots", unrelated, "--ca-file", bundle, "--timeout", "5")

    if not runtimes.go_trusts(case):
        failure(run)
        assert "verified" not in run.stderr
        if runtimes.openssl_trusts(case):
            assert "controller" in run.stderr, run.stderr
    elif not runtimes.openssl_trusts(case):
        error, _ = failure(run)
        assert "log-shipper" in error
    else:
        assert run.returncode == 0, run.stderr
        assert "verified" in run.stderr


# -- the post-renderer agrees with them ------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> bytes:
    home = tmp_path_factory.mktemp("helm-home")
    run = run_command([tool("helm3"), "template", "ocean-controller", FIXTURE_CHART,
                       "--namespace", "spot-system", *PROXY_FLAGS],
                      env=clean_env(HELM_DATA_HOME=str(home), HELM_CONFIG_HOME=str(home),
                                    HELM_CACHE_HOME=str(home)))
    assert run.returncode == 0, run.stderr
    return run.stdout


def secret_payloads(output: bytes) -> bytes:
    found = b""
    for doc in parse(output.decode()).docs:
        if doc["kind"] == "Secret":
            found += b"".join(base64.b64decode(v) for v in (doc.get("data") or {}).values())
    return found


def test_post_renderer_refuses_a_root_the_controller_cannot_use(rendered, tmp_path):
    case = cases()["negative-serial"]

    run = post_renderer("--ca-file", write_bundle(case, tmp_path), stdin=rendered)

    error, hint = failure(run)
    assert "negative serial" in error and "controller" in error
    assert hint


def test_post_renderer_injects_the_good_root_and_leaves_the_expired_one_out(rendered, tmp_path):
    case = cases()["expired-root-beside-a-good-one"]
    expired, fresh = case.bundle

    run = post_renderer("--ca-file", write_bundle(case, tmp_path), stdin=rendered)

    assert run.returncode == 0, run.stderr
    trusted = secret_payloads(run.stdout)
    assert fresh.pem in trusted and expired.pem not in trusted
    assert expired.cert.subject.rfc4514_string() in run.stderr and "left out" in run.stderr


def test_post_renderer_accepts_the_system_bundle_plus_a_corporate_root(rendered, tmp_path):
    corporate = tmp_path / "corp-root.pem"
    corporate.write_bytes(corp_root("Corp Proxy Root CA").pem)

    public = system_bundle(tmp_path)

    run = post_renderer("--ca-file", public, "--ca-file", corporate, stdin=rendered)

    assert run.returncode == 0, run.stderr
    trusted = secret_payloads(run.stdout)
    assert corporate.read_bytes() in trusted
    expired = expired_in(public.read_bytes())
    assert expired
    for cert in expired:
        assert cert.subject.rfc4514_string() in run.stderr
        assert cert.public_bytes(serialization.Encoding.PEM) not in trusted
