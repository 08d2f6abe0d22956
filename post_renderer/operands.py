"""Where a command line's operands stand: the words that no flag takes as its value, read as
argparse would read them. For the usage mistakes that find a command or a file where argparse
saw only an unexpected argument.

    >>> parser = argparse.ArgumentParser()
    >>> _ = parser.add_argument("--proxy-url")
    >>> list(operand_positions(parser, ["--proxy-url", "http://p:3128", "check-bundle", "--",
    ...                                 "-ca.pem"]))
    [2, 4]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator


def operand_positions(parser: argparse.ArgumentParser, words: list[str]) -> Iterator[int]:
    """The positions in ``words`` of the words no flag of ``parser`` takes as its value,
    first to last; a flag's old spelling (the parser's ``hidden_aliases``) counts as the
    flag."""
    dashes = value_next = False
    aliases = getattr(parser, "hidden_aliases", {})
    for position, word in enumerate(words):
        if value_next:
            value_next = False
        elif word == "--" and not dashes:
            dashes = True
        elif word.startswith("-") and word != "-" and not dashes:
            action = parser._option_string_actions.get(aliases.get(word, word))
            value_next = action is not None and action.nargs != 0
        else:
            yield position
