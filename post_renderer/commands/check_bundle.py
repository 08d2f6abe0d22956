"""``ocean-proxy check-bundle FILE...``: the post-renderer's CA checks, as a report.

Like a linter, it prints its findings whatever they are, and exits 1 when any certificate
or block is refused (the same ones the post-renderer would refuse), 0 otherwise:

    $ ocean-proxy check-bundle corp-root.pem
    corp-root.pem: certificate 1: ok
      subject       CN=Corp Root CA,O=Corp
      issuer        (self-signed)
      valid         2024-01-01 00:00 UTC to 2034-01-01 00:00 UTC
      CA            yes
      ...

``--json`` prints the same facts for pipelines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from post_renderer.commands import Outcome
from post_renderer.errors import BundleError, UsageError, visible
from post_renderer.trust import (
    MAX_CA_FILE_BYTES,
    STDIN,
    BundleReport,
    Verdict,
    fact_cache_for,
    inspect_bundle,
    shorten,
)
from post_renderer.user_files import read_user_file


def run(args: argparse.Namespace, said: Outcome) -> Outcome:
    report = BundleReport()
    facts = fact_cache_for(os.environ, disabled=args.no_cache)
    for notice in facts.notices:
        said.notice(notice)
    for name in args.files:
        report.extend(inspect_bundle(_read(name, said), STDIN if name == "-" else name,
                                     facts=facts))
    try:
        report.trust_bundle()  # what the post-renderer decides: the exit code and "ok"
    except BundleError as error:
        said.error = error  # the report is printed all the same, like a linter's
    # the text report quotes file names and certificate names: escaped, like every message
    text = json.dumps(_as_json(report, ok=said.error is None), indent=2) if args.json else \
        "\n".join(visible(line) for line in _as_text(report))
    said.write(text.encode("utf-8") + b"\n")
    said.names_commands = True
    return said


def _read(name: str, said: Outcome) -> bytes:
    """A file, or '-': a pipe or a file as it comes, a terminal after saying what it waits
    for and how to end it (else the command seems to hang)."""
    if not name:  # 'check-bundle "$CA_FILE"' with the variable unset
        raise UsageError("check-bundle is given an empty file name",
                         hint="name the CA file (is the variable it comes from set?)")
    if name != "-":
        return read_user_file(name, MAX_CA_FILE_BYTES, "CA file")
    if sys.stdin is None:  # '<&-': a closed descriptor, which Python leaves as None
        raise UsageError("standard input is closed",
                         hint="pipe the CA bundle into it ('... | ocean-proxy check-bundle "
                              "-'), or name its file")
    if not sys.stdin.isatty():
        return sys.stdin.buffer.read(MAX_CA_FILE_BYTES)
    said.prompt("reading a CA bundle from the terminal: paste the PEM, then press Ctrl-D "
                "at the start of a line (Ctrl-C to stop)")
    pasted = sys.stdin.buffer.read(MAX_CA_FILE_BYTES)
    if not pasted.strip():  # Ctrl-D before any paste: no command piped anything that failed
        raise BundleError("nothing was pasted on the terminal",
                          hint="paste the PEM, then press Ctrl-D at the start of a line; or "
                               "name the CA file: 'ocean-proxy check-bundle FILE'")
    return pasted


def _as_text(report: BundleReport) -> list[str]:
    lines: list[str] = []
    for verdict in report.verdicts:
        lines.append(f"{verdict.source}: certificate {verdict.position}: "
                     f"{report.state_of(verdict)}")
        cert = verdict.certificate
        if cert is not None:
            issuer = "(self-signed)" if cert.self_signed else shorten(cert.issuer)
            lines += [
                f"  subject       {cert.label}",
                f"  issuer        {issuer}",
                f"  valid         {cert.not_before:%Y-%m-%d %H:%M} UTC to "
                f"{cert.not_after:%Y-%m-%d %H:%M} UTC",
                f"  CA            {_ca_text(cert.is_ca)}",
                f"  key           {cert.key_description}, signed with "
                f"{cert.signature_hash or 'unknown'}",
                f"  sha256        {_colons(cert.fingerprint)}",
                f"  openssl hash  {cert.subject_hash}",
            ]
        lines += [f"  {kind}: {text}" for kind, text in _findings(report, verdict)]
    for message, hint in report.problems:
        lines.append(f"{message}: refused")
        lines.append(f"  hint: {hint}")
    counts = _counts(report)
    lines.append(f"{counts['total']} certificate(s): {counts['ok']} ok, {counts['warning']} "
                 f"with warnings, {counts['left_out']} left out, {counts['refused']} refused"
                 + (f", {counts['skipped']} skipped" if counts["skipped"] else "")
                 + (f"; {len(report.problems)} block(s) refused" if report.problems else ""))
    return lines


def _as_json(report: BundleReport, *, ok: bool) -> dict[str, object]:
    certificates = []
    for verdict in report.verdicts:
        cert = verdict.certificate
        entry: dict[str, object] = {
            "source": verdict.source,
            "position": verdict.position,
            "verdict": report.state_of(verdict),
            "refusals": [{"message": m, "hint": h} for m, h in report.refusals_of(verdict)],
            "warnings": list(report.warnings_of(verdict)),
            "skipped": verdict.skipped,
        }
        if cert is not None:
            entry.update({
                "subject": cert.subject,
                "issuer": cert.issuer,
                "self_signed": cert.self_signed,
                "not_before": cert.not_before.isoformat(),
                "not_after": cert.not_after.isoformat(),
                "is_ca": cert.is_ca,
                "key": cert.key_description,
                "signature_hash": cert.signature_hash,
                "fingerprint_sha256": cert.fingerprint,
                "subject_hash": cert.subject_hash,
            })
        certificates.append(entry)
    return {
        "ok": ok,
        "certificates": certificates,
        "problems": [{"message": m, "hint": h} for m, h in report.problems],
        "counts": _counts(report),
    }


def _findings(report: BundleReport, verdict: Verdict) -> list[tuple[str, str]]:
    found = [("refused", f"{m} (hint: {h})") for m, h in report.refusals_of(verdict)]
    found += [("warning", w) for w in report.warnings_of(verdict)]
    if verdict.skipped:
        found.append(("skipped", verdict.skipped))
    return found


def _counts(report: BundleReport) -> dict[str, int]:
    counts = {"total": len(report.verdicts), "ok": 0, "warning": 0, "refused": 0, "skipped": 0,
              "left_out": 0}
    for verdict in report.verdicts:
        counts[report.state_of(verdict).replace(" ", "_")] += 1
    return counts


def _ca_text(is_ca: bool | None) -> str:
    return "not stated (no basic constraints)" if is_ca is None else "yes" if is_ca else "no"


def _colons(hex_digest: str) -> str:
    return ":".join(hex_digest[i:i + 2] for i in range(0, len(hex_digest), 2)).upper()
