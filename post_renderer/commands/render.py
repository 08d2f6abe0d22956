"""``ocean-proxy render`` and ``ocean-proxy-post-renderer``: the post-renderer as a command.

Reads the manifests (stdin or ``--filename``) and the user's settings, runs the pipeline,
and returns the manifests, the ``--plan`` JSON, or the ``--explain`` lines to print. The
output holds the Spot token and the proxy password: it goes to stdout only (render has no
``-o``: send it to a file with ``>``), and is never kept anywhere else.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import sys
from typing import TYPE_CHECKING

from post_renderer.commands import Outcome
from post_renderer.errors import LintError, ManifestError, UsageError, as_flags, shown
from post_renderer.user_files import SPACED_HINT, refuse_larger

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from post_renderer.render.lints import Lint
    from post_renderer.render.release.settings import UserSettings
    from post_renderer.trust import FactCache

MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024


def run(args: argparse.Namespace, said: Outcome) -> Outcome:
    if args.explain and args.plan:
        raise UsageError("--explain and --plan do not go together",
                         hint="--plan prints the changes as JSON; --explain as text on stderr")
    if args.filename and args.filename != "-" and said.helm_reads_output() and \
            not _is_standard_input(args.filename):
        _refuse_file_under_helm()
    user = user_settings(args, said)
    render(args, user, read_manifests(args.filename, said.helm_arguments), said)
    return said


def _refuse_file_under_helm() -> None:
    """Under helm, the manifests helm rendered are on standard input: ``-f FILE`` (helm's own
    ``-f`` is a values file) made helm deploy that file's manifests in their place, exit 0.
    A wrapper of the user's that saved helm's manifests to FILE first has read them all: with
    standard input at its end, FILE is what helm rendered, and is read."""
    if _unread_input():
        raise UsageError("-f reads the manifests from a file instead of the ones helm rendered, "
                         "which helm would then deploy in their place",
                         hint="leave -f out under helm, which gives the post-renderer its "
                              "manifests on standard input (settings from a file: "
                              "--post-renderer-args --config=FILE)")


def _is_standard_input(filename: str) -> bool:
    """'-f /dev/stdin' (or /dev/fd/0): helm's manifests, as '-f -' reads them."""
    try:
        return os.path.samestat(os.stat(filename), os.fstat(0))
    except OSError:
        return False


def _unread_input() -> bool:
    if sys.stdin is None or sys.stdin.isatty():
        return False
    try:
        return os.read(sys.stdin.fileno(), 1) != b""
    except OSError:
        return False


def user_settings(args: argparse.Namespace, said: Outcome) -> UserSettings:
    """The settings, read and checked; what is to be said of the config file is said first,
    whatever the render then does."""
    from post_renderer.render.release.settings import read_settings

    return read_settings(args, os.environ, said.warning, said.hide)


def render(args: argparse.Namespace, user: UserSettings, data: bytes, said: Outcome) -> None:
    """Run the pipeline on ``data`` and say what it did."""
    from post_renderer.render.pipeline import post_render

    result = post_render(data, user, facts=_fact_cache(args, said), hide=said.hide)
    strict = user.strict_source if user.strict else None
    first = len(said.messages)  # what the run did is said first, and then its notes
    # A refused render did none of what its notices and warnings tell (the ConfigMap blanked,
    # say: a notice without a password, a warning with one): only the lints are said.
    if not (strict and result.lints):
        for notice in result.notices:
            said.notice(notice)
        for warning in result.warnings:
            said.warning(warning)
    say_lints(result.lints, strict=strict, said=said)
    # a Spot agent's pods without a CA: a release of another chart has none to give one to
    if result.injection is not None and result.injection.trust is None:
        words = _post_rendering_helm(said)
        _say_helms_own_ca_file(words, said)
        if not result.secrets_hidden:  # else the chart's CA Secret may be among the hidden
            _say_ca_value_without_create(words, said)
    if result.plan is None:
        said.write(b'{"documents": []}\n' if args.plan else data)
        return
    from post_renderer.render.explain import explain_lines, plan_json, summary

    assert result.injection is not None  # a plan is made only for an injection
    said.headline(first, summary(result.plan, result.injection),
                  explain_lines(result.plan) if args.explain else [])
    if args.plan:
        said.write(plan_json(result.plan).encode("utf-8"))
    else:
        said.write(*result.parts)


def _fact_cache(args: argparse.Namespace, said: Outcome) -> Callable[[], FactCache]:
    """The certificate cache, opened (its key made, what an earlier build left deleted) only
    once the render has a Spot agent: a release of another chart touches none of it."""
    opened: list[FactCache] = []

    def facts() -> FactCache:
        if not opened:
            from post_renderer.trust import fact_cache_for

            opened.append(fact_cache_for(os.environ, disabled=args.no_cache))
            for notice in opened[0].notices:
                said.notice(notice)
        return opened[0]

    return facts


def say_lints(lints: tuple[Lint, ...], *, strict: str | None, said: Outcome,
              post_renderer: bool = True) -> None:
    """Warnings; with --strict (``strict``: where it was set, --strict or OCEAN_PROXY_STRICT)
    the first is the error, and nothing is written. A command that is no post-renderer
    (``values``) takes our flags as they are: its hints say nothing of helm's
    --post-renderer-args."""
    texts = [(lint.message, lint.hint if post_renderer else re.sub(_UNDER_HELM, "", lint.hint))
             for lint in lints]
    if not strict or not texts:
        for message, hint in texts:
            said.warning(f"{message}; {hint}")
        return
    for message, hint in texts[1:]:
        said.warning(f"{message}; {hint}")
    more = f" (and {len(lints) - 1} more, above)" if len(lints) > 1 else ""
    undo = "unset OCEAN_PROXY_STRICT" if strict == "OCEAN_PROXY_STRICT" else \
        f"drop {as_flags('--strict') if post_renderer else '--strict'}"
    raise LintError(texts[0][0] + more, hint=f"{texts[0][1]}; or {undo}")


# what as_flags adds for helm's command line (compiled, by re's own cache, for a command that
# is no post-renderer)
_UNDER_HELM = r" \(under helm: [^)]*\)"


def _post_rendering_helm(said: Outcome) -> list[str]:
    """The command line of the helm that runs this process as its post-renderer; none for a
    command plugin's own line ('helm ocean-proxy render ...'), which is all ours."""
    words = said.helm_arguments() or []
    return words if _post_rendering(words) else []


def _say_helms_own_ca_file(words: list[str], said: Outcome) -> None:
    """helm has a --ca-file of its own (the chart repository's CA) and takes one written after
    --post-renderer without --post-renderer-args before it: no pod gets that CA."""
    rest = iter(words)
    for word in rest:
        if word == "--post-renderer-args":
            next(rest, None)  # ours, whatever it says
        elif word.partition("=")[0] == "--ca-file":
            path = word.partition("=")[2] if "=" in word else next(rest, "")
            path = path if shown(path, quoted=False) == path and path.isprintable() else "FILE"
            said.warning(f"helm took --ca-file={path} as its own (the CA of the chart "
                         "repository): the pods get no CA from it; give it to ocean-proxy "
                         f"too: --post-renderer-args --ca-file={path}")
            return


def _say_ca_value_without_create(words: list[str], said: Outcome) -> None:
    """The vendor's CA flag without caBundleSecret.create=true: the chart renders no CA
    Secret, and the CA the user gave reaches no pod."""
    if not words:
        return
    from post_renderer.commands.helm_values import ca_value_without_create

    if ca_value_without_create(words):
        said.warning("helm was given caBundleSecret.data without caBundleSecret.create=true: "
                     "the chart renders no CA Secret from it, so no pod gets that CA; add "
                     "--set caBundleSecret.create=true, or give the CA to ocean-proxy: "
                     "--post-renderer-args --ca-file=FILE")


_NO_INPUT_HINT = ("pipe 'helm template' into it, or give it to helm with "
                  "--post-renderer ocean-proxy-post-renderer")
_NO_INPUT_HINT_OF_VALUES = "pipe 'helm template' into it, or give its output with -f FILE"
_UNREAD_HINTS = {PermissionError: "check the file's permissions",
                 IsADirectoryError: "name the file itself, not its directory"}


def read_manifests(filename: str,
                   helm_arguments: Callable[[], list[str] | None] = lambda: None, *,
                   post_renders: bool = True) -> bytes:
    """The manifests; ``helm_arguments``, the command line of the helm that runs this
    process, tells why there are none. ``post_renders``: helm may run this command as its
    post-renderer (not ``values``, which is for installs without one)."""
    if not filename:  # '-f "$MANIFESTS"' with MANIFESTS unset: not a file without a name
        raise UsageError("--filename is given but empty",
                         hint="give it a value (is the variable it comes from set?), or leave "
                              "the flag out to read standard input")
    data, where = _read(filename, post_renders)
    refuse_larger(data, MAX_INPUT_BYTES, where,
                  "a Helm release this large cannot be stored by Kubernetes", ManifestError)
    if not data or data.isspace():  # blank: stops at the first other byte, copies nothing
        helm_words = helm_arguments() or []
        _refuse_helm3_output_dir(helm_words)
        if _post_rendering(helm_words):
            _refuse_helm4_empty_release()
            return data  # a chart that renders nothing (only NOTES.txt, all disabled) is no error
        raise ManifestError(f"no manifests on {where}", hint=(
            f"render into it, 'helm template ... > {shlex.quote(filename)}': a command whose "
            "output was sent there may have failed before writing any"
            if _regular_file(filename) else "pipe the output of 'helm template' into it"))
    if not post_renders and filename != "-" and b"kind" not in data:  # helm's -f: values
        raise ManifestError(f"{where} holds no Kubernetes manifests: -f names the rendered "
                            "manifests (as kubectl's -f does), not a values file",
                            hint="give your own values files with --values FILE (helm's -f), "
                                 "and 'helm template' on standard input or with -f")
    return data


def _regular_file(filename: str) -> bool:
    """A file a command's output may have been sent to, not standard input, a pipe or
    ``<(...)``."""
    try:
        return filename != "-" and stat.S_ISREG(os.stat(filename).st_mode)
    except (OSError, ValueError):
        return False


def _read(filename: str, post_renders: bool) -> tuple[bytes, str]:
    """What standard input ('-') or the file holds, up to one byte over the limit; with where
    it came from, as messages name it."""
    if filename == "-":
        if sys.stdin is None:
            raise UsageError(
                "standard input is closed",
                hint=_NO_INPUT_HINT if post_renders else _NO_INPUT_HINT_OF_VALUES,
            )
        if sys.stdin.isatty():
            raise UsageError(
                "no manifests on standard input",
                hint=_NO_INPUT_HINT if post_renders else _NO_INPUT_HINT_OF_VALUES,
            )
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)  # 'yes |' is refused, not held
        where = "standard input"
    else:
        try:
            with open(filename, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as error:
            # a variable's line break or space: unseen in a name written without quotes
            spaced = isinstance(error, FileNotFoundError) and filename.strip() != filename
            raise ManifestError(f"cannot read {shown(filename, quoted=spaced)} ({error.strerror})",
                                hint=SPACED_HINT if spaced else _UNREAD_HINTS.get(
                                    type(error), "check the path given to --filename")) from None
        where = shown(filename, quoted=False)
    return data, where


def _post_rendering(helm_words: list[str]) -> bool:
    return any(word.partition("=")[0] == "--post-renderer" for word in helm_words)


def _refuse_helm4_empty_release() -> None:
    """Helm 4 fails a release whose post-renderer writes nothing, whatever the post-renderer
    ('produced empty output'): that is said as what it is, a chart that rendered nothing."""
    if os.environ.get("HELM_PLUGIN_NAME") == "ocean-proxy-post-renderer":
        raise ManifestError("helm handed the post-renderer no manifests: the chart renders "
                            "none, and Helm 4 fails any post-renderer that returns none",
                            hint="leave --post-renderer out of this release (Helm 3 takes it)")


def _refuse_helm3_output_dir(helm_words: list[str]) -> None:
    """Helm 3's 'helm template --output-dir' writes the chart's files itself and runs the
    post-renderer on what is left for stdout: nothing."""
    if any(word.partition("=")[0] == "--output-dir" for word in helm_words):
        raise ManifestError("helm handed the post-renderer no manifests: Helm 3's --output-dir "
                            "writes the chart's files as rendered, not post-rendered",
                            hint="drop --output-dir and send the output to a file (helm "
                                 "template ... > release.yaml); Helm 4 post-renders "
                                 "--output-dir")
