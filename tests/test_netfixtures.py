"""The network fixtures work with real clients (curl, helm), so other tests can build on them."""

from __future__ import annotations

import json

from .conftest import clean_env, run_command, tool
from .netfixtures.chart_repo import CHART, VERSION
from .netfixtures.pki import SPOT_CHARTS


def test_curl_reaches_the_stand_in_spot_api_through_the_intercepting_proxy(
        intercepting_proxy, net_pki):
    run = run_command([tool("curl"), "-sS", "--proxy", intercepting_proxy.url,
                       "--cacert", net_pki.corp_root_file, "https://api.spotinst.io/"],
                      env=clean_env())

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["kind"] == "stand-in Spot API"


def test_pass_through_proxy_presents_the_origins_own_certificate(passthrough_proxy, net_pki):
    run = run_command([tool("curl"), "-sS", "--proxy", passthrough_proxy.url,
                       "--cacert", net_pki.public_roots_file, "https://api.spotinst.io/"],
                      env=clean_env())

    assert run.returncode == 0, run.stderr


def test_helm_pulls_the_chart_through_the_proxy_trusting_the_corporate_root(
        intercepting_proxy, net_pki, spot_origin, helm3, helm_home, tmp_path):
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(net_pki.corp_root.pem + net_pki.public_root.pem)
    env = clean_env(HTTPS_PROXY=intercepting_proxy.url, SSL_CERT_FILE=str(bundle), **helm_home)

    run = run_command([helm3, "pull", CHART, "--repo", f"https://{SPOT_CHARTS}",
                       "--destination", tmp_path], env=env)

    assert run.returncode == 0, run.stderr
    assert (tmp_path / f"{CHART}-{VERSION}.tgz").exists()
    assert (SPOT_CHARTS, "/index.yaml") in spot_origin.requests


def test_helm_refuses_the_intercepted_chart_repository_without_the_corporate_root(
        intercepting_proxy, net_pki, helm3, helm_home, tmp_path):
    env = clean_env(HTTPS_PROXY=intercepting_proxy.url,
                    SSL_CERT_FILE=str(net_pki.public_roots_file), **helm_home)

    run = run_command([helm3, "pull", CHART, "--repo", f"https://{SPOT_CHARTS}",
                       "--destination", tmp_path], env=env)

    assert run.returncode != 0
    assert "certificate" in run.stderr
