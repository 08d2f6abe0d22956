"""USER_ENV_CERTIFICATES reading ocean-proxy's own CA Secret, ``<fullname>-ocean-proxy-ca``.

With ``--ca-file`` and a CA Secret the chart does not render (``caBundleSecret.name`` naming
one that exists already), the bundle goes into a Secret of ocean-proxy's, kept across
upgrades, with one key per CA that the pods mount by ``subPath``, and the chart values
ocean-proxy keeps for the auto-update say ``caBundleSecret.create: false``. The chart never
makes that Secret: made by the chart, it would hold the bundle alone, and the mounts of the
other keys would keep the pods from starting. That holds when the manifests already read
that Secret: ocean-proxy's own output, or a release rendered with its chart values.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml

from . import certs
from .chart_render import FULLNAME, PROXY_FLAGS
from .conftest import helm_template, post_renderer

OURS = f"{FULLNAME}-ocean-proxy-ca"


def kept_values(stream: bytes) -> dict:
    """The chart values ocean-proxy keeps for the auto-update's helm."""
    for doc in yaml.safe_load_all(stream):
        if doc and doc["kind"] == "Secret" and doc["metadata"]["name"].endswith("-values"):
            return json.loads(base64.b64decode(doc["data"]["values.yaml"]))["oceanProxy"]
    raise AssertionError("no values Secret in the output")


def test_the_output_post_rendered_again_is_unchanged(tmp_path: Path):
    ca = tmp_path / "corp-root.pem"
    ca.write_bytes(certs.root("Kept Corp Root CA").pem)
    rendered = helm_template(tmp_path, *PROXY_FLAGS, "--set", "caBundleSecret.name=corp-ca")
    first = post_renderer(f"--ca-file={ca}", stdin=rendered)
    assert first.returncode == 0, first.stderr
    assert kept_values(first.stdout)["caBundleSecret"]["create"] is False

    again = post_renderer(f"--ca-file={ca}", stdin=first.stdout)

    assert again.returncode == 0, again.stderr
    assert kept_values(again.stdout)["caBundleSecret"] == \
        kept_values(first.stdout)["caBundleSecret"]
    assert again.stdout == first.stdout


def test_a_release_that_reads_it_already_is_not_told_it_now_reads_it(tmp_path: Path):
    """Rendered with ocean-proxy's chart values (what the release holds once the auto-update
    has run), USER_ENV_CERTIFICATES reads that Secret already."""
    ca = tmp_path / "corp-root.pem"
    ca.write_bytes(certs.root("Kept Corp Root CA").pem)
    values = tmp_path / "ocean-proxy-values.yaml"
    values.write_text(json.dumps({"caBundleSecret": {"create": False, "name": OURS}}))
    rendered = helm_template(tmp_path, *PROXY_FLAGS, "-f", str(values))

    run = post_renderer(f"--ca-file={ca}", stdin=rendered)

    assert run.returncode == 0, run.stderr
    assert "USER_ENV_CERTIFICATES now reads" not in run.stderr
    assert kept_values(run.stdout)["caBundleSecret"]["create"] is False


def test_it_is_read_under_the_key_that_holds_the_bundle(tmp_path: Path):
    """Values that name that Secret under another key (caBundleSecret.key) left
    USER_ENV_CERTIFICATES reading a key the Secret does not have: the controller then went
    without the corporate CA."""
    ca = tmp_path / "corp-root.pem"
    ca.write_bytes(certs.root("Kept Corp Root CA").pem)
    values = tmp_path / "values.yaml"
    values.write_text(json.dumps({"caBundleSecret": {"create": False, "name": OURS,
                                                     "key": "ca.crt"}}))
    rendered = helm_template(tmp_path, *PROXY_FLAGS, "-f", str(values))

    run = post_renderer(f"--ca-file={ca}", stdin=rendered)

    assert run.returncode == 0, run.stderr
    docs = [doc for doc in yaml.safe_load_all(run.stdout) if doc]
    secret = next(doc for doc in docs if doc["kind"] == "Secret"
                  and doc["metadata"]["name"] == OURS)
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment"
                      and doc["metadata"]["name"] == FULLNAME)
    env = {entry["name"]: entry for container in deployment["spec"]["template"]["spec"][
        "containers"] for entry in container.get("env", [])}
    read = env["USER_ENV_CERTIFICATES"]["valueFrom"]["secretKeyRef"]
    assert read["name"] == OURS and read["key"] in secret["data"]
