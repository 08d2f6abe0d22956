"""check-bundle's run(): the report as output, and the refusal as the Outcome's error."""

from __future__ import annotations

import argparse
import json

from post_renderer.commands import Outcome
from post_renderer.commands.check_bundle import run
from post_renderer.errors import BundleError

from ... import certs
from ...certs import DAY, NOW


def check(tmp_path, data: bytes, as_json: bool = False) -> Outcome:
    path = tmp_path / "ca.pem"
    path.write_bytes(data)
    return run(argparse.Namespace(files=[str(path)], json=as_json, no_cache=True), Outcome())


def test_a_good_ca_is_reported_ok_with_its_facts(tmp_path, corp_root):
    said = check(tmp_path, corp_root.pem)
    text = b"".join(said.output).decode()
    assert said.error is None
    assert f"{tmp_path / 'ca.pem'}: certificate 1: ok" in text
    assert "issuer        (self-signed)" in text
    assert corp_root.fingerprint[:2].upper() + ":" in text
    assert text.endswith("1 certificate(s): 1 ok, 0 with warnings, 0 left out, 0 refused\n")


def test_an_expired_ca_is_reported_and_is_the_outcomes_error(tmp_path):
    expired = certs.root("Expired Corp CA", not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    said = check(tmp_path, expired.pem)
    text = b"".join(said.output).decode()
    assert isinstance(said.error, BundleError)
    assert "Expired Corp CA" in said.error.message
    assert ": certificate 1: refused" in text  # the report is printed all the same


def test_an_expired_ca_next_to_a_usable_one_is_left_out_with_a_warning(tmp_path, corp_root):
    expired = certs.root("Expired Corp CA", not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    said = check(tmp_path, corp_root.pem + expired.pem)
    text = b"".join(said.output).decode()
    assert said.error is None  # as Go and OpenSSL do: the usable CA is trusted, exit 0
    assert ": certificate 1: ok" in text and ": certificate 2: left out" in text
    assert f"expired on {(NOW - DAY):%Y-%m-%d}: left out of the bundle" in text
    assert text.endswith("2 certificate(s): 1 ok, 0 with warnings, 1 left out, 0 refused\n")
    report = json.loads(b"".join(check(tmp_path, corp_root.pem + expired.pem, True).output))
    assert report["ok"] is True
    assert [c["verdict"] for c in report["certificates"]] == ["ok", "left out"]
    assert report["certificates"][1]["refusals"] == []
    assert report["counts"]["left_out"] == 1


def test_json_report_has_the_verdicts_and_counts(tmp_path, corp_root):
    said = check(tmp_path, corp_root.pem + certs.leaf(corp_root).pem, as_json=True)
    report = json.loads(b"".join(said.output))
    assert report["ok"] is False
    assert [c["verdict"] for c in report["certificates"]] == ["ok", "refused"]
    assert report["certificates"][0]["fingerprint_sha256"] == corp_root.fingerprint
    assert report["counts"] == {"total": 2, "ok": 1, "warning": 0, "left_out": 0, "refused": 1,
                                "skipped": 0}


def test_a_pasted_private_key_is_a_refused_block_not_quoted(tmp_path, corp_root):
    said = check(tmp_path, corp_root.pem + corp_root.key_pem)
    text = b"".join(said.output).decode()
    assert "is a private key: refused" in text
    assert corp_root.key_pem.splitlines()[1].decode() not in text
    assert said.error is not None


def test_json_ok_is_false_whenever_the_bundle_is_refused(tmp_path, corp_root):
    """Pasted openssl output that holds only the server's certificate has nothing refused
    certificate by certificate, yet nothing to trust: the run fails, and a pipeline reading
    "ok" must read the same verdict as the exit code."""
    leaf = certs.leaf(corp_root)
    pasted = b"CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = proxy\n" + leaf.pem
    said = check(tmp_path, pasted, as_json=True)
    report = json.loads(b"".join(said.output))
    assert isinstance(said.error, BundleError)
    assert report["ok"] is False
