"""Command line: parses arguments (``arguments``), runs one command, turns errors into exit
codes.

Exit codes: 0 success, 1 bad input / refused bundle / failed check, 2 usage error.
Heavy modules are imported by the command that needs them, so ``--help`` starts fast.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, NoReturn

from post_renderer.commands import DETAIL, NOTICE, WARNING, Message, Outcome
from post_renderer.errors import OceanProxyError, OutputError, UsageError
from post_renderer.helm_plugins import HELM_COMMAND, PROGRAM
from post_renderer.message_secrets import credentials_in
from post_renderer.report import Reporter, discard_buffered, reporter_for_process, settled

if TYPE_CHECKING:
    import argparse


def main(argv: Sequence[str] | None = None,
         parser_factory: Callable[[], argparse.ArgumentParser] | None = None) -> int:
    # Library warnings (ruamel on a reused anchor, cryptography on BER) quote the input, which
    # can hold secrets, in a form meant for developers: what users need, the reporter says.
    warnings.simplefilter("ignore")
    arguments = list(sys.argv[1:] if argv is None else argv)
    reporter = reporter_for_process(hidden=credentials_in(
        [*arguments, *(value for name, value in os.environ.items()
                       if name.startswith("OCEAN_PROXY_"))],
        urls=[os.environ.get("OCEAN_PROXY_URL", "")]))
    return settled(_main(arguments, parser_factory, reporter), reporter)


def _main(arguments: list[str],
          parser_factory: Callable[[], argparse.ArgumentParser] | None,
          reporter: Reporter) -> int:
    said = Outcome()
    said.hidden = reporter.hide_later
    said.prompt = reporter.notice
    said.helm_arguments = _helm_arguments
    said.helm_reads_output = _helm_reads_output
    try:
        said = _run_command(arguments, parser_factory, said, reporter)
        if said.names_commands:
            said.output = [reporter.as_run(b"".join(said.output).decode("utf-8"))
                           .encode("utf-8")]
        _write_output(said)
    except OceanProxyError as error:
        _say(reporter, said.messages, only_warnings=isinstance(error, OutputError))
        reporter.error(error)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        reporter.error(OceanProxyError(
            "out of memory", hint="the input is larger than this machine can hold"))
        return 1
    except RecursionError:
        reporter.error(OceanProxyError(
            "input is nested too deeply to process",
            hint="Kubernetes manifests are never nested this deeply; check the input"))
        return 1
    except Exception as error:  # never a traceback: it could quote a secret from the input
        reporter.error(OceanProxyError(
            f"internal error ({type(error).__name__})",
            hint="please report this with the command you ran (not its input)"))
        return 1
    _say(reporter, said.messages)
    if said.error is not None:
        reporter.error(said.error)
        return said.error.exit_code
    return 0


def _helm_arguments() -> list[str] | None:
    from post_renderer.helm_stderr import helm_arguments

    return helm_arguments()


def _helm_reads_output() -> bool:
    from post_renderer.helm_stderr import helm_reads_stdout

    return helm_reads_stdout()


def _write_output(said: Outcome) -> None:
    """The command's bytes, to stdout or to its file; a failure is an OutputError. Files are
    staged first and put in place once everything else was written: a run that fails writes
    none of them (the Secrets of ``values --secrets`` when stdout is full, for one). What is
    written into (a FIFO, a device) cannot be taken back: it goes before stdout, so that a
    failure there leaves nothing on stdout."""
    if not said.side_files and said.output_path is None:
        if said.output:
            _write_stdout(said.output)
        return
    from post_renderer.output_file import PendingFile, stage_output  # only when a file is named

    staged: list[PendingFile] = []
    with _stopped_by_exception():
        try:
            for path, data, mode in said.side_files:
                staged.append(stage_output(path, data, new_file_mode=mode))
            if said.output and said.output_path is not None:
                staged.append(stage_output(said.output_path, b"".join(said.output)))
            for pending in staged:
                if pending.in_place:
                    pending.commit()
            if said.output and said.output_path is None:
                _write_stdout(said.output)
            for pending in staged:
                pending.commit()
        finally:
            for pending in staged:
                pending.discard()  # nothing, once committed


@contextlib.contextmanager
def _stopped_by_exception() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) and SIGHUP (a closed terminal) end the run through an
    exception inside, so that files staged beside their place (the Secrets, under a hidden
    name no ignore rule of theirs covers) are removed as after a failure; by default these
    signals end the process where it stands, writing to a pipe nobody reads, say. An ignored
    SIGHUP (nohup) stays ignored, and the handlers are handed back after: a caller of main()
    in its own process keeps its own."""
    import signal

    def stop(number: int, frame: object) -> NoReturn:
        # stopped in a write to a full pipe, whose rest would hold the exit
        discard_buffered(sys.stdout)
        raise SystemExit(128 + number)  # the status a shell gives a run the signal ended

    caught = [number for number in (signal.SIGTERM, signal.SIGHUP)
              if signal.getsignal(number) == signal.SIG_DFL]
    for number in caught:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number in caught:
            signal.signal(number, signal.SIG_DFL)


def _write_stdout(output: list[bytes | memoryview]) -> None:
    out = sys.stdout
    if out is None:
        raise OutputError("standard output is closed",
                          hint="run it with standard output open, e.g. redirected to a file")
    try:
        out.buffer.writelines(output)
        out.buffer.flush()
    except OSError as error:
        raise _unwritten(error) from None


def _flush_printed() -> None:
    """What argparse printed (--help, --version) is still buffered: written here, so that a
    standard output that cannot take it is our one error, not Python's as it exits."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as error:
        raise _unwritten(error) from None


def _unwritten(error: OSError) -> OutputError:
    """The error for a write to standard output that failed. What stayed in its buffer goes
    to /dev/null, as Python's documentation does for a broken pipe: the interpreter writes it
    again as it exits, and that failure would follow ours as 'Exception ignored' and exit 120
    (wherever Python buffers standard output: everywhere but under PYTHONUNBUFFERED)."""
    discard_buffered(sys.stdout)
    if isinstance(error, BrokenPipeError):
        return OutputError("standard output was closed before everything was written",
                           hint="the program reading the output stopped early")
    return OutputError(f"cannot write to standard output ({error.strerror or 'failed'})",
                       hint=_WRITE_HINTS.get(error.errno or 0, "check where the output is "
                                             "redirected"))


_WRITE_HINTS = {errno.ENOSPC: "check the free space where the output is redirected",
                errno.EDQUOT: "check the disk quota where the output is redirected",
                errno.EBADF: "standard output is not open for writing: redirect it to a file "
                             "with '>'"}


def _say(reporter: Reporter, messages: Sequence[Message], *, only_warnings: bool = False) -> None:
    warned = False  # a warning's own lines under it are said with it
    for message in messages:
        if message.level != DETAIL:
            warned = message.level == WARNING
        if message.level == WARNING:
            reporter.warning(message.text)
        elif only_warnings and not (warned and message.level == DETAIL):
            continue
        elif message.level == NOTICE:
            reporter.notice(message.text)
        else:
            reporter.detail(message.text)


def _run_command(arguments: list[str],
                 parser_factory: Callable[[], argparse.ArgumentParser] | None,
                 said: Outcome, reporter: Reporter) -> Outcome:
    """The command the arguments name, run: what it says, and its output."""
    _refuse_text_under_helm(arguments)
    args = _parse(arguments, parser_factory)
    if getattr(args, "plan", False):
        _refuse_plan_under_helm()
    if getattr(args, "debug", None) is False and os.environ.get("HELM_DEBUG") == "true":
        args.debug = True  # helm keeps --debug for itself and passes HELM_DEBUG instead
    if getattr(args, "debug", False):
        said.live = lambda text: reporter.detail(f"ocean-proxy: debug: {text}")
    handler: Callable[[argparse.Namespace, Outcome], Outcome] = args.handler
    return handler(args, said)


def _parse(arguments: list[str],
           parser_factory: Callable[[], argparse.ArgumentParser] | None) -> argparse.Namespace:
    tool = parser_factory is None
    if parser_factory is None:
        from post_renderer.arguments import build_parser

        # The usage lines --help prints are copied as they are: under the command plugin,
        # which puts no 'ocean-proxy' on PATH (Helm 4), they are helm's command line.
        under_helm = os.environ.get("HELM_PLUGIN_NAME") == PROGRAM
        parser_factory = partial(build_parser, HELM_COMMAND) if under_helm else build_parser
    parser = parser_factory()
    try:
        return parser.parse_args(arguments)
    except SystemExit:  # --help, --version: printed, then the parser exits
        _flush_printed()
        raise
    except UsageError:
        import argparse  # loaded by the parser already

        commands = {name for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction) for name in action.choices}
        if tool and not commands.intersection(arguments):
            from post_renderer.helm_stderr import helm_reads_stdout

            if helm_reads_stdout():  # --post-renderer ocean-proxy: the plugin's name
                raise UsageError("helm runs 'ocean-proxy', the command-line tool, as its "
                                 "post-renderer", hint="the post-renderer is "
                                 "ocean-proxy-post-renderer: --post-renderer "
                                 "ocean-proxy-post-renderer") from None
        raise


_TEXT_FLAGS = ("-h", "--help", "--version")


def _refuse_text_under_helm(arguments: list[str]) -> None:
    """--help and --version print text and exit 0: under helm, that text was the release
    ('helm template' wrote it as the manifests, 'helm upgrade' failed on a YAML error).
    Looked for among the words of each argument: helm passes '--post-renderer-args
    "--explain --version"' as one, which the parser reads as the flags a shell would."""
    given = [word for argument in arguments for word in argument.split()
             if word in _TEXT_FLAGS]
    if not given:
        return
    from post_renderer.helm_stderr import helm_reads_stdout

    if helm_reads_stdout():
        raise UsageError(f"{given[0]} prints text instead of the manifests, which helm would "
                         "take for the release",
                         hint=f"run 'ocean-proxy-post-renderer {given[0]}' by itself, not as "
                              "helm's post-renderer; there, --post-renderer-args --explain shows "
                              "what it changes")


def _refuse_plan_under_helm() -> None:
    from post_renderer.helm_stderr import helm_reads_stdout

    if helm_reads_stdout():  # helm would deploy the JSON as the release's manifests
        raise UsageError("--plan prints JSON instead of the manifests, which helm would take "
                         "for the release",
                         hint="under helm, --post-renderer-args --explain shows the changes; "
                              "--plan is for "
                              "'helm template ... | ocean-proxy render --plan'")


def post_renderer_main() -> int:
    """``ocean-proxy-post-renderer [options]``: the same as ``ocean-proxy render [options]``."""
    from post_renderer.arguments import build_post_renderer_parser

    # One render, then the process exits: what it allocates is freed by reference counting,
    # and the collector's passes over every imported module's objects cost a tenth of a warm
    # run. Peak memory on the benchmark's 2 MB and 20 MB streams is the same without them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return main(sys.argv[1:], build_post_renderer_parser)
    finally:
        if collecting:
            gc.enable()


def post_renderer_script() -> NoReturn:
    """The ``ocean-proxy-post-renderer`` console script: ``post_renderer_main``, then the
    process ends without tearing the interpreter down. The render is written and flushed by
    then, files are closed, and the lines held for a helm log that only takes them once helm
    has exited are handed over here, since exit handlers do not run; freeing every imported
    module's objects one by one only to exit would take a seventh of a warm run."""
    code = post_renderer_main()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the interpreter's own exit reports a stream that fails as before
    held_for_helm = sys.modules.get("post_renderer.helm_stderr")  # loaded only under helm
    if held_for_helm is not None:
        held_for_helm.hand_over_waiting_lines()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
