"""A Helm chart repository's files (index.yaml and a packaged chart), built with tarfile."""

from __future__ import annotations

import hashlib
import io
import tarfile

CHART = "hello-spot"
VERSION = "0.1.0"

_CHART_FILES = {
    "Chart.yaml": f"apiVersion: v2\nname: {CHART}\nversion: {VERSION}\n"
                  "description: stands in for the charts on charts.spot.io\n",
    "values.yaml": "greeting: hello\n",
    "templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                "  name: {{ .Release.Name }}-hello\n"
                                "data:\n  greeting: {{ .Values.greeting | quote }}\n",
}


def package_chart(name: str = CHART, files: dict[str, str] | None = None) -> bytes:
    """A ``helm package``-shaped .tgz: every file under ``<name>/``, fixed times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, text in sorted((files or _CHART_FILES).items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def repository_files(base_url: str) -> dict[str, bytes]:
    """Paths to bytes: ``/index.yaml`` and ``/charts/<chart>-<version>.tgz``."""
    archive = package_chart()
    path = f"/charts/{CHART}-{VERSION}.tgz"
    index = (
        "apiVersion: v1\n"
        "entries:\n"
        f"  {CHART}:\n"
        "  - apiVersion: v2\n"
        f"    name: {CHART}\n"
        f"    version: {VERSION}\n"
        "    created: \"2024-01-01T00:00:00Z\"\n"
        f"    digest: {hashlib.sha256(archive).hexdigest()}\n"
        f"    urls:\n    - {base_url}{path}\n"
        "generated: \"2024-01-01T00:00:00Z\"\n"
    )
    return {"/index.yaml": index.encode(), path: archive}
