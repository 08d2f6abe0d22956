"""A command of ``ocean-proxy`` given to ``ocean-proxy-post-renderer`` (the two programs mixed
up): said as such, with the command line of ``ocean-proxy`` that runs it, one it accepts.

    $ ocean-proxy-post-renderer values m.yaml
    ocean-proxy: error: values is a command of ocean-proxy; ocean-proxy-post-renderer, helm's
    post-renderer, takes none
    ocean-proxy: hint: run 'ocean-proxy values -f m.yaml --secrets FILE' with FILE filled in
    (--secrets: write the Secret manifests here)
"""

from __future__ import annotations

import argparse
import os
import re

from post_renderer.errors import OceanProxyError, UsageError, run_command, shown
from post_renderer.operands import operand_positions

_TEXT_FLAGS = ("-h", "--help", "--version")  # print and exit: not parsed to check a command
# the commands that refuse to run without a proxy, which their parsers cannot require (it may
# come from OCEAN_PROXY_URL or the --config file)
_NEED_A_PROXY = ("discover-ca", "verify")


def command_mixed_up(prog: str, program: argparse.ArgumentParser,
                     command: argparse.ArgumentParser, rest: list[str]) -> UsageError:
    """The mistake of running ``program``'s ``command`` with the arguments ``rest`` as
    ``prog``: said with the command line to run, each argument shell-quoted, where the command
    takes them (with the command's help, given a flag it does not take), and without them
    where one may hold a secret."""
    name = command.prog.rpartition(" ")[2]
    message = f"{name} is a command of {program.prog}; {prog}, helm's post-renderer, takes none"
    stranger = _flag_not_of(command, rest)
    if stranger is not None:  # '--strict verify': run so, verify would refuse it in turn
        return UsageError(message, hint=f"run '{program.prog} {name} --help' for its flags: "
                                        f"{stranger} is not one of them")
    # a message is one line with single spaces: 'my  ca.pem' would name another file
    if not all(shown(argument, quoted=False) == argument and "  " not in argument
               for argument in rest):
        run = (f"run '{program.prog} {name} ...' with the same arguments (not shown: one may "
               "hold a secret)")
    else:
        run = _run_line(program, command, name, rest)
    if name == "help":
        return UsageError(message, hint=f"run '{prog} --help' for its own flags, or "
                                        f"{run.removeprefix('run ')}")
    return UsageError(message, hint=run)


def _run_line(program: argparse.ArgumentParser, command: argparse.ArgumentParser, name: str,
              rest: list[str]) -> str:
    """The hint's command line: ``rest`` as the command reads it, or the command's help where
    it would refuse them."""
    if set(_TEXT_FLAGS).intersection(rest):  # 'check-bundle --help': the command's help
        return run_command([program.prog, name, *rest])
    words, placeholders = _completed(command, rest, name in _NEED_A_PROXY)
    purpose = f"for {program.prog}'s commands" if name == "help" else ""
    if placeholders:
        filled = dict.fromkeys(str(action.metavar) for action in placeholders)
        purpose = (f"with {' and '.join(filled)} filled in "
                   f"({'; '.join(_told(action) for action in placeholders)})")
    try:
        program.parse_args([name, *words])
    except OceanProxyError:
        if name == "help":
            return run_command([program.prog, name], purpose)
        return f"run '{program.prog} {name} --help' for its flags"
    return run_command([program.prog, name, *words], purpose)


def _completed(command: argparse.ArgumentParser, rest: list[str], needs_a_proxy: bool
               ) -> tuple[list[str], list[argparse.Action]]:
    """``rest`` as the command takes it: a lone manifests file given with -f, as render and
    values read it (they take no file without a flag), and a placeholder (its metavar) for
    each argument it requires that is not given, --proxy-url too where ``needs_a_proxy`` and
    nothing gives one; with the actions of those placeholders."""
    words, positions = list(rest), list(operand_positions(command, rest))
    flags = command._option_string_actions
    takes_no_word = all(action.option_strings for action in command._actions)
    if "--filename" in flags and takes_no_word and len(positions) == 1 and \
            re.search(r"\.ya?ml$", rest[positions[0]], re.I) and \
            not _given(command, rest, flags["--filename"]):
        words[positions[0]:positions[0] + 1] = ["-f", rest[positions[0]]]
    missing = [action for action in command._actions if action.required and (
        not positions if not action.option_strings else not _given(command, rest, action))]
    if needs_a_proxy and not os.environ.get("OCEAN_PROXY_URL") and not any(
            _given(command, rest, flags[flag]) for flag in ("--proxy-url", "--config")):
        missing.append(flags["--proxy-url"])
    for action in missing:
        flag = [max(action.option_strings, key=len)] if action.option_strings else []
        words += [*flag, str(action.metavar)]
    return words, missing


def _told(action: argparse.Action) -> str:
    """What a placeholder stands for, as the command's help says."""
    if not action.option_strings:
        return str(action.help or action.metavar)
    flag = max(action.option_strings, key=len)
    return f"{flag}: {action.help}" if action.help else flag


def _given(command: argparse.ArgumentParser, words: list[str], action: argparse.Action) -> bool:
    aliases = getattr(command, "hidden_aliases", {})
    return any(aliases.get(flag, flag) in action.option_strings
               for flag in (re.split(r"[\s=]", word, maxsplit=1)[0] for word in words
                            if word.startswith("-")))


def _flag_not_of(command: argparse.ArgumentParser, arguments: list[str]) -> str | None:
    """The name of the first flag in ``arguments`` (before a '--') that ``command`` lacks."""
    aliases = getattr(command, "hidden_aliases", {})
    for argument in arguments:
        if argument == "--":
            return None
        name = re.match(r"-[A-Za-z0-9]|--[A-Za-z0-9_-]{1,40}", argument)
        if name and aliases.get(name[0], name[0]) not in command._option_string_actions:
            return name[0]
    return None

