"""Whether helm can store the release: judged by the record helm writes, gzipped and base64."""

from __future__ import annotations

import base64
import random

import pytest

from post_renderer.render.plan.injection import Injection
from post_renderer.render.release.chart_settings import ChartSettings
from post_renderer.render.release.settings import Setting
from post_renderer.render.release_record import (
    MARGIN,
    RECORD_LIMIT,
    stored_size,
    too_large_to_store,
)


def binary_configmap(kib: int) -> bytes:
    """A ConfigMap whose binaryData is ``kib`` KiB of base64 that gzip cannot shrink (a
    firmware, a keystore, as helm's ``b64enc`` writes it): its record comes out larger than
    the manifest."""
    blob = base64.b64encode(random.Random(kib).randbytes(kib * 1024 * 3 // 4))
    return (b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: firmware\n"
            b"binaryData:\n  image.bin: " + blob + b"\n")


@pytest.mark.parametrize("kib", [954, 958])
def test_a_release_whose_manifest_fits_but_whose_record_does_not_is_named(kib):
    """base64 grows what gzip cannot shrink by a third: a manifest under helm's limit can be a
    record over it, and the estimate must not skip the compression for its length alone."""
    manifest = binary_configmap(kib)
    assert len(manifest) < RECORD_LIMIT - MARGIN < stored_size([manifest], [])

    lint = too_large_to_store([manifest], ChartSettings(), Injection())

    assert lint is not None and "as helm stores it" in lint.message
    assert "Too long" in lint.message


def test_a_release_whose_record_fits_gets_no_such_lint():
    manifest = binary_configmap(900)
    assert stored_size([manifest], []) < RECORD_LIMIT - MARGIN
    assert too_large_to_store([manifest], ChartSettings(), Injection()) is None


def test_the_bundle_the_charts_value_holds_counts_toward_the_record():
    """helm stores the user's values beside the manifest: a CA bundle given as the chart's
    value is in the record once more, and can be what tips it over the limit."""
    manifest = binary_configmap(700)
    value = base64.b64encode(random.Random(1).randbytes(300 * 1024 * 3 // 4))
    chart = ChartSettings(ca_data=Setting(value, "the chart's CA value"))
    assert too_large_to_store([manifest], ChartSettings(), Injection()) is None

    lint = too_large_to_store([manifest], chart, Injection())

    assert lint is not None and "as helm stores it" in lint.message
