"""argparse as the command line needs it: arguments read as users and helm write them, before
argparse reads them; usage mistakes raised as ``UsageError`` (``usage_mistakes``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from post_renderer.errors import UsageError
from post_renderer.usage_mistakes import SEPARATE_ARGUMENTS, UsageMistakes

if TYPE_CHECKING:
    from typing import Any


class Parser(UsageMistakes):
    """argparse that reads each argument as users and helm write them, and reports usage
    mistakes as UsageError instead of exiting by itself.

    Abbreviated options are off: a future option must not change what an existing
    abbreviation means. Before argparse, each argument is read as users and helm write them:
    an old spelling (a hidden alias) becomes today's, one argument ``"--ca-file ca.pem"`` (as
    one ``--post-renderer-args`` passes it) becomes a flag and its value, and an unknown flag is
    refused with the closest known one. A message never repeats a value: it may hold a proxy
    password.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # ArgumentParser's, passed on
        kwargs["allow_abbrev"] = False
        self._printing = False  # set while help or usage is formatted for printing
        super().__init__(*args, **kwargs)

    def _get_formatter(self) -> argparse.HelpFormatter:
        """argparse makes a formatter for each option it is given (to check the option's
        metavar), and a formatter without a width asks the terminal through shutil, whose
        import (with zlib, bz2 and lzma) costs a twentieth of a render: help and usage, which
        are printed, get the terminal's width as argparse would measure it; the check does
        not need one."""
        if self._printing:
            return super()._get_formatter()
        return self.formatter_class(prog=self.prog, width=80)  # type: ignore[call-arg]

    def format_help(self) -> str:
        return self._measured(super().format_help)

    def format_usage(self) -> str:
        return self._measured(super().format_usage)

    def _measured(self, format_text: Callable[[], str]) -> str:
        self._printing = True
        try:
            return format_text()
        finally:
            self._printing = False

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        arguments = list(sys.argv[1:] if args is None else args)
        self.refuse_a_command_of_the_program(arguments)
        start, parser = self._command_parser(arguments)
        if parser is not self and arguments[start - 2:start - 1] == ["--"]:
            del arguments[start - 2]  # '-- check-bundle': the command is what '--' lets through
            start -= 1
        if parser is not self or self._commands():
            self._refuse_flag_before_command(arguments)
        read = self.read_arguments(arguments[:start]) + (
            parser.read_arguments(arguments[start:]) if parser else arguments[start:])
        parsed, extras = self.parse_known_args(read, namespace)
        parser = parser or self
        if extras:
            flags = [extra for extra in extras if extra.startswith("-")]
            if flags:
                raise parser.unknown_flag(flags[0])
            if not extras[0].strip():  # '--post-renderer-args "$ARGS"', ARGS unset: one
                raise UsageError("an empty argument", hint="set its variable, or drop it")
            if any(re.search(r"\s", argument) for argument in arguments):
                raise UsageError("unexpected argument with no flag before it (not shown: it may "
                                 "hold a secret); an argument with spaces was read as a shell "
                                 "splits it", hint=SEPARATE_ARGUMENTS)
            raise UsageError("unexpected argument with no flag before it (not shown: it may "
                             "hold a secret)", hint=parser.stray_hint(extras[0]))
        return parsed

    def _command_parser(self, arguments: list[str]) -> tuple[int, Parser | None]:
        """Where the command's own arguments start, and the command's parser; this one when it
        has no commands, and None after a command that is not one (argparse then names it,
        and what follows is not read as this parser's flags)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for position, argument in enumerate(arguments):
                    if argument in action.choices:
                        return position + 1, action.choices[argument]
                    if not argument.startswith("-"):
                        return position + 1, None
        return len(arguments), self

    def read_arguments(self, arguments: list[str]) -> list[str]:
        read: list[str] = []
        for position, argument in enumerate(arguments):
            if argument == "--":
                return read + arguments[position:]
            if read and self._unknown_short(argument) and self._takes_a_value(read[-1]):
                raise self._value_like_a_flag(read[-1])
            read += self._read_argument(argument)
        return read

    def _unknown_short(self, argument: str) -> bool:
        """A word that argparse reads as a flag, none of ours: not '-' (standard input), nor
        a negative number, which argparse reads as a value."""
        return argument[:1] == "-" and argument[:2] != "--" and len(argument) > 1 and \
            argument[:2] not in self._option_string_actions and \
            not re.fullmatch(r"-\d+|-\d*\.\d+", argument)

    def _read_argument(self, argument: str) -> list[str]:
        if not argument.startswith("--"):
            if self._unknown_short(argument):
                raise self.unknown_flag(argument)  # argparse would drop it, then miss FILE
            return [argument]
        written = re.split(r"[\s=]", argument, maxsplit=1)[0]
        flag, rest = self.hidden_aliases.get(written, written), argument[len(written):]
        if flag not in self._option_string_actions:
            raise self.unknown_flag(argument)
        if (rest[:1] == "=" or rest[:1].isspace()) and ",--" in rest and \
                (joined := self._comma_joined(rest)):
            raise UsageError(f"{flag} and {joined} are joined by a comma in one argument, as "
                             "--set is written; helm passes each --post-renderer-args whole",
                             hint=SEPARATE_ARGUMENTS)
        if rest[:1] == "=" and re.search(r"\s--[A-Za-z]", rest):  # "--a=1 --b=2", one argument
            return self.read_arguments(_shell_words(argument, flag))
        if rest[:1] == "=" and _unquoted(rest[1:]) != rest[1:]:  # helm keeps the quotes
            return [f"{flag}={_unquoted(rest[1:])}"]
        if not rest[:1].isspace():
            return [flag + rest]
        value = _unquoted(rest.strip())
        if not re.search(r"\s", value):
            return self.read_arguments([flag, value])
        # split as written: its quotes keep a value with spaces ('my ca.pem') whole
        return self._read_argument(flag) + self.read_arguments(_shell_words(rest.strip(), flag))

    def _comma_joined(self, value: str) -> str | None:
        """A flag of ours after a comma in a value ("--proxy-url=URL,--no-proxy=.corp"): no
        value of ours holds one, and read as it is the URL gets a port "3128,--no-proxy=..."."""
        for match in re.finditer(r",(--[A-Za-z][A-Za-z0-9-]*)(?=[=,\s]|$)", value):
            flag = self.hidden_aliases.get(match.group(1), match.group(1))
            if flag in self._option_string_actions:
                return flag
        return None


def _unquoted(value: str) -> str:
    """A value wrapped whole in one pair of quotes, without them, as a shell reads it; any
    other value as written (a quote inside a password stays)."""
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" \
            and value[0] not in value[1:-1]:
        return value[1:-1]
    return value


def _shell_words(text: str, flag: str) -> list[str]:
    """One argument with spaces (as one ``--post-renderer-args`` passes it), split as a shell
    would split it."""
    import shlex  # only for this rare spelling: every run would pay for its import

    try:
        return shlex.split(text)
    except ValueError:
        raise UsageError(f"cannot read the value of {flag} in one argument with spaces and "
                         "an unbalanced quote", hint=SEPARATE_ARGUMENTS) from None
