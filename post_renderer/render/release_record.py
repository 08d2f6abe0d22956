"""Whether helm can still store the release: it keeps each revision in one Secret (or
ConfigMap) of at most 1 MiB, the manifest and the user's values gzipped and base64-encoded.

A large CA bundle is written several times (the pods' Secret, the chart's, the values the
auto-update passes on, all in the manifest) besides the chart value it came from, so a bundle
that fits the chart alone can make ``helm upgrade --install`` fail after the render, with
only the API server's words for it::

    Error: create: failed to create: Secret "sh.helm.release.v1.oc.v1" is invalid: data:
    Too long: may not be more than 1048576 bytes

``helm template`` stores nothing, so this is a warning (an error with ``--strict``) that
names the cause before helm says that. The estimate leaves out the chart's own files and
JSON's escapes, and zlib packs about 1% looser than helm's gzip: on the example chart it
comes between 10 KiB under and a few hundred bytes over what helm 3 and 4 store, and
``MARGIN`` is for a chart with more files (tests/cluster/measure_release_size.py measures).
"""

from __future__ import annotations

from collections.abc import Sequence

from post_renderer.render.lints import Lint
from post_renderer.render.plan.injection import Injection
from post_renderer.render.release.chart_settings import ChartSettings

RECORD_LIMIT = 1024 * 1024  # what the API server takes in one Secret's data
# the chart's files and helm's own fields come on top of what is estimated
MARGIN = 64 * 1024


def stored_size(parts: Sequence[bytes | memoryview], values: Sequence[bytes]) -> int:
    """About the bytes helm's release record takes: the manifests and the values that are
    known here, gzipped and base64-encoded as helm stores them."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip, as helm's storage writes
    size = 0
    for part in (*parts, *values):
        size += len(packer.compress(part))
    size += len(packer.flush())
    return 4 * -(-size // 3)


def too_large_to_store(parts: Sequence[bytes | memoryview], chart: ChartSettings,
                       injection: Injection) -> Lint | None:
    """A lint when the release may not fit the Secret helm stores it in."""
    # base64 never grows data by more than 4/3: a short output skips the compression
    total = sum(len(part) for part in parts)
    values = _values_with_the_bundle(chart)
    total += sum(len(value) for value in values)
    if 4 * total // 3 + 1024 <= RECORD_LIMIT - MARGIN:
        return None
    size = stored_size(parts, values)
    if size <= RECORD_LIMIT - MARGIN:
        return None
    held = ""
    if injection.trust is not None:
        held = (f" with the CA bundle from {injection.trust_source} "
                f"({len(injection.trust.certificates)} certificates, "
                f"{len(injection.trust.pem()) // 1024} KiB) written in several Secrets")
    return Lint(
        f"the release comes to about {size // 1024} KiB as helm stores it{held}; helm keeps "
        "a release in one Secret of at most 1024 KiB, so 'helm upgrade' (or the "
        "auto-update's) may fail with "
        "'sh.helm.release.v1... is invalid: data: Too long' (nothing is applied then)",
        "pass only the CA certificates the proxy re-signs with; the pods keep trusting the "
        "public roots")


def _values_with_the_bundle(chart: ChartSettings) -> list[bytes]:
    """The bundle as the release's values hold it: the chart's value it came from. A bundle
    from ``--ca-file`` is in no value helm stores with this revision: the auto-update's
    revision has it in its values, but not ocean-proxy's copies, and comes to about a third
    of this one."""
    if chart.ca_data is not None and isinstance(chart.ca_data.value, bytes):
        return [chart.ca_data.value]
    return []
