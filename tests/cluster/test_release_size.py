"""A CA bundle the chart alone installs with, but which ocean-proxy writes several times
over (the pods' Secret, the chart's, the values the auto-update passes on): helm keeps each
revision in one Secret of at most 1 MiB, gzipped, and the API server refuses it whole.

The user must learn the cause from ocean-proxy, before helm's own words ("Secret
sh.helm.release.v1... is invalid: data: Too long"), which name neither the bundle nor what
to do; nothing is applied; the chart alone still installs the same bundle, and a bundle of
the usual size gets no such warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import certs
from .release import PROXY_PASSWORD, ControllerRelease, ok, vendor_flags

WARNED = "as helm stores it"
# distinct keys: a bundle of one key repeated compresses too well to reach helm's limit
# RSA 2048 roots, about 200 KiB of PEM (under ocean-proxy's 1 MiB Secret guard): a record
# about 3% over helm's limit (168 of them, 1% under it, install), so an estimate that leaves
# out the base64, or a copy of the bundle helm stores, says nothing before helm refuses
LARGE = 176


@pytest.fixture(scope="module")
def large_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large-bundle") / "corp-and-public-roots.pem"
    path.write_bytes(b"".join(certs.root(f"Root CA {n}", key=certs.new_key("rsa")).pem
                              for n in range(LARGE)))
    return path


def controller(api_server, namespace: str, bundle: Path) -> ControllerRelease:
    return ControllerRelease(api_server, namespace, f"oc-{namespace.split('-')[0]}",
                             vendor_flags(bundle))


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
