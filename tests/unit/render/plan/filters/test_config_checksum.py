"""The config-checksum filter: the chart's checksum/config stops being a password oracle."""

from __future__ import annotations

import hashlib
import json

from post_renderer.render.pipeline import post_render

from ....chart_manifests import FULLNAME, configmap, controller, find, load_all, release
from ....user_settings import user_settings

CHART_CHECKSUM = "0f4c"  # what chart_manifests.controller() annotates the pod with


def pod_annotations(data: bytes, settings) -> dict:
    result = post_render(data, settings)
    documents = load_all(b"".join(bytes(part) for part in result.parts))
    return find(documents, "Deployment", FULLNAME)["spec"]["template"]["metadata"]["annotations"]


def test_a_pod_without_the_charts_config_checksum_gets_none():
    """podAnnotations of the user's own, and no checksum/config: nothing to rehash."""
    data = release(controller().replace(f"checksum/config: {CHART_CHECKSUM}", "team: platform"),
                   configmap(proxy_url="http://alice:s3cret@proxy.corp:3128"))

    annotations = pod_annotations(data, user_settings())

    assert annotations["team"] == "platform" and "checksum/config" not in annotations
    assert "checksum/proxy" in annotations


def test_the_checksum_is_a_hash_of_the_configmap_as_emitted_which_holds_no_password():
    """As the module says: SHA-256 over the emitted ConfigMap as canonical JSON, so a reader
    of pods who guesses the password cannot rebuild the text it is a hash of."""
    data = release(controller(), configmap(proxy_url="http://alice:s3cret@proxy.corp:3128"))
    result = post_render(data, user_settings())
    documents = load_all(b"".join(bytes(part) for part in result.parts))
    emitted = find(documents, "ConfigMap", FULLNAME)
    annotations = find(documents, "Deployment", FULLNAME)["spec"]["template"]["metadata"][
        "annotations"]

    canonical = json.dumps(emitted, sort_keys=True, separators=(",", ":"), default=str)
    assert "s3cret" not in canonical
    assert annotations["checksum/config"] == hashlib.sha256(canonical.encode()).hexdigest()
