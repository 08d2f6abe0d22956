"""The user's ``--values`` files for ``ocean-proxy values``, read as helm reads them.

The values written keep the user's own entries of what they set (helm replaces a list given
again): ``extraEnv``, ``extraVolumes``, ``extraVolumeMounts``, ``logShipping.extraEnv`` and
``logShipping.extraVolumeMounts``, and ``podAnnotations``. Those are checked here, so that
what is copied is what the chart reads::

    extraEnv: "text"            refused: not a list (it was split into its characters)
    extraEnv: [*bomb]           refused: too large once its aliases are expanded, as helm
                                refuses "excessive aliasing"
    extraEnv: [a]               refused: an entry that is not a mapping
    extraEnv: [...]             a repeated key: its last value, as helm takes it
    extraEnv: [...]             several documents: helm 3 reads the first, helm 4 merges
    ---                         them all; refused when a later one sets any of these keys
    extraEnv: []
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from post_renderer.errors import TAGGED_VALUE_ERRORS, ConfigError, shown
from post_renderer.render.overlay.values import LIST_KEYS, LOG_SHIPPING_LIST_KEYS
from post_renderer.render.release.settings import tell_no_one
from post_renderer.render.stream.kube import get_path
from post_renderer.render.stream.manifest import go_yaml_constructor
from post_renderer.user_files import read_user_text, yaml_tab_refused

MAX_VALUES_BYTES = 16 * 1024 * 1024  # far beyond any chart's values
# What the overlay copies from a values file: far beyond any chart's extraEnv or annotations,
# far below what a "billion laughs" of aliases expands to.
MAX_COPIED_NODES = 100_000
LIST_PATHS: tuple[tuple[str, ...], ...] = (
    *((key,) for key in LIST_KEYS), *(("logShipping", key) for key in LOG_SHIPPING_LIST_KEYS))
MAP_PATHS: tuple[tuple[str, ...], ...] = (("podAnnotations",), ("logShipping",))
_COPIED = (*LIST_PATHS, ("podAnnotations",))
_MISSING: Any = object()  # a key the file does not set (None: set to null)
_HINT = "give the values file you pass to helm with -f"


def read_user_values(paths: list[str], hide: Callable[..., None] = tell_no_one
                     ) -> list[dict[str, Any]]:
    """Each values file's values, checked where the overlay copies from them. The secrets
    they hold go to ``hide`` first: ``spotinst.proxyUrl`` and ``spotinst.token``."""
    loaded = []
    for path in paths:
        name = shown(path, quoted=False)
        documents = _documents(path, name)
        for document in documents:
            _hide_secrets(document, hide)
        values = _first_document(documents, name)
        for key_path in MAP_PATHS:  # logShipping's other keys are not copied
            _check(values, key_path, name, dict, "a mapping", copied=key_path != ("logShipping",))
        for key_path in LIST_PATHS:
            _check(values, key_path, name, list, "a list")
        _check_not_ours(values, name)
        loaded.append(values)
    return loaded


def _hide_secrets(document: Any, hide: Callable[..., None]) -> None:
    spotinst = document.get("spotinst") if isinstance(document, dict) else None
    if not isinstance(spotinst, dict):
        return
    if isinstance(spotinst.get("proxyUrl"), str):
        hide(spotinst["proxyUrl"], url=True)
    if isinstance(spotinst.get("token"), str):
        hide(spotinst["token"])


def _check_not_ours(values: dict[str, Any], name: str) -> None:
    """A values file ocean-proxy wrote is not the user's: its entries would be copied as theirs,
    so the previous CA's mounts (of keys the new CA Secret no longer has) and proxy variables
    would stay beside the new ones."""
    from post_renderer.render.plan.filters.rollout import CA_ANNOTATION, PROXY_ANNOTATION
    from post_renderer.render.plan.filters.trust_mounts import VOLUME

    annotations = values.get("podAnnotations")
    marks = [f"pod annotation '{key}'" for key in (CA_ANNOTATION, PROXY_ANNOTATION)
             if isinstance(annotations, dict) and key in annotations]
    volumes = values.get("extraVolumes")
    if isinstance(volumes, list) and any(isinstance(entry, dict) and entry.get("name") == VOLUME
                                         for entry in volumes):
        marks.append(f"volume '{VOLUME}'")
    if marks:
        raise ConfigError(f"{name} holds ocean-proxy's own values ({marks[0]}), not only yours",
                          hint="give --values only your own values files: the new output "
                               "replaces the previous ocean-proxy values file")


def helms_reader() -> Any:
    """ruamel.yaml reading a values file as go-yaml, helm's reader, does: a plain '=' is
    text, and a repeated key takes its last value (ruamel its first)."""
    from ruamel.yaml import YAML

    class LastValueWins(go_yaml_constructor()):  # type: ignore[misc]  # made on first use
        def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any,
                              value: Any) -> bool:
            return True

    yaml = YAML(typ="safe")
    yaml.Constructor = LastValueWins
    return yaml


def _documents(path: str, name: str) -> list[Any]:
    from ruamel.yaml.error import YAMLError

    text = read_user_text(path, MAX_VALUES_BYTES, "values file",
                          "name the chart's values file, not a rendered release or an archive",
                          f"values file {name}", "save it as UTF-8: helm refuses it too")
    try:
        return list(helms_reader().load_all(text))
    except YAMLError as error:
        raise _not_yaml(error, text, name) from None
    except TAGGED_VALUE_ERRORS:
        raise ConfigError(f"values file {name} is not valid YAML: a value cannot be read as "
                          "the type its tag names, such as !!int",
                          hint="fix the YAML: 'helm template -f' refuses it too") from None


def _not_yaml(error: Any, text: str, name: str) -> ConfigError:
    """Where the YAML breaks, never what it holds; a tab, the usual cause, said as such
    (helm refuses the file too, but only as "found character that cannot start any token")."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return ConfigError(f"values file {name} is not valid YAML",
                           hint="fix the YAML: 'helm template -f' refuses it too")
    tab = yaml_tab_refused(error, text, f"values file {name}",
                           "indent with spaces: YAML does not read tabs there, and helm "
                           "refuses the file too")
    if tab:
        return tab
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return ConfigError(f"values file {name} is not valid YAML at {where}",
                       hint="fix the YAML there: 'helm template -f' refuses it too")


def _first_document(documents: list[Any], name: str) -> dict[str, Any]:
    """What helm 3 and helm 4 both read for the keys the overlay copies."""
    for number, document in enumerate(documents, 1):
        if document is not None and not isinstance(document, dict):
            where = "" if len(documents) == 1 else f" (document {number})"
            raise ConfigError(f"{name} is not a map of values{where}", hint=_HINT)
    for number, document in enumerate(documents[1:], 2):
        for key_path in _COPIED:
            if _sets(document, key_path):
                raise ConfigError(
                    f"{'.'.join(key_path)} in {name} is set in document {number}: helm 3 "
                    "reads only the first document of a values file, helm 4 all of them",
                    hint="put the values in one document, as both read it")
    return (documents[0] if documents else None) or {}


def _check(values: dict[str, Any], key_path: tuple[str, ...], name: str, kind: type,
           described: str, copied: bool = True) -> None:
    value = get_path(values, key_path, _MISSING)
    if value is _MISSING or value is None:
        return
    key = ".".join(key_path)
    if not isinstance(value, kind):
        raise ConfigError(f"{key} in {name} is not {described}",
                          hint=f"{key} is {described} in the chart's values")
    if isinstance(value, list):
        _check_entries(value, key, key_path[-1], name)
    if copied and isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        # 1 and true are one key to Python, two ("1", "true") to helm: quoted, both agree
        raise ConfigError(f"{key} in {name} has a key that is not a string",
                          hint="quote the keys: annotation names are strings")
    if copied and _too_large(value, [MAX_COPIED_NODES], set()):
        raise ConfigError(
            f"{key} in {name} is too large to copy: more than {MAX_COPIED_NODES} values, each "
            "use of a YAML alias counted, or an alias inside itself",
            hint="no chart reads that many: give fewer entries, each written out (helm "
                 "refuses excessive aliasing too)")


def _check_entries(entries: list[Any], key: str, last: str, name: str) -> None:
    """Each entry a mapping, and the field ours replace theirs by (an env's name, a mount's
    path) a string, as Kubernetes reads it."""
    field = {**LIST_KEYS, **LOG_SHIPPING_LIST_KEYS}[last]
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{key} in {name}: entry {number} is not a mapping",
                              hint=f"each entry of {key} is a mapping of fields, as the chart "
                                   "reads it")
        if field in entry and not isinstance(entry[field], str):
            raise ConfigError(f"{key} in {name}: the {field} of entry {number} is not a string",
                              hint=f"give each {field} as text, quoted if need be")


def _sets(document: Any, key_path: tuple[str, ...]) -> bool:
    """Does a later document change ``key_path`` as helm 4 merges it: sets it, or replaces
    (or, as null, deletes) a mapping on the way to it?"""
    for depth in range(1, len(key_path) + 1):
        value = get_path(document, key_path[:depth], _MISSING)
        if value is _MISSING:
            return False
        if depth < len(key_path) and not isinstance(value, dict):
            return True
    return True


def _too_large(node: Any, budget: list[int], inside: set[int]) -> bool:
    """Whether ``node`` holds more than ``budget`` values, each alias counted where it is
    used (as writing it out would), or itself (an alias of a node inside that node)."""
    budget[0] -= 1
    if budget[0] < 0 or id(node) in inside:
        return True
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) \
        else ()
    if not children:
        return False
    inside.add(id(node))
    large = any(_too_large(child, budget, inside) for child in children)
    inside.discard(id(node))
    return large
