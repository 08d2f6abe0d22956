"""The package's floors, read from its imports: render, trust and network stay apart.

    proxy_settings, errors, user_files, output_file,
    cache_home, private_files                         shared ground every floor may use
    trust                                             certificates; imports no other floor
    job_renderer                                      the auto-update Job's own post-renderer
                                                      (bash and helm files); imports nothing
    network                                           live probes; sees trust only through its face
    render                                            the pipeline; sees trust only through its face
    commands                                          one module per command, over all floors
    cli, report                                       the face: arguments, printing, exit codes

Inside render, rooms, one way through (bytes in, documents, release, injection, plan, bytes out):

    stream     split into documents, splice, write       imports no other room
    release    targets, agents, chart and user settings  stream
    overlay    chart values, the auto-update Job's patch  release, stream
    plan       injection, filters, the plan applied      overlay, release, stream
    (top)      pipeline, explain, lints                  every room

Every import counts, function-level and TYPE_CHECKING ones too: a lazy import hides a
dependency from the reader, not from the graph. The package has no import cycle, no folder
holds more than 20 modules, no module is over 350 lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "post_renderer"
SHARED = {"errors", "proxy_settings", "user_files", "output_file", "cache_home", "private_files",
          "switches", "__init__", "__version__"}
# floor -> the floors it may import (besides itself and the shared ground)
ALLOWED = {
    "trust": set(),
    "proxy_settings": set(),
    "job_renderer": set(),
    "network": {"trust"},
    "render": {"trust", "job_renderer"},
    "commands": {"render", "trust", "network"},
}
FACES = {"trust"}  # floors that other floors import only through their package face
# room of render -> the rooms it may import (besides itself); render's top may import all
ROOMS = {
    "stream": set(),
    "release": {"stream"},
    "overlay": {"release", "stream"},
    "plan": {"overlay", "release", "stream"},
}
MAX_MODULES_PER_FOLDER = 20
MAX_LINES = 350


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every post_renderer import, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "post_renderer":
            if node.module == "post_renderer":
                found += [(node.lineno, f"post_renderer.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def floor_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules_of(floor: str) -> list[Path]:
    return sorted((PACKAGE / floor).rglob("*.py"))


@pytest.mark.parametrize("floor", sorted(ALLOWED))
def test_each_floor_imports_only_the_floors_below_it(floor):
    crossings = []
    for path in modules_of(floor):
        for line, module in imports_of(path):
            if module.startswith("."):
                crossings.append(f"{path.name}:{line} relative import {module}")
                continue
            target = floor_of(module)
            if target in SHARED or target == floor:
                continue
            if target.removesuffix(".py") not in ALLOWED[floor]:
                crossings.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert crossings == []


@pytest.mark.parametrize("floor", sorted(FACES))
def test_other_floors_use_only_the_public_face(floor):
    reaching_in = []
    for other in ("network", "render"):
        for path in modules_of(other):
            for line, module in imports_of(path):
                if module.startswith(f"post_renderer.{floor}."):
                    reaching_in.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert reaching_in == []


def test_every_filter_has_the_filter_shape():
    from post_renderer.render.plan.filter_order import FILTERS

    listed = {f.__name__.rsplit(".", 1)[1] for f in FILTERS}
    on_disk = {p.stem for p in (PACKAGE / "render" / "plan" / "filters").glob("*.py")} - {
        "__init__", "protocol"}
    assert listed == on_disk  # a filter module that is not in FILTERS would never run
    for module in FILTERS:
        assert callable(module.pod_wants) and callable(module.propose), module.__name__


def test_only_cli_writes_to_standard_output():
    writers = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "cli.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\bsys\.stdout\b|\bprint\(", text):
            writers.append(f"{path.relative_to(PACKAGE)}: {match.group(0)}")
    assert writers == []


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(importer: str, is_package: bool, node: ast.Import | ast.ImportFrom,
            known: set[str]) -> set[str]:
    """The package's modules one import statement depends on: ``from a.b import c`` is
    ``a.b.c`` when that is a module, else ``a.b``; relative imports resolved."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:
        anchor = importer.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[:len(anchor) - node.level + 1]
        base = ".".join(anchor + ([node.module] if node.module else []))
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in known:
            found.add(f"{base}.{alias.name}")
        elif base in known:
            found.add(base)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports, every import in the file counted."""
    paths = {module_name(p, package): p for p in package.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= resolve(name, path.name == "__init__.py", node, set(paths))
        graph[name] = edges - {name}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_sees_a_function_level_import(tmp_path):
    package = tmp_path / "post_renderer"
    (package / "render").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "render" / "__init__.py").write_text("")
    (package / "render" / "a.py").write_text("from post_renderer.render.b import B\n")
    (package / "render" / "b.py").write_text(
        "def late():\n    from post_renderer.render import a\n    return a\n")
    assert cycles(import_graph(package)) == [["post_renderer.render.a", "post_renderer.render.b"]]


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_no_folder_holds_more_than_20_modules():
    crowded = [f"{folder.relative_to(PACKAGE.parent)}: {count}" for folder in
               [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir())]
               if (count := len(list(folder.glob("*.py")))) > MAX_MODULES_PER_FOLDER]
    assert crowded == []


def test_no_module_is_over_350_lines():
    long = [f"{path.relative_to(PACKAGE.parent)}: {lines}" for path in PACKAGE.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert long == []


def room_of(module: str) -> str | None:
    """The room of render a module lives in; None for render's top (pipeline, explain...)."""
    parts = module.split(".")
    if parts[:2] != ["post_renderer", "render"] or len(parts) < 4:
        return None
    return parts[2]


def test_every_module_of_render_is_in_a_room_or_at_its_top():
    render = PACKAGE / "render"
    folders = {p.name for p in render.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(ROOMS)
    for room in ROOMS:
        face = (render / room / "__init__.py").read_text(encoding="utf-8")
        # the room's docstring says what it is for and which rooms it may import
        assert face.startswith('"""') and "imports" in face.lower(), room
        assert all(f"render.{other}" in face for other in ROOMS[room]), room


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_each_room_imports_only_the_rooms_below_it(room):
    graph = import_graph()
    crossings = []
    for module, targets in sorted(graph.items()):
        if room_of(module) != room:
            continue
        for target in sorted(targets):
            if target.startswith("post_renderer.render") and target != "post_renderer.render":
                other = room_of(target)
                if other != room and other not in ROOMS[room]:
                    crossings.append(f"{module} imports {target}")
    assert crossings == []


# What the package leaves to its libraries (cryptography and pyOpenSSL, hashlib and hmac,
# jsonpatch, argparse, urllib.parse): a module that reaches for CPython's private hash modules,
# pads an HMAC key, walks DER or does modular arithmetic on signatures is writing one of them
# again. No module is exempt: cryptography reads certificates, OpenSSL (through pyOpenSSL)
# hashes names and cuts its own TRUSTED CERTIFICATE form.
HAND_WRITTEN = {
    r"\b_sha(?:2|256|3|512|1)\b|\b_md5\b|\b_blake2\b": "a private hash module of CPython",
    r"0x36\b.*0x5[cC]\b|0x5[cC]\b.*0x36\b": "HMAC's ipad/opad (RFC 2104)",
    r"\bpow\([^)]*,[^)]*,[^)]*\)": "modular exponentiation (a signature check)",
    r"\b_compare_digest\b": "the constant-time comparison under hmac",
    r"\b(?:shake_256|shake_128)\b.*\^|\bkeystream\b": "a stream cipher",
    r"(?i)\w*tlv\w*": "a DER TLV reader",
    r"&\s*0x7[fF]\b|(?:&|<|>=)\s*0x80\b|0x80\s*(?:&|\|)": "a DER length read by hand",
    r"\bint\.from_bytes\(": "bytes read as a number by hand (a DER length, a name hash)",
    r"\b0x3[01]\b|\bSEQUENCE\s*=|\b0x30\b.*\b0x02\b.*\b0x06\b": "DER tags read by hand",
}
# Modules the package once had, cut to their hand-written core: each must still be caught.
ONCE_WRITTEN = {
    "where OpenSSL's trusted form ends": """
def _first_tlv(der: bytes) -> bytes:
    length = der[1]
    if length < 0x80:
        return der[: 2 + length]
    size = length & 0x7F
    return der[: 2 + size + int.from_bytes(der[2:2 + size], "big")]
""",
    "a TLV walker under another name": """
def _read(data, offset):
    tag, length = data[offset], data[offset + 1]
    if length & 0x80:
        length = int.from_bytes(data[offset + 2:offset + 2 + (length - 128)], "big")
""",
    "OpenSSL's name hash by hand": """
_SEQUENCE, _SET, _UTF8STRING = 0x30, 0x31, 0x0C
def subject_hash(name_der):
    digest = hashlib.sha1(_canonical(name_der)).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"
""",
}


def hand_written(text: str) -> list[tuple[int, str]]:
    """(line, what) of each piece of ``text`` that does a library's work by hand."""
    return [(text.count("\n", 0, match.start()) + 1, what)
            for pattern, what in HAND_WRITTEN.items() for match in re.finditer(pattern, text)]


def test_no_module_parses_der_checks_signatures_or_hashes_by_hand():
    found = [f"{path.relative_to(PACKAGE)}:{line}: {what}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, what in hand_written(path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("code", ONCE_WRITTEN.values(), ids=ONCE_WRITTEN.keys())
def test_the_check_catches_der_read_by_hand(code):
    assert hand_written(code) != []


def test_the_readers_the_libraries_replaced_stay_gone():
    gone = {"der.py", "x509_der.py", "x509_names.py", "x509_extensions.py", "signatures.py",
            "digests.py", "output_cache.py"}
    assert {p.name for p in PACKAGE.rglob("*.py")} & gone == set()


def test_certificates_are_read_by_cryptography_and_hashed_by_hashlib():
    imports = {path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
               for path in PACKAGE.rglob("*.py")}
    readers = [name for name, text in imports.items() if "load_der_x509_certificate" in text
               or "load_pem_x509_certificate" in text]
    assert readers and all("from cryptography" in imports[name] for name in readers)
    hashing = [name for name, text in imports.items() if re.search(r"\bsha256\(", text)]
    assert hashing and all(re.search(r"^\s*import hashlib", imports[name], re.M)
                           for name in hashing), hashing
