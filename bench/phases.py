"""Where a warm render's own time goes, inside one process: the phases ``make bench`` cannot
tell apart from outside.

    .tools/bench-venv/bin/python bench/phases.py [MANIFESTS] [--runs N]

MANIFESTS is a rendered release; without it, ``make bench``'s fixture is rendered (Helm 3,
the vendor-shaped chart with a Spot token, a proxy URL with credentials and a corporate CA)
into the temporary folder, which is removed at the end. Each of N fresh processes of this
interpreter (``make bench`` installs it) imports the
modules a render imports, the libraries' first and ocean-proxy's after, then renders twice
with stdout and stderr sent to /dev/null: the first render is what a user's process does
once everything is imported (first uses: caches, YAML dumpers, regular expressions), the
second what is left once all of that is warm. The certificate fact cache is a private,
temporary one, filled by an untimed run first. Prints the medians, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import run as bench

# Runs in each child: argv[1] the manifests, argv[2] the modules to import, one per line.
CHILD = r"""
import gc, importlib, io, json, os, sys, time
gc.disable()
manifests, modules = sys.argv[1], open(sys.argv[2]).read().split()
sys.argv = sys.argv[:1]
start = time.perf_counter()
for name in modules:
    if not name.startswith("post_renderer"):
        try:
            importlib.import_module(name)
        except ImportError:  # a module the library imports only on some platforms
            pass
libraries = time.perf_counter()
for name in modules:
    if name.startswith("post_renderer"):
        importlib.import_module(name)
ours = time.perf_counter()
from post_renderer.cli import post_renderer_main
null = os.open(os.devnull, os.O_WRONLY)
saved = os.dup(1), os.dup(2)
renders = []
for _ in range(2):
    stdin = os.open(manifests, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, closefd=False)))
    os.dup2(null, 1)
    os.dup2(null, 2)
    began = time.perf_counter()
    code = post_renderer_main()
    sys.stdout.flush()
    sys.stderr.flush()
    renders.append(time.perf_counter() - began)
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    if code != 0:
        sys.exit(f"the render failed with exit code {code}")
print(json.dumps({"libraries": libraries - start, "ocean-proxy": ours - libraries,
                  "first render": renders[0], "second render": renders[1],
                  "modules": sum(n.startswith("post_renderer") for n in modules)}))
"""

# Writes to argv[1] the modules one render imports, in the order it imports them.
LIST = r"""
import gc, sys
gc.disable()
before = set(sys.modules)
listing, sys.argv = sys.argv[1], sys.argv[:1]
from post_renderer.cli import post_renderer_main
code = post_renderer_main()
with open(listing, "w", encoding="utf-8") as out:
    out.write("\n".join(n for n in sys.modules if n not in before))
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="?", help="default: make bench's fixture")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--helm", type=Path, default=bench.REPO / ".tools" / "bin" / "helm3",
                        help="helm 3, to render the fixture")
    args = parser.parse_args()
    # the children run in the temporary directory: from the repository, "-c" would import
    # the source tree (with its bytecode stale or not written) instead of the installed package
    with tempfile.TemporaryDirectory(prefix="ocean-proxy-phases-") as tmp:
        manifests = os.path.abspath(args.manifests) if args.manifests else \
            render_fixture(Path(tmp), args.helm.absolute())
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCEAN_PROXY_")}
        env["OCEAN_PROXY_CACHE_DIR"] = os.path.join(tmp, "fact-cache")
        modules = os.path.join(tmp, "modules.txt")
        for _ in range(2):  # the first fills the fact cache, the second lists a warm render's
            with open(manifests, "rb") as stdin:
                listed = subprocess.run([sys.executable, "-c", LIST, modules], stdin=stdin,
                                        env=env, cwd=tmp, capture_output=True, text=True,
                                        check=False)
            if listed.returncode != 0:
                sys.exit(f"phases: the render failed: {listed.stderr[-2000:]}")
        samples = []
        for _ in range(args.runs):
            child = subprocess.run([sys.executable, "-c", CHILD, manifests, modules],
                                   env=env, cwd=tmp, capture_output=True, text=True,
                                   check=False)
            if child.returncode != 0:
                sys.exit(f"phases: {child.stderr[-2000:]}")
            samples.append(json.loads(child.stdout))
    for phase in ("libraries", "ocean-proxy", "first render", "second render"):
        values = [s[phase] * 1000 for s in samples]
        label = f"imports, {phase}" if phase in ("libraries", "ocean-proxy") else phase
        print(f"{label:<26} {statistics.median(values):6.1f} ms "
              f"({min(values):.1f}-{max(values):.1f})")
    print(f"ocean-proxy modules a render imports: {samples[0]['modules']}")
    return 0


def render_fixture(tmp: Path, helm: Path) -> str:
    """make bench's fixture, rendered into ``tmp``; its path."""
    work = tmp / "render"
    work.mkdir()
    path = tmp / "fixture.yaml"
    env = bench.bench_env(work)
    path.write_bytes(bench.render_fixture(helm, env, bench.chart_flags(
        bench.write_corporate_ca(work))))
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
