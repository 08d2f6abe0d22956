"""The chart's CA values as helm was given them, read from the command line of the helm that
runs the post-renderer: the vendor's ``--set-file caBundleSecret.data=ca.pem`` without
``--set caBundleSecret.create=true`` renders no CA Secret, and leaves no trace of the CA in
the manifests, so only helm's command line (and the values files it names) tells.

    >>> ca_value_without_create(["upgrade", "r", "chart", "--set-file",
    ...                          "caBundleSecret.data=ca.pem"])
    True
    >>> ca_value_without_create(["upgrade", "r", "chart", "--set-json",
    ...                          'caBundleSecret={"data": "PEM", "create": true}'])
    False
"""

from __future__ import annotations

import json
import os
import re
import stat

# in the order helm merges them, after the values files, whatever order they were typed in
_SETS = ("--set-json", "--set", "--set-string", "--set-file", "--set-literal")
_FILES = ("-f", "--values")
_TAKES_A_VALUE = (*_SETS, *_FILES, "--post-renderer-args")
_DATA, _CREATE = "caBundleSecret.data", "caBundleSecret.create"
_VALUES_FILE_LIMIT = 16 * 1024 * 1024


def ca_value_without_create(words: list[str]) -> bool:
    """Whether helm's values give ``caBundleSecret.data`` and leave ``caBundleSecret.create``
    other than true: values files in order, then --set-json, --set, --set-string, --set-file
    and --set-literal, as helm merges them (not in the order they were typed)."""
    files, sets = _given(words)
    data = create = False
    for path in files:
        ca = _ca_values_in(path)
        if "data" in ca:
            data = bool(ca["data"])
        if "create" in ca:
            create = str(ca["create"]).lower() == "true"
    for flag, value in sorted(sets, key=lambda given: _SETS.index(given[0])):
        for key, text in _pairs(flag, value):
            if key == "caBundleSecret" and flag == "--set-json":  # an object replaces the map
                whole = text if isinstance(text, dict) else {}
                data = bool(whole.get("data"))
                create = str(whole.get("create")).lower() == "true"
            elif key == _DATA:
                data = bool(text)
            elif key == _CREATE:
                create = str(text).strip().lower() == "true"
    return data and not create


def _pairs(flag: str, value: str) -> list[tuple[str, object]]:
    """The key=value pairs of one --set flag: --set-literal's one pair, --set-json's values
    as JSON (a comma inside one is no separator), the others split at unescaped commas."""
    if flag == "--set-literal":
        key, _, text = value.partition("=")
        return [(key.strip(), text)]
    if flag != "--set-json":
        return [(key.strip(), text) for key, _, text in
                (pair.partition("=") for pair in re.split(r"(?<!\\),", value))]
    pairs: list[tuple[str, object]] = []
    decoder, at = json.JSONDecoder(), 0
    while "=" in value[at:]:
        key, _, _ = value[at:].partition("=")
        at += len(key) + 1
        at += len(value[at:]) - len(value[at:].lstrip())  # helm's JSON decoder skips it
        try:
            parsed, at = decoder.raw_decode(value, at)
        except ValueError:  # helm refuses it, before any post-renderer runs
            break
        pairs.append((key.strip(), parsed))
        at += 1  # the comma between pairs
    return pairs


def _given(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The values files and the --set flags with their values, in order."""
    files: list[str] = []
    sets: list[tuple[str, str]] = []
    rest = iter(words)
    for word in rest:
        flag, equals, value = word.partition("=")
        if word.startswith("-f") and not word.startswith("--") and len(word) > 2:
            flag, equals, value = "-f", "=", word[2:].removeprefix("=")
        if flag not in _TAKES_A_VALUE:
            continue
        value = value if equals else next(rest, "")
        if flag in _FILES:
            files += [path for path in value.split(",") if path]  # helm splits them so
        elif flag in _SETS:
            sets.append((flag, value))
    return files, sets


def _ca_values_in(path: str) -> dict[object, object]:
    """``caBundleSecret`` of a local values file; nothing from one that cannot be read (a
    URL, standard input, a file gone) or is no regular file: no guess is said. Helm has read
    a FIFO (``mkfifo``) or a terminal already; opened again, it would wait for a writer that
    never comes, and helm with it."""
    if path == "-" or "://" in path:
        return {}
    from ruamel.yaml.error import YAMLError

    from post_renderer.commands.values_files import helms_reader  # only without a CA

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return {}
    try:
        with open(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return {}
            values = next(iter(helms_reader().load_all(handle.read(_VALUES_FILE_LIMIT))), None)
    except (OSError, ValueError, RecursionError, YAMLError):
        return {}
    ca = values.get("caBundleSecret") if isinstance(values, dict) else None
    return ca if isinstance(ca, dict) else {}
