"""``ocean-proxy values`` run again for a new proxy or CA, as a GitOps repository does it.

The release is rendered with the user's values and the previous ocean-proxy values file, as
it is stored. Given the user's own values files, the new values give the pods exactly what the
post-renderer gives them for the new settings. Given the previous ocean-proxy values file as
if it were the user's, its entries would be copied as the user's: the previous CA's mounts
(``subPath`` keys the new CA Secret no longer holds, so the pod cannot start) and proxy
variables would stay, so the run is refused. Real helm 3 and 4, certificates from
cryptography (``net_pki``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from .cli_outcomes import failure
from .conftest import ocean_proxy
from .netfixtures.fixtures import PROXY_PASSWORD
from .test_values_route import Routes, meaning, pod

NEW_PROXY = "http://proxy2.corp.example:3128"


def own_values() -> dict:
    return {"spotinst": {"account": "act-123", "clusterIdentifier": "c-1", "token": "TOKEN"},
            "extraEnv": [{"name": "CORP_TRACE", "value": "on"}],
            "extraVolumes": [{"name": "corp-vol", "emptyDir": {}}],
            "extraVolumeMounts": [{"name": "corp-vol", "mountPath": "/corp"}],
            "podAnnotations": {"corp.example/team": "platform"}}


def first_settings(net_pki, first: str) -> list[str]:
    return {"ca": [f"--ca-file={net_pki.corp_root_file}"],
            "proxy": [f"--proxy-url={NEW_PROXY.replace('proxy2', 'proxy1')}"]}[first]


def stored(routes: Routes, tmp_path: Path) -> tuple[Path, str]:
    """The previous values file, and the release as it is stored with it."""
    first = routes.values_route()
    assert first.returncode == 0, first.stderr
    previous = tmp_path / "ocean-proxy-values.yaml"
    previous.write_bytes(first.stdout)
    routes.secrets_file.unlink()
    return previous, routes.rendered(previous)


def again(routes: Routes, settings: list[str], rendered: str, *values: Path):
    options = [arg for path in (routes.user_file, *values) for arg in ("--values", path)]
    return ocean_proxy("values", *settings, *options, "--secrets", routes.secrets_file,
                       stdin=rendered.encode())


@pytest.mark.parametrize("first", ["ca", "proxy"])
def test_run_again_with_your_own_values_gives_the_post_renderers_pod_template(
        helm, first, net_pki, tmp_path):
    routes = Routes(helm, tmp_path, own_values(), first_settings(net_pki, first))
    _, rendered = stored(routes, tmp_path)
    new = [f"--proxy-url={NEW_PROXY}", f"--ca-file={net_pki.proxy_ca_file}"]
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    expected = pod(Routes(helm, fresh_dir, own_values(), new).post_rendered())

    run = again(routes, new, rendered)
    assert run.returncode == 0, run.stderr

    assert meaning(pod(routes.with_values(run)[0])) == meaning(expected)


@pytest.mark.parametrize("first", ["ca", "proxy"])
def test_the_previous_ocean_proxy_values_given_as_yours_are_refused(
        helm3, first, net_pki, tmp_path):
    routes = Routes(helm3, tmp_path, own_values(), first_settings(net_pki, first))
    previous, rendered = stored(routes, tmp_path)
    new = [f"--proxy-url=http://u:{quote(PROXY_PASSWORD)}@proxy2.corp.example:3128",
           f"--ca-file={net_pki.proxy_ca_file}"]

    error, hint = failure(again(routes, new, rendered, previous))

    assert "ocean-proxy-values.yaml holds ocean-proxy's own values" in error
    assert "only your own values files" in hint
    assert not routes.secrets_file.exists()
    assert PROXY_PASSWORD not in error + hint and quote(PROXY_PASSWORD) not in error + hint


@pytest.fixture(params=["helm3", "helm4"])
def helm(request) -> Path:
    return request.getfixturevalue(request.param)
