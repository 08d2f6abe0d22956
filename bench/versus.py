"""Two commits side by side: the same warm render alone and under `helm template`, in
alternating runs, so that whatever the machine does meanwhile falls on both alike.

    make versus BEFORE=18c2918 AFTER=HEAD [VERSUS_ARGS=--runs 31]

Each commit's ``post_renderer/`` (``git archive``) goes into its own copy of the bench
install (``.tools/bench-venv``: one interpreter, the same libraries), compiled, with a console
script, a Helm 4 ``postrenderer/v1`` plugin and a certificate fact cache of its own (filled by
an untimed run). The input is ``make bench``'s fixture: the vendor-shaped chart with a Spot
token, a proxy URL with credentials and a corporate CA, rendered by Helm 3. Each round runs
helm 3 and helm 4 alone and, for each commit, the render alone and under both helms, as
``make bench`` measures them (``bench/measure.py``: wall and CPU time, helm's stderr a file).
Prints the medians, the latency each commit adds to each helm, and whether both commits wrote
the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import run as bench

SCRIPT = ("#!{python}\nfrom post_renderer.console import post_renderer_script\n"
          "post_renderer_script()\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="a commit (anything git rev-parse takes)")
    parser.add_argument("after")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--venv", type=Path, default=bench.REPO / ".tools" / "bench-venv")
    parser.add_argument("--helm", type=Path, default=bench.REPO / ".tools" / "bin" / "helm3")
    parser.add_argument("--helm4", type=Path, default=bench.REPO / ".tools" / "bin" / "helm4")
    args = parser.parse_args()
    args.helm, args.helm4, args.venv = (p.resolve() for p in (args.helm, args.helm4, args.venv))
    with tempfile.TemporaryDirectory(prefix="ocean-proxy-versus-") as tmp:
        work = Path(tmp)
        env = bench.bench_env(work)
        flags = bench.chart_flags(bench.write_corporate_ca(work))
        fixture = work / "fixture.yaml"
        fixture.write_bytes(bench.render_fixture(args.helm, env, flags))
        labels = {"before": args.before, "after": args.after}
        scripts = {label: install(work / label, rev, args.venv) for label, rev in labels.items()}
        envs = {label: {**env, "OCEAN_PROXY_CACHE_DIR": str(work / label / "fact-cache")}
                for label in labels}
        outputs = {}
        for label, script in scripts.items():  # fills the fact cache; keeps the output
            outputs[label] = subprocess.run([str(script)], stdin=fixture.open("rb"),
                                            capture_output=True, env=envs[label],
                                            check=True).stdout
        helm = [str(args.helm), "template", "ocean-controller", str(bench.CHART), *flags]

        def helm4(plugins: Path) -> list[str]:
            return ["/usr/bin/env", f"HELM_PLUGINS={plugins}", str(args.helm4),
                    "template", "ocean-controller", str(bench.CHART), *flags]

        # helm 4 alone has the plugin installed too, as a user of it has
        commands = {("helm3", None): (helm, None),
                    ("helm4", None): (helm4(work / "after" / "plugins"), None)}
        for label, script in scripts.items():
            commands[("alone", label)] = ([str(script)], fixture)
            commands[("helm3", label)] = ([*helm, "--post-renderer", str(script)], None)
            commands[("helm4", label)] = ([*helm4(work / label / "plugins"), "--post-renderer",
                                           "ocean-proxy-post-renderer"], None)
        samples: dict[tuple[str, str | None], list[dict]] = {key: [] for key in commands}
        for _ in range(args.runs):
            for key, (command, stdin) in commands.items():
                sample = bench.measure(work, command, stdin or Path("/dev/null"), 60,
                                       env=envs[key[1]] if key[1] else env)
                if sample["exit"] != 0:
                    raise SystemExit(f"versus: {key} failed: {sample.get('stderr')}")
                samples[key].append(sample)
    report(labels, samples, outputs)
    return 0


def install(home: Path, rev: str, venv: Path) -> Path:
    """A copy of the bench install with ``rev``'s post_renderer; its console script."""
    shutil.copytree(venv, home, symlinks=True)
    site = next(home.glob("lib/python3*/site-packages"))
    shutil.rmtree(site / "post_renderer")
    archive = subprocess.run(["git", "-C", str(bench.REPO), "archive", "--format=tar", rev,
                              "post_renderer"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(site, filter="data")
    subprocess.run([str(home / "bin" / "python"), "-m", "compileall", "-q",
                    str(site / "post_renderer")], check=True)
    script = home / "ocean-proxy-post-renderer"
    script.write_text(SCRIPT.format(python=home / "bin" / "python"))
    script.chmod(0o755)
    bench.write_plugin(home / "plugins" / "ocean-proxy-post-renderer",
                       "ocean-proxy-post-renderer", script)
    return script


def report(labels: dict[str, str], samples: dict, outputs: dict[str, bytes]) -> None:
    def median(key: tuple[str, str | None], field: str) -> float:
        return statistics.median(s[field] for s in samples[key]) * 1000

    runs = len(next(iter(samples.values())))
    print(f"{runs} alternating runs; medians, wall (CPU) in ms")
    for label, rev in labels.items():
        print(f"  {label} = {rev}")
    for helm in ("helm3", "helm4"):
        print(f"{helm} template alone: {median((helm, None), 'wall'):.1f} "
              f"({median((helm, None), 'cpu'):.1f})")
    for label in labels:
        print(f"{label}: render alone {median(('alone', label), 'wall'):.1f} "
              f"({median(('alone', label), 'cpu'):.1f})")
        for helm in ("helm3", "helm4"):
            own, both = median((helm, None), "wall"), median((helm, label), "wall")
            print(f"  adds to {helm} template {both - own:.1f} ms = {(both - own) / own:.2f}x "
                  f"its own time")
    same = outputs["before"] == outputs["after"]
    print(f"outputs: {'byte-identical' if same else 'they differ'} "
          f"({len(outputs['before'])} and {len(outputs['after'])} bytes)")


if __name__ == "__main__":
    sys.exit(main())
