"""Benchmark: the post-renderer against ``kubectl kustomize`` and ``cat``, side by side.

    make bench                       # or: .venv/bin/python bench/run.py --help

Inputs: the fixture chart's render (helm 3, the vendor's flags as users run them: a Spot
token, a proxy URL with credentials and a corporate CA in the chart's values) and
generated streams of about 2 and 20 MB (``bench/streams.py``: many ordinary documents
and that render in the middle); ``--set KEY=VALUE`` adds chart values to all of them (``make
bench BENCH_ARGS="--set spotinst.disableAutoUpdate=true"``: the release without the
auto-update Job, whose post-renderer ocean-proxy otherwise adds in a Secret). Tools,
interleaved within every repetition so that machine noise hits all of them alike:

- ``ocean-proxy``: the post-renderer's console script from a clean, non-editable install,
  warm: its certificate fact cache filled by the untimed first run (the usual case: the CA
  rarely changes between runs);
- ``ocean-proxy --no-cache`` (fixture only): cold, every certificate read by cryptography;
- ``helm3``/``helm4`` and ``... + ocean-proxy`` (fixture only): a real ``helm template`` of the
  chart, alone and with ``--post-renderer``, warm and cold (``OCEAN_PROXY_NO_CACHE=1``): the
  latency the post-renderer adds to helm.
  Helm 3 runs the console script; Helm 4 runs it as a ``postrenderer/v1`` plugin whose
  command is that console script (``bench_helm4_plugin``: the released plugin's
  bootstrap-installed wrapper adds one ``sh`` exec on top);
- ``helm3 + cat``/``helm4 + cat`` and ``... + libraries`` (fixture only, warm): the floors the
  added latency is split by. ``cat`` is helm's post-renderer runtime with the cheapest
  post-renderer (Helm 4: a ``postrenderer/v1`` plugin running ``/bin/cat``); ``libraries`` is a
  Python script in the same install that imports the libraries ocean-proxy is built on
  (ruamel.yaml, jsonpatch, hashlib, hmac, json, argparse with a parser built) and writes the
  output ocean-proxy wrote for that helm (captured once, untimed), so it also carries what
  helm spends reading a bigger output. What is left over is ocean-proxy's own imports and work;
- ``python + libraries`` (fixture only): that script alone, with the fixture as input;
- ``kustomize``: ``kubectl kustomize`` applying, as JSON 6902 patches, exactly the operations
  our ``--plan`` prints for the same input (checked once: its output carries the change);
- ``cat``: reading and writing the bytes, the floor;
- ``python``: the bench interpreter starting and exiting (fixture only): the start-up floor
  of any Python tool.

Beside speed, the check of each tool's output counts the documents it kept byte for byte
(fixture and 2 MB). Every run is forked from ``bench/measure.py`` (wall time, user+system
CPU, peak RSS). The
table gives the median and the min-max spread; the JSON in ``bench/results/`` every sample,
the targets with PASS or MISS, and the profile of our run (``-X importtime`` and cProfile)
that explains a miss. kustomize runs are capped (``--kustomize-timeout``); once it did not
finish on one input, it is not started on bigger ones. A miss is reported, never an error:
the exit code is 0 unless the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from streams import MB, write_stream

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MEASURE = HERE / "measure.py"
CHART = REPO / "examples" / "charts" / "ocean-kubernetes-controller"
# What users pass: a Spot token and a proxy URL with credentials (the password is scrypt's
# input in the rollout checksum, so a fixture without one would not show that cost).
TOKEN = "6f1c0e4b9a7d2e3f5a8b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a2b5c8d1e4f"
HELM_FLAGS = ("--namespace", "spot-system", "--set", "spotinst.account=act-bench",
              "--set", "spotinst.clusterIdentifier=bench", "--set", f"spotinst.token={TOKEN}",
              "--set", "spotinst.proxyUrl=http://svc-ocean:S3cr3t-Pa55@proxy.corp:3128")
TOOLS = ("ocean-proxy", "kustomize", "cat")
COLD = "ocean-proxy --no-cache"
COLD_SUFFIX = " --no-cache"
HELM_TOOLS = ("helm3", "helm3 + ocean-proxy", "helm3 + ocean-proxy --no-cache",
              "helm3 + cat", "helm3 + libraries",
              "helm4", "helm4 + ocean-proxy", "helm4 + ocean-proxy --no-cache",
              "helm4 + cat", "helm4 + libraries")
LIBRARIES = "python + libraries"
# sh -c CAPTURE POST_RENDERER FILE: the post-renderer's output, kept in FILE and passed on;
# its failure is the script's (a pipe into tee would end with tee's status).
CAPTURE = '"$0" > "$1" && exec cat "$1"'
# The floor of a post-renderer in Python on ocean-proxy's libraries: start-up, the imports
# ocean-proxy's warm render makes of them, and the output ocean-proxy wrote, read back; it
# starts and ends as ocean-proxy-post-renderer does (post_renderer/console.py, cli.py): the
# cyclic collector paused, and no teardown of the interpreter at exit.
LIBRARIES_SCRIPT = """#!{python}
import gc
gc.disable()
import argparse, base64, hashlib, hmac, json, os, re, sys
import jsonpatch, ruamel.yaml
argparse.ArgumentParser(prog="floor", add_help=False).parse_args([])
sys.stdin.buffer.read()
with open({output!r}, "rb") as output:
    sys.stdout.buffer.write(output.read())
sys.stdout.flush()
os._exit(0)
"""
_MARKER = re.compile(rb"^---[ \t]*(?:#.*)?$", re.MULTILINE)
# The pipeline's stages, as cProfile names them: what a profile is summarised by.
STAGES = ("(read_manifests)", "(split_documents)", "(chunks_matching)", "(find_release)",
          "(parse_document)", "(resolve_injection)", "(load_trust_bundle)", "(build_plan)",
          "(apply_plan)", "(edit_document)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The work folder holds ocean-proxy's outputs, with the bench's made-up Spot token and
    # proxy password in their Secrets: private (0700), and removed unless kept on purpose.
    if args.keep_inputs:
        work = args.results / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, mode=0o700)
    else:
        work = Path(tempfile.mkdtemp(prefix="ocean-proxy-bench-"))
    try:
        return run_bench(args, work)
    finally:
        if not args.keep_inputs:
            shutil.rmtree(work, ignore_errors=True)


def run_bench(args: argparse.Namespace, work: Path) -> int:
    env = bench_env(work)
    args.chart_flags = chart_flags(write_corporate_ca(work)) + tuple(
        flag for value in args.set for flag in ("--set", value))
    if args.helm4:
        args.helm4_plugins = bench_helm4_plugin(work, args.post_renderer)
    fixture = render_fixture(args.helm, env, args.chart_flags)
    args.floors = write_floors(work, args, env)
    inputs = prepare_inputs(work, fixture, args.sizes)
    patches = plan_patches(args.post_renderer, inputs[0]["path"], env)
    for item in inputs:
        write_kustomization(item, patches)
    floor = measure(work, ["/bin/true"], work / "empty", 60)["peak_kb"]
    load_before = os.getloadavg()
    skip_kustomize = None
    for item in inputs:
        print(f"measuring {item['name']} ({item['bytes'] / MB:.1f} MB, "
              f"{item['documents']} documents) ...", file=sys.stderr, flush=True)
        item["runs"] = run_input(item, args, env, patches, skip_kustomize)
        kustomize = item["runs"]["kustomize"]
        if kustomize.get("timed_out") or kustomize.get("not_run"):
            skip_kustomize = skip_kustomize or item["name"]
    load_after = os.getloadavg()
    profiles = profile(args, inputs, env)
    results = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(load_before, load_after),
        "versions": versions(args, env),
        "peak_memory_floor_kb": floor,
        "inputs": [summarise(item) for item in inputs],
        "kustomize_patch": patches,
        "profile": profiles,
    }
    results["targets"] = check_targets(results["inputs"])
    print(table(results))
    print()
    for target in results["targets"]:
        print(f"{target['status']:<12} {target['target']}: {target['detail']}")
    print()
    print(profile_summary(results))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    args.results.mkdir(parents=True, exist_ok=True)
    for name in (f"bench-{stamp}.json", "latest.json"):
        (args.results / name).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {args.results / f'bench-{stamp}.json'} (and latest.json)")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--post-renderer", type=Path, required=True,
                        help="the ocean-proxy-post-renderer console script to measure")
    parser.add_argument("--kubectl", type=Path, required=True)
    parser.add_argument("--helm", type=Path, required=True, help="helm 3, to render the fixture")
    parser.add_argument("--helm4", type=Path, default=None,
                        help="helm 4, for the latency the post-renderer adds to it")
    parser.add_argument("--sizes", default="2,20",
                        help="generated stream sizes in MB, comma-separated (default: %(default)s)")
    parser.add_argument("--reps", type=int, default=5,
                        help="repetitions per tool and stream; the fixture gets three times "
                             "as many, the biggest stream two fewer (default: %(default)s)")
    parser.add_argument("--kustomize-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="kill a kustomize run after this long (default: %(default)s)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="one more chart value for the fixture and every helm run, as "
                             "helm's --set takes it; repeatable (say, "
                             "spotinst.disableAutoUpdate=true)")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--keep-inputs", action="store_true",
                        help="keep the generated inputs and outputs in RESULTS/work (0700: "
                             "the outputs hold the bench's made-up token and password)")
    args = parser.parse_args(argv)
    for name in ("post_renderer", "kubectl", "helm", "helm4", "results"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).absolute())
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    return args


def bench_env(work: Path) -> dict[str, str]:
    """No proxy or ocean-proxy settings from outside; helm with private, empty homes."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCEAN_PROXY_", "HELM_", "KUBE"))
           and k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")}
    home = work / "helm-home"
    for name in ("HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME"):
        (home / name).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / name)
    # OCEAN_PROXY_MESSAGES stays unset, as users leave it: under helm, messages go to helm's
    # own stderr (a file here, opened as '2> log' opens it), and that is measured too.
    env["OCEAN_PROXY_CACHE_DIR"] = str(work / "fact-cache")
    env["KUBECONFIG"] = str(work / "no-kubeconfig")
    return env


def write_corporate_ca(work: Path) -> Path:
    """A corporate root CA, as users put in the chart's values."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Corp Root CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    path = work / "corp-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def bench_helm4_plugin(work: Path, post_renderer: Path) -> Path:
    """A HELM_PLUGINS folder with a postrenderer/v1 plugin running the measured script, and
    the floors': ``cat``, the libraries script, and the capture of ocean-proxy's output that
    script writes back (both written by ``write_floors``)."""
    plugins = work / "helm4-plugins"
    for name, command in (("ocean-proxy-post-renderer", post_renderer), ("cat", Path("/bin/cat")),
                          ("libraries", work / "libraries-helm4"),
                          ("capture", work / "capture-helm4")):
        write_plugin(plugins / name, name, command)
    return plugins


def write_plugin(folder: Path, name: str, command: Path) -> None:
    """A Helm 4 ``postrenderer/v1`` plugin named ``name`` that runs ``command``."""
    folder.mkdir(parents=True)
    (folder / "plugin.yaml").write_text(
        f"apiVersion: v1\ntype: postrenderer/v1\nname: {name}\n"
        "version: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n"
        f"    - command: {json.dumps(str(command))}\n")


def chart_flags(ca_file: Path) -> tuple[str, ...]:
    """helm's flags for the fixture: the vendor's install, with the corporate CA in values."""
    return (*HELM_FLAGS, "--set", "caBundleSecret.create=true",
            "--set-file", f"caBundleSecret.data={ca_file}")


def write_floors(work: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Path]:
    """The libraries scripts, one per helm major, each writing the output ocean-proxy wrote
    under that helm (captured by one untimed run through a capture script)."""
    python = args.post_renderer.parent / "python"
    for helm in ("helm3", "helm4"):  # Helm 4 expands $NAME in a plugin's args: a script
        capture = work / f"capture-{helm}"
        capture.write_text("#!/bin/sh\nexec " + shlex.join(
            ["/bin/sh", "-c", CAPTURE, str(args.post_renderer), str(work / f"output-{helm}.yaml")])
            + "\n")
        capture.chmod(0o755)
    runs = {"helm3": [str(args.helm), "--post-renderer", str(work / "capture-helm3")]}
    if args.helm4:
        runs["helm4"] = ["/usr/bin/env", f"HELM_PLUGINS={args.helm4_plugins}", str(args.helm4),
                         "--post-renderer", "capture"]
    floors = {}
    for helm, (*command, flag, name) in runs.items():
        run = subprocess.run([*command, "template", "ocean-controller", str(CHART),
                              *args.chart_flags, flag, name], capture_output=True, env=env,
                             check=False)
        if run.returncode != 0:
            raise SystemExit(f"bench: capturing ocean-proxy's output under {helm} failed: "
                             f"{run.stderr.decode(errors='replace')[-2000:]}")
        script = work / f"libraries-{helm}"
        script.write_text(LIBRARIES_SCRIPT.format(python=python,
                                                  output=str(work / f"output-{helm}.yaml")))
        script.chmod(0o755)
        floors[helm] = script
    return floors


def render_fixture(helm: Path, env: dict[str, str], flags: tuple[str, ...]) -> bytes:
    return subprocess.run([str(helm), "template", "ocean-controller", str(CHART), *flags],
                          capture_output=True, env=env, check=True).stdout


def prepare_inputs(work: Path, fixture: bytes, sizes: list[int]) -> list[dict[str, Any]]:
    (work / "empty").write_bytes(b"")
    inputs = []
    path = work / "fixture.yaml"
    path.write_bytes(fixture)
    inputs.append({"name": "fixture", "path": path, "bytes": len(fixture),
                   "lines": fixture.count(b"\n"),
                   "documents": fixture.count(b"\n---") + fixture.startswith(b"---")})
    for size in sizes:
        path = work / f"stream-{size}mb.yaml"
        documents = write_stream(path, size * MB, fixture)
        inputs.append({"name": f"{size} MB", "path": path, "bytes": path.stat().st_size,
                       "documents": documents, "size_mb": size})
    return inputs


def plan_patches(post_renderer: Path, fixture: Path, env: dict[str, str]) -> list[dict]:
    """What our post-renderer changes, per document, as RFC 6902 operations (its --plan)."""
    with open(fixture, "rb") as stdin:
        out = subprocess.run([str(post_renderer), "--plan"], stdin=stdin, capture_output=True,
                             env=env, check=True).stdout
    plan = json.loads(out)
    patches = [{"kind": d["kind"], "name": d["name"], "ops": d["patch"]}
               for d in plan["documents"] if d["document"] is not None]
    if not any(p["kind"] == "Deployment" and len(p["ops"]) >= 4 for p in patches):
        raise SystemExit(f"bench: unexpected plan for the fixture: {plan}")
    return patches


def write_kustomization(item: dict[str, Any], patches: list[dict]) -> None:
    folder = item["path"].with_suffix(".kustomize")
    folder.mkdir()
    try:
        os.link(item["path"], folder / "input.yaml")
    except OSError:
        shutil.copyfile(item["path"], folder / "input.yaml")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["input.yaml"],
        "patches": [{"target": {"kind": p["kind"], "name": p["name"]},
                     "patch": json.dumps(p["ops"])} for p in patches],
    }
    (folder / "kustomization.yaml").write_text(json.dumps(kustomization, indent=2))
    item["kustomize_dir"] = folder


def command_for(tool: str, item: dict[str, Any], args: argparse.Namespace) -> tuple[list, Path]:
    """(argv, stdin) of one tool on one input."""
    if tool == "ocean-proxy":
        return [str(args.post_renderer)], item["path"]
    if tool == COLD:
        return [str(args.post_renderer), "--no-cache"], item["path"]
    if tool.startswith("helm"):
        helm = [str(args.helm)] if tool.startswith("helm3") else \
            ["/usr/bin/env", f"HELM_PLUGINS={args.helm4_plugins}", str(args.helm4)]
        if tool.endswith(COLD_SUFFIX):  # the same for both majors: helm passes it on
            helm = ["/usr/bin/env", "OCEAN_PROXY_NO_CACHE=1", *helm]
        major = tool.split()[0]
        if "+ ocean-proxy" in tool:
            plugin = ["--post-renderer", str(args.post_renderer) if major == "helm3"
                      else "ocean-proxy-post-renderer"]
        elif tool.endswith(" + cat"):
            plugin = ["--post-renderer", "/bin/cat" if major == "helm3" else "cat"]
        elif tool.endswith(" + libraries"):
            plugin = ["--post-renderer", str(args.floors[major]) if major == "helm3"
                      else "libraries"]
        else:
            plugin = []
        return [*helm, "template", "ocean-controller", str(CHART), *args.chart_flags,
                *plugin], Path(os.devnull)
    if tool == "kustomize":
        return [str(args.kubectl), "kustomize", str(item["kustomize_dir"])], Path(os.devnull)
    if tool == "cat":
        return [shutil.which("cat") or "/bin/cat"], item["path"]
    if tool == LIBRARIES:
        return [str(args.floors["helm3"])], item["path"]
    return [str(args.post_renderer.parent / "python"), "-c", "pass"], Path(os.devnull)


def measure(work: Path, command: list[str], stdin: Path, timeout: float,
            stdout: Path | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    err = work / "stderr.txt"
    line = subprocess.run(
        [sys.executable, "-I", "-S", str(MEASURE), str(timeout), str(stdin),
         str(stdout or os.devnull), str(err), "--", *command],
        capture_output=True, text=True, env=env, cwd=work, check=True).stdout.split()
    code, wall, cpu, peak, expired = int(line[0]), float(line[1]), float(line[2]), \
        int(line[3]), line[4] == "1"
    sample = {"exit": code, "wall": wall, "cpu": cpu, "peak_kb": peak, "timed_out": expired}
    if code != 0 and not expired:
        sample["stderr"] = err.read_text(errors="replace")[-2000:]
    return sample


def run_input(item: dict[str, Any], args: argparse.Namespace, env: dict[str, str],
              patches: list[dict], skip_kustomize: str | None) -> dict[str, dict]:
    work = item["path"].parent
    fixture = item["name"] == "fixture"
    helm_tools = [t for t in HELM_TOOLS if args.helm4 or not t.startswith("helm4")]
    tools = [*TOOLS, COLD, "python", LIBRARIES, *helm_tools] if fixture else list(TOOLS)
    reps = args.reps * 3 if fixture else args.reps
    if item.get("size_mb") == max(args.sizes, default=0) and len(args.sizes) > 1:
        reps = max(args.reps - 2, 1)
    runs: dict[str, dict] = {tool: {"samples": []} for tool in tools}
    if skip_kustomize:
        runs["kustomize"] = {"samples": [], "not_run": True,
                             "note": f"not run: did not finish on the {skip_kustomize} input"}
        tools.remove("kustomize")
    annotation = next(op["value"] for p in patches for op in p["ops"]
                      if op["path"].endswith("checksum~1proxy"))
    floors = [t for t in tools if t == LIBRARIES or t.endswith((" + cat", " + libraries"))]
    cats = [t for t in floors if t.endswith(" + cat")]
    # What each helm gives back from a post-renderer that changes nothing: Helm 4 re-writes
    # the documents it reads back, so its runs are compared with that, not with the fixture.
    unchanged: dict[str, set[bytes]] = {}
    for tool in ("ocean-proxy", "cat", *cats, *(t for t in tools if "+ ocean-proxy" in t),
                 *(t for t in floors if t not in cats)):
        # untimed warm-up (it fills the fact cache), and the output is checked
        out = work / f"out-{tool}.yaml"
        argv, stdin = command_for(tool, item, args)
        sample = measure(work, argv, stdin, 600, out, env)
        if tool in cats:  # helm's own output, unchanged: its exit code tells
            if sample["exit"] != 0:
                raise SystemExit(f"bench: {tool} failed: {sample.get('stderr')}")
            unchanged[tool.split(" ")[0]] = set(documents(out.read_bytes()))
            out.unlink()
        elif tool in floors:  # ocean-proxy's output, written back: checked, not counted
            check_output(tool, sample, out, item, annotation)
        else:
            runs[tool]["faithful"] = check_output(tool, sample, out, item, annotation,
                                                  unchanged.get(tool.split(" ")[0]))
    for rep in range(reps):
        order = tools[rep % len(tools):] + tools[:rep % len(tools)]  # nobody always first
        for tool in order:
            argv, stdin = command_for(tool, item, args)
            first_kustomize = tool == "kustomize" and not runs[tool]["samples"]
            out = work / "out-kustomize.yaml" if first_kustomize else None
            timeout = args.kustomize_timeout if tool == "kustomize" else 600
            sample = measure(work, argv, stdin, timeout, out, env)
            if sample["timed_out"]:
                runs[tool].update(timed_out=True,
                                  note=f"did not finish in {timeout:g} s (killed)")
                tools.remove(tool)
                continue
            if first_kustomize:
                runs[tool]["faithful"] = check_output(tool, sample, out, item, annotation)
            runs[tool]["samples"].append(sample)
    return runs


def check_output(tool: str, sample: dict, out: Path, item: dict, annotation: str,
                 before: set[bytes] | None = None) -> dict:
    """The run succeeded and made the change (cat: copied the bytes); how faithful it was:
    how many documents are byte for byte in ``before`` (by default, the input's)."""
    if sample["exit"] != 0:
        raise SystemExit(f"bench: {tool} failed on {item['name']}: {sample.get('stderr')}")
    output = out.read_bytes()
    out.unlink()
    ok = len(output) == item["bytes"] if tool == "cat" \
        else f"checksum/proxy: {annotation}".encode() in output
    if not ok:
        raise SystemExit(f"bench: the output of {tool} on {item['name']} lacks the change")
    if item["bytes"] > 4 * MB:
        return {}
    if before is None:
        before = set(documents(item["path"].read_bytes()))
    after = documents(output)
    return {"documents": len(after), "byte_identical": sum(d in before for d in after)}


def documents(data: bytes) -> list[bytes]:
    """Documents without their '---' line, for counting the ones a tool kept as they were."""
    return [d.strip(b"\n") for d in _MARKER.split(data) if d.strip()]


def summarise(item: dict[str, Any]) -> dict[str, Any]:
    summary = {k: v for k, v in item.items() if k not in ("path", "kustomize_dir", "runs")}
    summary["tools"] = {}
    for tool, run in item["runs"].items():
        samples = run["samples"]
        entry = {k: v for k, v in run.items() if k != "samples"}
        entry["samples"] = samples
        if samples:
            for field in ("wall", "cpu", "peak_kb"):
                values = [s[field] for s in samples]
                entry[field] = {"median": statistics.median(values), "min": min(values),
                                "max": max(values)}
        summary["tools"][tool] = entry
    kustomize = summary["tools"].get("kustomize", {}).get("wall", {}).get("median")
    cat = summary["tools"].get("cat", {}).get("wall", {}).get("median")
    for entry in summary["tools"].values():
        if "wall" not in entry:
            continue
        entry["kustomize_over_this"] = kustomize / entry["wall"]["median"] if kustomize else None
        entry["this_over_cat"] = entry["wall"]["median"] / cat if cat else None
    return summary


def check_targets(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {item["name"]: item for item in inputs}
    targets = []

    def ours(name: str, field: str = "wall") -> float | None:
        item = by_name.get(name)
        return item and item["tools"]["ocean-proxy"].get(field, {}).get("median")

    def kustomize(name: str) -> tuple[float | None, str | None]:
        item = by_name.get(name)
        entry = item and item["tools"].get("kustomize", {})
        if not entry:
            return None, "not measured"
        return entry.get("wall", {}).get("median"), entry.get("note")

    def add(target: str, ok: bool | None, detail: str, status: str | None = None) -> None:
        status = status or ("NOT MEASURED" if ok is None else ("PASS" if ok else "MISS"))
        targets.append({"target": target, "status": status, "detail": detail})

    def tool(name: str, which: str, field: str = "wall") -> float | None:
        entry = by_name.get(name, {}).get("tools", {}).get(which, {})
        return entry.get(field, {}).get("median")

    def cpu_ratio(which: str, base: str) -> str:
        """The same ratio in CPU time, steadier than wall time on a busy machine."""
        mine, theirs = tool("fixture", which, "cpu"), tool("fixture", base, "cpu")
        return f"; CPU {mine / theirs:.2f}x" if mine and theirs else ""

    kust_fixture, note = kustomize("fixture")
    for which, label, limit in (("ocean-proxy", "warm", 1.25), (COLD, "cold", 2.0)):
        target = f"fixture render, {label}: at most {limit:.2f}x kustomize"
        mine = tool("fixture", which)
        if mine and kust_fixture:
            add(target, mine <= limit * kust_fixture,
                f"{which} {mine:.3f} s, kustomize {kust_fixture:.3f} s "
                f"({mine / kust_fixture:.2f}x kustomize's time{cpu_ratio(which, 'kustomize')})")
        else:
            add(target, None, note or "not measured")
    for helm in ("helm3", "helm4"):
        alone = tool("fixture", helm)
        for label, suffix, limit in (("warm", "", 1.5), ("cold", COLD_SUFFIX, None)):
            both = tool("fixture", f"{helm} + ocean-proxy{suffix}")
            target = (f"{helm} template, {label}: added latency at most {limit}x helm "
                      "template's own time" if limit else
                      f"{helm} template, {label}: added latency (reported, no target)")
            if alone and both:
                cpu_alone = tool("fixture", helm, "cpu")
                cpu_both = tool("fixture", f"{helm} + ocean-proxy{suffix}", "cpu")
                cpu = (f"; CPU adds {(cpu_both - cpu_alone) / cpu_alone:.2f}x"
                       if cpu_alone and cpu_both else "")
                detail = (f"adds {(both - alone) * 1000:.0f} ms to {alone * 1000:.0f} ms "
                          f"({(both - alone) / alone:.2f}x helm template's own time{cpu})")
                cat = tool("fixture", f"{helm} + cat")
                floor = tool("fixture", f"{helm} + libraries")
                if limit and cat and floor:
                    detail += (f"; of the added: helm's post-renderer runtime (cat) "
                               f"{(cat - alone) * 1000:.0f} ms, Python with ocean-proxy's "
                               f"libraries writing its output {(floor - cat) * 1000:.0f}"
                               f" ms, ocean-proxy's own imports and work "
                               f"{(both - floor) * 1000:.0f} ms, where the target leaves it "
                               f"{(limit * alone - (floor - alone)) * 1000:.0f} ms")
                add(target, both - alone <= limit * alone if limit else None, detail,
                    None if limit else "REPORTED")
            else:
                add(target, None, "not measured")

    ours_2, (kust_2, note) = ours("2 MB"), kustomize("2 MB")
    if ours_2 and kust_2:
        add("2 MB: at least 50x faster than kustomize", kust_2 / ours_2 >= 50,
            f"{kust_2 / ours_2:.1f}x (ocean-proxy {ours_2:.3f} s, kustomize {kust_2:.2f} s)")
    elif ours_2 and note:
        add("2 MB: at least 50x faster than kustomize", True,
            f"kustomize {note}; ocean-proxy {ours_2:.3f} s")
    else:
        add("2 MB: at least 50x faster than kustomize", None, note or "not measured")

    ours_20 = ours("20 MB")
    if ours_2 and ours_20:
        add("linear: 20 MB time / 2 MB time at most 12", ours_20 / ours_2 <= 12,
            f"{ours_20 / ours_2:.1f} ({ours_20:.3f} s / {ours_2:.3f} s)")
    else:
        add("linear: 20 MB time / 2 MB time at most 12", None, "not measured")

    for item in inputs:
        peak = ours(item["name"], "peak_kb")
        if peak is None:
            continue
        limit = 2 * item["bytes"] / 1024 + 80 * 1024
        add(f"{item['name']}: peak memory at most 2x input + 80 MB", peak <= limit,
            f"{peak / 1024:.0f} MB (limit {limit / 1024:.0f} MB)")
    return targets


def profile(args: argparse.Namespace, inputs: list[dict], env: dict[str, str]) -> dict:
    """Where our time goes: imports and functions on the fixture, functions on the biggest
    stream of at most 20 MB (the sizes the targets are about)."""
    python = str(args.post_renderer.parent / "python")
    script = str(args.post_renderer)
    fixture = inputs[0]
    result = {"fixture": {"importtime": importtime(python, script, fixture["path"], env),
                          "importtime_cold": importtime(python, script, fixture["path"], env,
                                                        "--no-cache"),
                          "cprofile": cprofile(python, script, fixture["path"], env)},
              "fixture --no-cache": {"cprofile": cprofile(python, script, fixture["path"], env,
                                                          "--no-cache")}}
    streams = [i for i in inputs if i.get("size_mb", 0) and i["size_mb"] <= 20]
    if streams:
        biggest = max(streams, key=lambda i: i["size_mb"])
        result[biggest["name"]] = {"cprofile": cprofile(python, script, biggest["path"], env)}
    return result


def importtime(python: str, script: str, manifests: Path, env: dict[str, str],
               *options: str) -> dict:
    with open(manifests, "rb") as stdin:
        run = subprocess.run([python, "-X", "importtime", script, *options], stdin=stdin,
                             capture_output=True, text=True, env=env, cwd=manifests.parent,
                             check=True)
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        rows.append({"module": name.strip(), "depth": (len(name) - len(name.lstrip()) - 1) // 2,
                     "self_us": int(own), "cumulative_us": int(cumulative)})
    top_level = sorted((r for r in rows if r["depth"] == 0),
                       key=lambda r: -r["cumulative_us"])
    return {
        "total_ms": sum(r["self_us"] for r in rows) / 1000,
        "modules": len(rows),
        "by_package_ms": by_package(rows),
        "top_level_by_cumulative": top_level[:15],
        "by_self": sorted(rows, key=lambda r: -r["self_us"])[:15],
    }


HEAVY = (("cryptography", ("cryptography",)), ("pyOpenSSL", ("OpenSSL",)),
         ("ruamel.yaml", ("ruamel", "_ruamel_yaml")), ("ocean-proxy", ("post_renderer",)))


def by_package(rows: list[dict]) -> dict[str, float]:
    """Import time (ms, as -X importtime counts it) per heavy package, each with the standard
    library modules it was the first to import; the rest is the standard library's."""
    owner = [""] * len(rows)
    for index in range(len(rows) - 1, -1, -1):  # -X importtime prints an importer after it
        name, depth = rows[index]["module"], rows[index]["depth"]
        own = next((label for label, prefixes in HEAVY if name.split(".")[0] in prefixes),
                   "standard library")
        importer = next((owner[j] for j in range(index + 1, len(rows))
                         if rows[j]["depth"] < depth), "")
        inherited = own == "standard library" and importer in ("cryptography", "pyOpenSSL",
                                                               "ruamel.yaml")
        owner[index] = importer if inherited else own
    totals = dict.fromkeys([label for label, _ in HEAVY] + ["standard library"], 0.0)
    for row, label in zip(rows, owner, strict=True):
        totals[label] += row["self_us"] / 1000
    return {label: round(ms, 1) for label, ms in totals.items()}


def cprofile(python: str, script: str, manifests: Path, env: dict[str, str],
             *options: str) -> dict:
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.out"
        # the console script ends the process without the interpreter's exit, where cProfile
        # writes its file: the profile runs the same render through a script that returns
        driver = Path(tmp) / "render.py"
        driver.write_text("import gc, sys\ngc.disable()\nfrom post_renderer.cli import "
                          "post_renderer_main\nsys.exit(post_renderer_main())\n")
        with open(manifests, "rb") as stdin:
            # not from the repository: '-m' puts the current directory first on sys.path
            subprocess.run([python, "-m", "cProfile", "-o", str(out), str(driver), *options],
                           stdin=stdin,
                           capture_output=True, env=env, cwd=tmp, check=True)
        stats = pstats.Stats(str(out))
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        short = filename.split("site-packages/")[-1]
        rows.append({"function": f"{short}:{line}({function})", "calls": calls,
                     "tottime_s": round(own, 4), "cumtime_s": round(cumulative, 4)})
    found = {stage: row["cumtime_s"] for row in rows for stage in STAGES
             if row["function"].endswith(stage)}
    stages = {stage: found[stage] for stage in STAGES if stage in found}
    return {
        "total_s": round(stats.total_tt, 4),
        "stages_cumtime_s": stages,
        "top10_by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:10],
        "top10_by_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:10],
    }


def profile_summary(results: dict[str, Any]) -> str:
    """Where our time went, in a few lines: what explains a miss."""
    lines = []
    fixture = next(i for i in results["inputs"] if i["name"] == "fixture")
    python = fixture["tools"].get("python", {}).get("wall", {}).get("median")
    ours = fixture["tools"]["ocean-proxy"].get("wall", {}).get("median")
    imports = results["profile"]["fixture"]["importtime"]
    if python and ours:
        lines.append(f"profile, fixture: {ours * 1000:.0f} ms in all; interpreter start "
                     f"{python * 1000:.0f} ms; imports {imports['total_ms']:.0f} ms as -X "
                     f"importtime counts them, slowed by it ({imports['modules']} modules)")
    cold = fixture["tools"].get(COLD, {}).get("wall", {}).get("median")
    cold_imports = results["profile"]["fixture"]["importtime_cold"]
    if python and cold:
        lines.append(f"profile, fixture --no-cache: {cold * 1000:.0f} ms in all; interpreter "
                     f"start {python * 1000:.0f} ms; imports {cold_imports['total_ms']:.0f} ms "
                     f"as -X importtime counts them ({cold_imports['modules']} modules)")
    for label, found in (("warm", imports), ("cold", cold_imports)):
        packages = ", ".join(f"{name} {ms:.0f} ms" for name, ms in found["by_package_ms"].items())
        lines.append(f"  imports, {label}, by package: {packages}")
    for name, entry in results["profile"].items():
        profiled = entry["cprofile"]
        stages = ", ".join(f"{stage.strip('()')} {seconds:.3f} s"
                           for stage, seconds in profiled["stages_cumtime_s"].items())
        lines.append(f"  cProfile, {name} ({profiled['total_s']:.2f} s under the profiler), "
                     f"stages: {stages}")
        lines.append("    most own time: " + ", ".join(
            f"{r['function']} {r['tottime_s']:.3f} s" for r in profiled["top10_by_tottime"][:4]))
    return "\n".join(lines)


def machine(load_before: tuple, load_after: tuple) -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "platform": platform.platform(),
            "loadavg_before": load_before, "loadavg_after": load_after}


def versions(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    def output(*argv: str) -> str:
        run = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        return " ".join(run.stdout.split()) or " ".join(run.stderr.split())

    return {
        "ocean-proxy": output(str(args.post_renderer), "--version"),
        "python": output(str(args.post_renderer.parent / "python"), "--version"),
        "python_path": os.path.realpath(args.post_renderer.parent / "python"),
        "kubectl": output(str(args.kubectl), "version", "--client"),
        "helm": output(str(args.helm), "version", "--short"),
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "| input | tool | wall median (min-max) | CPU median | peak RSS median | "
        "vs kustomize | vs cat |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in results["inputs"]:
        size = f"{item['bytes'] / MB:.1f} MB" if item["bytes"] >= MB \
            else f"{item['bytes'] / 1024:.0f} KB"
        label = f"{item['name']} ({size}, {item['documents']} docs)"
        for tool, entry in item["tools"].items():
            if "wall" not in entry:
                lines.append(f"| {label} | {tool} | {entry.get('note', 'no sample')} | | | | |")
                continue
            wall, cpu, peak = entry["wall"], entry["cpu"], entry["peak_kb"]
            faster = entry.get("kustomize_over_this")
            versus = "" if tool == "kustomize" or faster is None else (
                f"{faster:.1f}x faster" if faster >= 1 else f"{1 / faster:.2f}x slower")
            over_cat = entry.get("this_over_cat")
            lines.append(
                f"| {label} | {tool} | {wall['median']:.3f} s ({wall['min']:.3f}-"
                f"{wall['max']:.3f}) | {cpu['median']:.3f} s | {peak['median'] / 1024:.0f} MB "
                f"| {versus} | {'' if tool == 'cat' or over_cat is None else f'{over_cat:.1f}x'} |")
    lines.append("")
    for item in results["inputs"]:
        kept = [f"{tool} {entry['faithful']['byte_identical']} of "
                f"{entry['faithful']['documents']}" for tool, entry in item["tools"].items()
                if entry.get("faithful") and tool != "cat"]
        if kept:
            helms = any(tool.startswith("helm") for tool in item["tools"])
            lines.append(f"Documents byte-identical to the input, {item['name']}: "
                         f"{', '.join(kept)}" + (" (a helm's runs: to what that helm gives "
                         "back from cat; Helm 4 re-writes the documents it reads back)" if helms
                         else "") + ".")
    lines.append(f"Peak RSS includes a floor of {results['peak_memory_floor_kb'] / 1024:.1f} MB "
                 "(the measuring process, see bench/measure.py). "
                 f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['cpu_model']}, "
                 f"load {results['machine']['loadavg_before'][0]:.2f} before, "
                 f"{results['machine']['loadavg_after'][0]:.2f} after. "
                 f"ocean-proxy on {results['versions']['python']} "
                 f"({results['versions'].get('python_path', 'its path not recorded')}).")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
