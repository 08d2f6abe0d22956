"""``ocean-proxy render`` and ``ocean-proxy-post-renderer``: the post-renderer as a command.

Reads the manifests (stdin or ``--filename``) and the user's settings, runs the pipeline,
and returns the manifests, the ``--plan`` JSON, or the ``--explain`` lines to print. A run
whose input, settings and files are the same as an earlier one's is replayed from the
output cache (``output_cache``) without importing the pipeline.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

from post_renderer import TYPE_CHECKING, output_cache
from post_renderer.commands import Message, Outcome
from post_renderer.digests import sha256, sha256_hex
from post_renderer.errors import LintError, ManifestError, OceanProxyError, UsageError, shown
from post_renderer.render.release.setting_sources import named_files

if TYPE_CHECKING:
    import argparse
    import datetime as dt

    from post_renderer.render.lints import Lint
    from post_renderer.render.pipeline import RenderResult
    from post_renderer.render.release.settings import UserSettings

MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024


def run(args: argparse.Namespace, said: Outcome) -> Outcome:
    if args.explain and args.plan:
        raise UsageError("--explain and --plan do not go together",
                         hint="--plan prints the changes as JSON; --explain as text on stderr")
    cache = output_cache.output_cache_for(os.environ, disabled=args.no_cache)
    if cache.directory is None:
        user = user_settings(args)
        render(args, user, read_manifests(args.filename), said)
        return said
    try:
        data = read_manifests(args.filename)
    except OceanProxyError:
        user_settings(args)  # its mistakes are said first, as without the cache
        raise
    key = run_key(args, os.environ, data)
    entry = cache.load(key) if key is not None else None
    if entry is not None:
        said.messages.extend(Message(level, text) for level, text in entry.messages)
        said.write(entry.output)
        return said
    import datetime as dt  # a hit never needs the clock as a date

    started = output_cache.now()
    user = user_settings(args)
    said_before, written_before = len(said.messages), len(said.output)
    result = render(args, user, data, said, dt.datetime.fromtimestamp(started, dt.timezone.utc))
    entry = _entry(result, user, started, said.messages[said_before:],
                   b"".join(said.output[written_before:]))
    if key is not None and entry is not None:
        cache.store(key, entry)
    return said


def user_settings(args: argparse.Namespace) -> UserSettings:
    """The settings, read and checked; imported here, since a hit never needs them."""
    from post_renderer.render.release.settings import read_settings

    return read_settings(args, os.environ)


def render(args: argparse.Namespace, user: UserSettings, data: bytes, said: Outcome,
           now: dt.datetime | None = None) -> RenderResult:
    """Run the pipeline on ``data`` and say what it did; the result, for the cache."""
    from post_renderer.render.pipeline import post_render
    from post_renderer.trust import fact_cache_for

    facts = fact_cache_for(os.environ, disabled=args.no_cache)
    result = post_render(data, user, now=now, facts=facts)
    for notice in result.notices:
        said.notice(notice)
    for warning in result.warnings:
        said.warning(warning)
    _say_lints(result.lints, strict=args.strict or os.environ.get("OCEAN_PROXY_STRICT") == "true",
               said=said)
    if result.plan is None:
        said.write(b'{"documents": []}\n' if args.plan else data)
        return result
    from post_renderer.render.explain import explain_lines, plan_json, summary

    assert result.injection is not None  # a plan is made only for an injection
    said.notice(summary(result.plan, result.injection))
    if args.explain:
        for line in explain_lines(result.plan):
            said.detail(line)
    if args.plan:
        said.write(plan_json(result.plan).encode("utf-8"))
    else:
        said.write(*result.parts)
    return result


def run_key(args: argparse.Namespace, environ: Mapping[str, str], data: bytes) -> bytes | None:
    """SHA-256 of all a run's output and messages depend on, besides the clock and the files a
    config file names (those: ``Entry.depends``); None when a named file is missing (an error
    follows) or not a regular file (a pipe can be read only once)."""
    files = []
    for path in named_files(args, environ):
        digest = output_cache.file_digest(path)
        if digest is None:
            return None
        files.append((path, digest))
    options = sorted((name, value) for name, value in vars(args).items() if name != "handler")
    settings = sorted((name, value) for name, value in environ.items()
                      if name.startswith("OCEAN_PROXY_"))
    fingerprint = json.dumps([options, settings, files]).encode("utf-8")
    # JSON never holds a raw NUL, so where the fingerprint ends and the input starts is clear
    return sha256(output_cache.code_identity() + b"\0" + fingerprint + b"\0" + data)


def _entry(result: RenderResult, user: UserSettings, started: float,
           messages: list[Message], output: bytes) -> output_cache.Entry | None:
    """What to remember of this run; None when it cannot be told when it stops being true."""
    valid_until = None
    trust = result.injection.trust if result.injection is not None else None
    if trust is not None:
        import datetime as dt

        from post_renderer.trust import verdicts_change_after

        change = verdicts_change_after((*trust.certificates, *trust.judged),
                                       dt.datetime.fromtimestamp(started, dt.timezone.utc))
        if change is not None:
            valid_until = change.timestamp() - 1  # a second early: no rounding can cross it
            if valid_until <= started:
                return None
    depends = []
    for path, contents in user.ca_files.value if user.ca_files else ():
        digest = sha256_hex(contents)
        if output_cache.file_digest(path) != digest:  # a pipe, or changed while we read it
            return None
        depends.append((path, digest))
    return output_cache.Entry(output, tuple((m.level, m.text) for m in messages), started,
                              valid_until, tuple(depends))


def _say_lints(lints: tuple[Lint, ...], *, strict: bool, said: Outcome) -> None:
    """Warnings; with --strict the first is the error, and nothing is written."""
    if not strict or not lints:
        for lint in lints:
            said.warning(f"{lint.message}; {lint.hint}")
        return
    for lint in lints[1:]:
        said.warning(f"{lint.message}; {lint.hint}")
    more = f" (and {len(lints) - 1} more, above)" if len(lints) > 1 else ""
    raise LintError(lints[0].message + more, hint=f"{lints[0].hint}; or drop --strict")


def read_manifests(filename: str) -> bytes:
    if filename == "-":
        if sys.stdin is None:
            raise UsageError(
                "standard input is closed",
                hint="pipe 'helm template' into it, or give it to helm with "
                     "--post-renderer ocean-proxy-post-renderer",
            )
        if sys.stdin.isatty():
            raise UsageError(
                "no manifests on standard input",
                hint="pipe 'helm template' into it, or give it to helm with "
                     "--post-renderer ocean-proxy-post-renderer",
            )
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        try:
            with open(filename, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as error:
            raise UsageError(f"cannot read {shown(filename, quoted=False)} ({error.strerror})",
                             hint="check the path given to --filename") from None
        where = shown(filename, quoted=False)
    if len(data) > MAX_INPUT_BYTES:
        raise ManifestError(f"{where} is larger than 2 GiB",
                            hint="a Helm release this large cannot be stored by Kubernetes")
    if not data.strip():
        raise ManifestError(f"no manifests on {where}",
                            hint="pipe the output of 'helm template' into it")
    return data
