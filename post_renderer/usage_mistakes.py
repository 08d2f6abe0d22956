"""Usage mistakes said the way users make them: each a ``UsageError`` that names the flag or
the command meant, never a value (it may hold a proxy password).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from post_renderer.errors import UsageError, as_flags, run_command, shown
from post_renderer.operands import operand_positions

if TYPE_CHECKING:
    from typing import Any, NoReturn


class UsageMistakes(argparse.ArgumentParser):
    """argparse that reports usage mistakes as UsageError instead of exiting by itself: an
    unknown flag with the closest known one, a flag before its command with the command it
    belongs to, a value without its flag with the flag it needs. ``hidden_aliases``: old
    spellings of flags, still read and never shown in help. ``command_of``: for a parser that
    is one command of a program run on its own (the post-renderer, ocean-proxy's render), that
    program's parser and the command's name.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # ArgumentParser's, passed on
        super().__init__(*args, **kwargs)
        self.hidden_aliases: dict[str, str] = {}
        self.command_of: tuple[Callable[[], argparse.ArgumentParser], str] | None = None

    def refuse_a_command_of_the_program(self, arguments: list[str]) -> None:
        """``ocean-proxy-post-renderer check-bundle x.pem`` (or ``CHECK-BUNDLE``, or
        ``"check-bundle x.pem"`` as one argument), the two programs mixed up: a
        command of the program, where no flag takes the word as its value (``-f render``
        reads a file named so), said with the program's command line that runs it (see
        ``mixed_up_programs``); argparse said only 'unexpected argument'. Under helm's plugins, the
        reporter spells the command as the user runs it there ('helm ocean-proxy ...')."""
        position = next(operand_positions(self, arguments), None) if self.command_of else None
        if self.command_of is None or position is None:
            return
        build, own = self.command_of
        # 'CHECK-BUNDLE', or "check-bundle x.pem" as one argument (as CI YAML quotes it)
        name, *after = arguments[position].split(maxsplit=1) or [""]
        program, name = build(), name.lower()
        if not isinstance(program, UsageMistakes) or name not in program._commands():
            return  # the program is built only for a word that may be a command: a mistake
        if arguments[position] != name and os.path.lexists(arguments[position]):
            return  # 'Render output.yaml': a file there, given without -f
        if name == own:
            raise UsageError(f"{name} is the command of {program.prog} that {self.prog} runs: "
                             "it takes no command", hint=f"leave '{name}' out")
        dashes = 1 if arguments[position - 1:position] == ["--"] else 0
        rest = arguments[:position - dashes] + _words(after) + arguments[position + 1:]
        from post_renderer.mixed_up_programs import command_mixed_up  # only for this mistake

        raise command_mixed_up(self.prog, program, program._commands()[name], rest)

    def error(self, message: str) -> NoReturn:
        switch = re.fullmatch(r"argument (\S+): ignored explicit argument .*", message, re.S)
        if switch:  # '--strict=maybe': argparse's own message quotes the value
            flag = switch[1].split("/")[-1]
            raise UsageError(f"{flag} takes no value", hint=f"give {flag} alone, without '='")
        if message.endswith(_SPACED):
            raise UsageError(message, hint="pass it and each of its arguments as an argument of "
                                           "its own")
        # as shown() quotes it: no password; no escaped character, no run of spaces (a
        # message's runs of spaces are one), which would name another file
        ca = re.fullmatch(r"argument COMMAND: invalid choice '((?:[^\\ ]| (?! ))+?"
                          r"\.(?:pem|crt|cer|der|p7b))' \(choose from .*", message, re.I | re.S)
        program = self.prog.removesuffix(" help")  # 'ocean-proxy help ca.pem' too
        raise UsageError(message, hint=run_command([*program.split(), "check-bundle", ca[1]],
                                                   "to check a CA file")
                         if ca else f"run '{self.prog} --help' for the options")

    def stray_hint(self, stray: str) -> str:
        """What a value given without its flag was most likely meant for."""
        flags = self._option_string_actions
        post_renders = "--filename" in flags  # render, which helm runs as its post-renderer
        if "--proxy-url" in flags and re.match(r"[a-z][a-z0-9+.-]*://|[\w.-]+:\d+$", stray, re.I):
            given = as_flags("--proxy-url=URL") if post_renders else "--proxy-url URL"
            return (f"give the proxy as {given}, or in OCEAN_PROXY_URL, which keeps a "
                    "password off the command line")
        if "--ca-file" in flags and re.search(r"\.(pem|crt|cer|der|p7b)$", stray, re.I):
            return "give a CA file as " + (as_flags("--ca-file=FILE") if post_renders
                                           else "--ca-file FILE")
        if "--filename" in flags and re.search(r"\.ya?ml$", stray, re.I):
            return "give the rendered manifests as -f FILE, or on standard input"
        return f"run '{self.prog} --help' for the options"

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if action.choices is None or value in action.choices:
            return
        import difflib  # only for a mistake: not on every run

        choices, written = [str(choice) for choice in action.choices], str(value)
        # 'CHECK-BUNDLE', "check-bundle x.pem" as one argument: the choice, whatever follows
        first = (written.split(maxsplit=1) or [""])[0].lower()
        # 'check', 'verif': the start of one choice, which difflib finds too far from it
        started = [choice for choice in choices if len(first) > 2 and choice.startswith(first)]
        close = [first] if first in choices else [] if "@" in written else \
            started[:1] if len(started) == 1 else difflib.get_close_matches(written, choices, 1)
        spaced = first in choices and re.search(r"\s", written.strip()) is not None
        raise argparse.ArgumentError(
            action, f"invalid choice {shown(written)} (choose from {', '.join(choices)})"
            + (f"; did you mean {close[0]}?" if close else "") + (_SPACED if spaced else ""))

    def _get_value(self, action: argparse.Action, arg_string: str) -> object:
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError:  # argparse's own message quotes the value
            kind = getattr(action.type, "__name__", "value")
            raise argparse.ArgumentError(
                action, f"invalid {kind} value {shown(arg_string)}") from None

    def _commands(self) -> dict[str, UsageMistakes]:
        return next((action.choices for action in self._actions
                     if isinstance(action, argparse._SubParsersAction)), {})

    def _refuse_flag_before_command(self, arguments: list[str]) -> None:
        """A command's flag written before the command (``ocean-proxy --json check-bundle``):
        said as such, rather than as unknown with the closest flag of the program itself;
        so is one of other commands, or with no command at all (``ocean-proxy --explain``)."""
        commands = self._commands()
        position = next((at for at, argument in enumerate(arguments) if argument in commands),
                        None)
        if "--" in arguments[:position]:
            return
        name = arguments[position] if position is not None else None
        if name is None:
            self._refuse_misspelt_command(arguments, commands)
        for argument in arguments[:position]:
            flag = re.split(r"[\s=]", argument, maxsplit=1)[0]
            if flag in self._option_string_actions or not flag.startswith("-"):
                continue
            if len(flag) > 2 and not flag.startswith("--"):
                flag = flag[:2]  # -oca.pem: -o and its value
            if name is not None:
                self._refuse_flag_of(commands[name], name, flag)
            owners = [other for other, command in commands.items()
                      if command.hidden_aliases.get(flag, flag) in command._option_string_actions]
            if owners and name is None:
                raise UsageError(f"{flag} is a flag of {_listed(owners)}, given no command",
                                 hint=f"put the command first: '{commands[owners[0]].prog} "
                                      f"{flag} ...'")
            if owners and name is not None:
                raise UsageError(f"{flag} is not a flag of {name}, but of {_listed(owners)}",
                                 hint=f"run '{commands[name].prog} --help' for its flags")

    def _refuse_misspelt_command(self, arguments: list[str],
                                 commands: dict[str, UsageMistakes]) -> None:
        """The first word that is no flag's value stands where the command would: one close to
        a command ('discover', 'rendr') is named as argparse names it, with the command it
        meant, whether flags come before it or not (argparse then said 'unknown flag' of
        them); any other word (a file: 'ocean-proxy --json ca.pem') leaves the flags to be
        named with the commands they belong to."""
        for before, argument in zip(["-", *arguments], arguments, strict=False):
            if argument.startswith("-"):
                continue
            flag = before.split("=", 1)[0]
            if "=" not in before and any(
                    command._takes_a_value(command.hidden_aliases.get(flag, flag))
                    for command in commands.values()):
                continue
            import difflib  # only for a word that is no command: a mistake

            if difflib.get_close_matches(argument, list(commands), 1) or any(
                    len(argument) > 2 and name.startswith(argument) for name in commands):
                action = next(action for action in self._actions
                              if isinstance(action, argparse._SubParsersAction))
                try:
                    self._check_value(action, argument)
                except argparse.ArgumentError as error:
                    self.error(str(error))
            return

    @staticmethod
    def _refuse_flag_of(command: UsageMistakes, name: str, flag: str) -> None:
        """``flag``, written before the command ``name``, if it is the command's own."""
        flag = command.hidden_aliases.get(flag, flag)
        if (mistake := command.file_flag_mistake(flag)) is not None:
            raise mistake
        if flag in command._option_string_actions:
            raise UsageError(f"{flag} is a flag of {name}, written before it",
                             hint=f"put the command first: '{command.prog} {flag} ...'")

    def _takes_a_value(self, flag: str) -> bool:
        action = self._option_string_actions.get(flag)
        return action is not None and action.nargs != 0

    def _value_like_a_flag(self, flag: str) -> UsageError:
        """'--proxy-url -x', '-o -ca.pem': the value starts with '-', and argparse would
        say only that the flag "expected one argument"."""
        spelt = max(self._option_string_actions[flag].option_strings, key=len)
        return UsageError(f"{flag} is followed by a word that starts with '-', not by its "
                          "value (not shown: it may hold a secret)",
                          hint=f"give a value that starts with '-' after '=': {spelt}=VALUE")

    def file_flag_mistake(self, flag: str) -> UsageError | None:
        """``check-bundle --ca-file ca.pem`` (or ``-f``), as render and verify name their
        files: check-bundle takes the files themselves, and '-f' is no file named so."""
        if flag not in _FILE_FLAGS or flag in self._option_string_actions or not any(
                action.metavar == "FILE" and not action.option_strings
                for action in self._actions):
            return None
        return UsageError(f"{flag} is not a flag of {self.prog.rpartition(' ')[2]}, which "
                          "takes its files without one",
                          hint=f"name the files themselves: '{self.prog} FILE...'")

    def _helm_flag(self, flag: str) -> UsageError:
        """'--post-renderer-args --set ...': not 'did you mean --strict?'. render and values
        read what 'helm template' wrote, helm runs neither; values' -n is its --namespace."""
        if flag == "-n" and "--namespace" in self._option_string_actions:
            return UsageError("unknown flag -n; did you mean --namespace?",
                              hint=f"write --namespace NAMESPACE: {self.prog} has no -n")
        if flag == "--post-renderer-args":  # a README line run by hand: helm never passes it
            return UsageError(f"{flag} is a flag of helm, not of {self.prog}",
                              hint="run by hand, it takes its own flags directly: leave out "
                                   "each --post-renderer-args and keep the flag after it")
        command = self.prog.rpartition(" ")[2]
        return UsageError(f"{flag} is a flag of helm, not of {self.prog}", hint=(
            f"give it to 'helm template', whose output {command} reads"
            if command in ("render", "values") else "give it to helm itself, not among the "
            "post-renderer's arguments (--post-renderer-args, postRendererArgs)"))

    def unknown_flag(self, argument: str) -> UsageError:
        """The flag as written (never its value), with the closest known flag if any."""
        mistake = self.file_flag_mistake(re.split(r"[\s=]", argument, maxsplit=1)[0])
        if mistake is not None:
            return mistake
        if argument == "-" and "--filename" in self._option_string_actions:
            # 'ocean-proxy render -', as check-bundle takes '-' for standard input
            return UsageError("'-' with no flag before it",
                              hint="the manifests are read from standard input without it: "
                                   "leave it out, or write -f -")
        # Only the flag's name: a flag glued to its value (--proxy-urlhttp://u:p@h) would
        # otherwise print the value, whatever quotes or spaces it holds.
        name = re.match(r"-*[A-Za-z0-9_-]{0,40}", argument)
        flag = name.group(0) if name else ""
        if flag in _HELM_FLAGS and "--filename" in self._option_string_actions:
            return self._helm_flag(flag)
        if flag == "--ca-file" and "--proxy-ca-file" in self._option_string_actions:
            # discover-ca: not 'did you mean --proxy-ca-file?', the https:// proxy's own CA
            return UsageError(f"--ca-file is not a flag of {self.prog.rpartition(' ')[2]}, "
                              "which finds the CA to trust rather than reading one",
                              hint="to check the path with a CA file you have: 'ocean-proxy "
                                   "verify --proxy-url URL --ca-file FILE' (an https:// proxy's "
                                   "own CA: --proxy-ca-file FILE)")
        known = [option for option in self._option_string_actions if option.startswith("--")]
        typed = flag.lower()  # '--PROXY-URL': ours are all in lower case
        completions = [option for option in known if option.startswith(typed)]
        import difflib  # only for a mistake: not on every run

        glued = sorted((option for option in known if typed.startswith(option)), key=len)[-1:]
        close = (glued or completions if len(completions) == 1 or glued
                 else difflib.get_close_matches(typed, known, 1))
        message = f"unknown flag {flag}" + (f"; did you mean {close[0]}?" if close else "")
        if re.search(r"\s", argument):
            return UsageError(message + _SPACED,
                              hint=SEPARATE_ARGUMENTS)
        if not argument.startswith("--") and any(
                not action.option_strings and action.nargs != argparse.PARSER
                for action in self._actions):  # check-bundle's FILE: a file named -ca.pem
            written = shown(argument)
            return UsageError(f"unknown flag {written}",
                              hint="a file whose name starts with '-': put '--' before the files "
                                   f"('{self.prog} -- FILE...'), or write ./ before its name")
        return UsageError(message, hint=f"run '{self.prog} --help' for the options")


def _words(text: list[str]) -> list[str]:
    """What followed the command in its one argument, as a shell splits it; as one word when
    its quotes do not pair."""
    import shlex  # only for this mistake

    try:
        return shlex.split(text[0]) if text else []
    except ValueError:
        return text


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


_SPACED = " (read from one argument with a space)"
# helm install/upgrade/template's own flags that are none of the post-renderer's
_HELM_FLAGS = frozenset((
    "--set", "--set-string", "--set-file", "--set-json", "--set-literal", "--values",
    "--namespace", "-n", "--kube-context", "--kubeconfig", "--atomic", "--rollback-on-failure",
    "--wait", "--wait-for-jobs", "--timeout", "--dry-run", "--debug", "--install",
    "--create-namespace", "--reuse-values", "--reset-values", "--reset-then-reuse-values",
    "--force", "--force-conflicts", "--insecure-skip-tls-verify", "--repo", "--devel",
    "--post-renderer", "--post-renderer-args", "--output-dir", "--show-only", "--skip-crds",
    "--include-crds", "--take-ownership", "--cleanup-on-fail", "--history-max", "--description",
    "--dependency-update", "--username", "--password", "--plain-http", "--server-side"))
_FILE_FLAGS = ("--ca-file", "--ca-files", "--cafile", "--file", "--filename", "-f")
SEPARATE_ARGUMENTS = ("pass each flag and each value as an argument of its own; under helm: "
                       "--post-renderer-args --ca-file --post-renderer-args ca.pem")
