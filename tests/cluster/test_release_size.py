"""A CA bundle the chart alone installs with, but which ocean-proxy writes several times
over (the pods' Secret, the chart's, the values the auto-update passes on): helm keeps each
revision in one Secret of at most 1 MiB, gzipped, and the API server refuses it whole.

The user must learn the cause from ocean-proxy, before helm's own words ("Secret
sh.helm.release.v1... is invalid: data: Too long"), which name neither the bundle nor what
to do; nothing is applied; the chart alone still installs the same bundle, and a bundle of
the usual size gets no such warning. At the edge: the largest bundle ocean-proxy says nothing
about installs (no bundle helm refuses gets past unsaid), and fills most of helm's limit (the
warning does not come long before it).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from post_renderer.render.release_record import RECORD_LIMIT

from .. import certs
from ..conftest import FIXTURE_CHART
from .helm_users import POST_RENDERER
from .release import PROXY_PASSWORD, ControllerRelease, ok, vendor_flags

WARNED = "as helm stores it"
# distinct keys: a bundle of one key repeated compresses too well to reach helm's limit
# RSA 2048 roots, about 200 KiB of PEM (under ocean-proxy's 1 MiB Secret guard): a record
# about 3% over helm's limit (168 of them, 1% under it, install), so an estimate that leaves
# out the base64, or a copy of the bundle helm stores, says nothing before helm refuses
LARGE = 176
# Measured (tests/cluster/measure_release_size.py): helm 3 refuses from 170 of these roots,
# helm 4 from 171, and ocean-proxy warns from 160 or 161 on both; below this, no warning
SILENT = 140
# With the CA as --ca-file the chart's values hold no copy: helm refuses from 197 to 199 of
# them, ocean-proxy warns from 185 or 186
MOST = 200
# how far below helm's limit a release may still be warned about: the chart's files that
# the estimate leaves out (MARGIN) and one root's worth of record
WARNED_EARLY = 80 * 1024


@pytest.fixture(scope="module")
def roots() -> list[bytes]:
    return [certs.root(f"Root CA {n}", key=certs.new_key("rsa")).pem for n in range(MOST)]


@pytest.fixture(scope="module")
def large_bundle(roots: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large-bundle") / "corp-and-public-roots.pem"
    path.write_bytes(b"".join(roots[:LARGE]))
    return path


def controller(api_server, namespace: str, bundle: Path, *,
               ca_file_flag: bool = False) -> ControllerRelease:
    """The vendor's flags; with ``ca_file_flag`` the CA goes to ocean-proxy's ``--ca-file``
    instead of the chart's value."""
    flags = vendor_flags(bundle)
    if not ca_file_flag:
        return ControllerRelease(api_server, namespace, f"oc-{namespace.split('-')[0]}", flags)
    start = flags.index("caBundleSecret.create=true") - 1  # and its --set-file after it
    del flags[start:start + 4]
    return ControllerRelease(api_server, namespace, f"oc-{namespace.split('-')[0]}", flags,
                             [f"--ca-file={bundle}"])


def test_a_bundle_too_large_for_helms_record_is_named_before_helm_refuses_it(
        user, api_server, cluster_namespace, large_bundle):
    release = controller(api_server, cluster_namespace, large_bundle)

    refused = release.upgrade(user)

    assert refused.returncode != 0
    assert "Too long" in refused.stderr  # the API server refused helm's release record
    warning = next((line for line in refused.stderr.splitlines() if WARNED in line), None)
    assert warning is not None, refused.stderr
    assert f"({LARGE} certificates" in warning
    assert "pass only the CA certificates the proxy re-signs with" in warning
    assert PROXY_PASSWORD not in refused.stderr + refused.text
    stored = release.stored()
    assert not stored.deployments and not [n for n in stored.secrets if "ocean" in n]
    # the bundle itself is one helm stores: the chart alone installs it
    ok(release.upgrade(user, post_render=False))
    release.check(chart_alone=True)


def test_a_bundle_of_the_usual_size_gets_no_such_warning(user, api_server, cluster_namespace,
                                                         tmp_path):
    bundle = tmp_path / "corp-roots.pem"
    bundle.write_bytes(b"".join(certs.root(f"Corp Root CA {n}").pem for n in range(3)))
    release = controller(api_server, cluster_namespace, bundle)

    installed = ok(release.upgrade(user))

    assert WARNED not in installed.stderr
    release.check()


@pytest.mark.parametrize("ca_file_flag", [False, True], ids=["chart-value", "ca-file"])
def test_no_bundle_helm_refuses_gets_past_ocean_proxy_unsaid(user, api_server, cluster_namespace,
                                                            roots, tmp_path, ca_file_flag):
    """The largest bundle ocean-proxy says nothing about installs: helm refuses only bundles
    it warned about. And the warning does not come long before helm's limit: that release
    fills most of it."""
    def release_of(n: int) -> ControllerRelease:
        bundle = tmp_path / f"roots-{n}.pem"
        bundle.write_bytes(b"".join(roots[:n]))
        return controller(api_server, cluster_namespace, bundle, ca_file_flag=ca_file_flag)

    def warned(n: int) -> bool:
        release = release_of(n)
        rendered = ok(user.helm("template", release.name, FIXTURE_CHART, "--namespace",
                                release.namespace, *release.flags, *POST_RENDERER,
                                *(arg for given in release.renderer_args
                                  for arg in ("--post-renderer-args", given))))
        return WARNED in rendered.stderr

    assert not warned(SILENT)
    silent, loud = SILENT, MOST + 1  # with no warning up to MOST, helm's refusal says so
    while loud - silent > 1:
        middle = (silent + loud) // 2
        silent, loud = (silent, middle) if warned(middle) else (middle, loud)
    release = release_of(silent)

    installed = release.upgrade(user)

    assert installed.returncode == 0, \
        f"{silent} roots, no warning, and: {installed.stderr.splitlines()[-1:]}"
    assert WARNED not in installed.stderr
    secret = api_server.get("secret", f"sh.helm.release.v1.{release.name}.v1",
                            cluster_namespace)
    stored = len(base64.b64decode(secret["data"]["release"]))
    assert RECORD_LIMIT - WARNED_EARLY < stored <= RECORD_LIMIT, (silent, stored)
