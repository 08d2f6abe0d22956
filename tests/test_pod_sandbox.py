"""The pod sandbox gives a client the container's environment and files, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import certs
from .kubelet_view import ATOMIC_DIR, ContainerView, NotEmulated, SecretMount
from .pod_sandbox import Image, run_in_pod

CORP = certs.root("Sandbox Corp Root CA")
PUBLIC = certs.root("Sandbox Public Root CA")


HASHED = f"{certs.openssl_subject_hash(CORP.pem)}.0"
VIEW = ContainerView("app", {"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9"}, (
    SecretMount("/etc/ocean-proxy/ca", "ca", {"bundle.pem": CORP.pem, HASHED: CORP.pem}),
    SecretMount(f"/etc/ssl/certs/{HASHED}", "ca", {"bundle.pem": CORP.pem, HASHED: CORP.pem},
                sub_path=HASHED),
))


def sandbox(view: ContainerView, script: str, tmp_path: Path):
    return run_in_pod(view, [["/bin/sh", "-c", script]], image=Image(PUBLIC.pem),
                      workdir=tmp_path)


def test_the_client_sees_the_containers_environment_and_nothing_of_the_tests(
        monkeypatch, tmp_path):
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HELM_CACHE_HOME"):
        monkeypatch.setenv(name, "/from/the/test/process")

    run = run_in_pod(VIEW, [["/usr/bin/env", "-0"]], image=Image(PUBLIC.pem), workdir=tmp_path)

    assert run.returncode == 0, run.stderr
    seen = dict(item.split("=", 1) for item in run.stdout.decode().split("\0") if item)
    assert seen == {**VIEW.env, "HOME": str(tmp_path / "home")}


def test_the_image_trusts_the_public_roots_alone_where_go_and_openssl_look(tmp_path):
    run = sandbox(VIEW, "cat /etc/ssl/certs/ca-certificates.crt; ls /etc/ssl/certs; "
                        "ls -d /etc/pki /etc/ssl/cert.pem /etc/ssl/ca-bundle.pem", tmp_path)

    bundle, _, listing = run.stdout.decode().partition("-----END CERTIFICATE-----\n")
    assert (bundle + "-----END CERTIFICATE-----\n").encode() == PUBLIC.pem
    assert set(listing.split()) == {"ca-certificates.crt", "public-root-0.pem",
                                    f"{certs.openssl_subject_hash(PUBLIC.pem)}.0", HASHED}
    assert run.stderr.count("No such file or directory") == 3


def test_secret_volume_has_the_kubelets_layout_and_a_subpath_mounts_one_file(tmp_path):
    run = sandbox(VIEW, f"cd /etc/ocean-proxy/ca; readlink ..data bundle.pem {HASHED}; "
                        f"cat /etc/ssl/certs/{HASHED}; test -L /etc/ssl/certs/{HASHED} || "
                        "echo not-a-link; touch new 2>/dev/null || echo read-only", tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().split("\n", 3)[:3] == [
        ATOMIC_DIR, "..data/bundle.pem", f"..data/{HASHED}"]
    assert CORP.pem.decode() in run.stdout.decode()
    assert run.stdout.decode().endswith("not-a-link\nread-only\n")


def test_a_subpath_the_secret_lacks_is_an_empty_directory_as_the_kubelet_makes_it(tmp_path):
    gone = SecretMount("/etc/ssl/certs/0badc0de.0", "ca", {"bundle.pem": CORP.pem},
                       sub_path="0badc0de.0", sub_path_missing=True)
    view = ContainerView("app", VIEW.env, (VIEW.secret_mounts[0], gone))

    run = sandbox(view, "test -d /etc/ssl/certs/0badc0de.0 && ls -A /etc/ssl/certs/0badc0de.0 "
                        "&& echo empty", tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == "empty\n"


def test_mounts_stay_in_the_sandbox(tmp_path):
    before = sorted(Path("/etc/ssl/certs").iterdir())

    assert sandbox(VIEW, "test -d /etc/ocean-proxy/ca", tmp_path).returncode == 0

    assert not Path("/etc/ocean-proxy").exists()
    assert sorted(Path("/etc/ssl/certs").iterdir()) == before


def test_outside_names_do_not_resolve_so_only_a_proxy_reaches_them(tmp_path):
    run = sandbox(VIEW, "getent hosts api.spotinst.io || echo unresolved", tmp_path)

    assert run.stdout == b"unresolved\n"


def test_a_secret_mounted_outside_etc_is_refused_rather_than_left_out(tmp_path):
    view = ContainerView("app", {}, (SecretMount("/var/run/ca", "ca", {"a": b"x"}),))

    with pytest.raises(NotEmulated, match="/var/run/ca"):
        sandbox(view, "true", tmp_path)
