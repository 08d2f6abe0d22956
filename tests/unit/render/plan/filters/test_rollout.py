"""The rollout filter: pod-template checksums that change exactly when trust or proxy does."""

from __future__ import annotations

import hashlib
import hmac

from post_renderer.proxy_settings.proxy_url import parse_proxy_url
from post_renderer.render.plan.filters import rollout

from ....chart_manifests import configmap, controller, release
from ....user_settings import user_settings
from ...planning import context_for

DEFAULTS = ("$(KUBERNETES_SERVICE_HOST)", ".svc")


TOKEN = b"6f1c0e4b9a7d2e3f5a8b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a2b5c8d1e4f"


def checksum(url: str, no_proxy=DEFAULTS, key: bytes | None = None) -> str:
    return rollout.proxy_checksum(parse_proxy_url(url), no_proxy, key)


def test_proxy_checksum_ignores_the_order_and_duplicates_of_no_proxy():
    assert checksum("http://p:3128", (".svc", "a.example", ".svc")) == \
        checksum("http://p:3128", ("a.example", ".svc"))


def test_proxy_checksum_changes_with_the_proxy_the_no_proxy_set_and_the_password():
    base = checksum("http://u:one@p:3128")
    assert checksum("http://u:two@p:3128") != base
    assert checksum("http://u:one@q:3128") != base
    assert checksum("http://u:one@p:3128", (*DEFAULTS, "corp.example")) != base


def test_proxy_checksum_changes_with_a_proxy_url_that_has_no_credentials():
    """The usual proxy has no password: its host, port and scheme alone must count (a
    changed host above also changes the credentials' salt, which hid a checksum blind to
    the URL)."""
    base = checksum("http://p:3128")
    assert checksum("http://q:3128") != base
    assert checksum("http://p:8080") != base
    assert checksum("https://p:3128") != base


def test_proxy_checksum_is_not_a_plain_hash_of_the_credentials():
    import hashlib

    naive = hashlib.sha256(b"proxy http://p:3128\nno-proxy .svc\ncredentials u:s3cret")
    assert checksum("http://u:s3cret@p:3128", (".svc",)) != naive.hexdigest()


def test_keyed_by_the_spot_token_the_checksum_needs_no_scrypt_and_still_follows_the_password(
        monkeypatch):
    import hashlib

    monkeypatch.setattr(hashlib, "scrypt", None)  # a call would fail
    base = checksum("http://u:one@p:3128", key=TOKEN)
    assert checksum("http://u:two@p:3128", key=TOKEN) != base
    assert checksum("http://u:one@p:3128", key=TOKEN[::-1]) != base
    assert checksum("http://u:one@p:3128", key=TOKEN) == base


def test_a_guess_cannot_be_checked_without_the_token():
    """What a reader of pods can compute for a guessed password, without the key or with the
    scrypt construction, is not the annotation."""
    keyed = checksum("http://u:s3cret@p:3128", key=TOKEN)
    assert keyed != checksum("http://u:s3cret@p:3128")


def test_both_annotations_are_added_beside_the_charts_own(corp_root):
    data = release(controller(), configmap())
    context = context_for(data, user_settings(proxy_url="http://p:3128",
                                              ca=[("ca.pem", corp_root.pem)]))

    changes = [p.change.op for p in rollout.propose(context)]

    assert [(op["op"], op["path"]) for op in changes] == [
        ("add", "/spec/template/metadata/annotations/checksum~1ca-bundle"),
        ("add", "/spec/template/metadata/annotations/checksum~1proxy")]


def test_a_pod_template_without_annotations_gets_them_in_one_change():
    data = release(controller().replace(
        "      annotations:\n        # Roll the pods when their configuration changes.\n"
        "        checksum/config: 0f4c\n", ""), configmap())

    [proposal] = rollout.propose(context_for(data, user_settings(proxy_url="http://p:3128")))

    assert proposal.change.op["path"] == "/spec/template/metadata/annotations"
    assert set(proposal.change.op["value"]) == {"checksum/proxy"}


def test_up_to_date_annotations_propose_nothing():
    context = context_for(release(controller(), configmap()),
                          user_settings(proxy_url="http://p:3128"))
    [proposal] = rollout.propose(context)
    annotations = context.release.workloads[0].document["spec"]["template"]["metadata"][
        "annotations"]
    annotations["checksum/proxy"] = proposal.change.op["value"]

    assert rollout.propose(context) == []


def test_the_checksums_of_unchanged_settings_stay_the_same_from_one_version_to_the_next():
    """Upgrading ocean-proxy with the same proxy must not restart every pod: the annotation
    is a fixed function of the settings, written out here with hashlib and hmac: SHA-256 of
    the proxy without credentials and the sorted NO_PROXY entries, one per line, and of the
    credentials keyed by the Spot token (HMAC-SHA256) or, without one, stretched by scrypt
    (N 2^14, r 8, p 1), salted with the proxy's host:port."""
    def expected(url: str, credentials: bytes | None, key: bytes | None = None) -> str:
        lines = [f"proxy {url}", "no-proxy $(KUBERNETES_SERVICE_HOST)", "no-proxy .svc"]
        if credentials is not None:
            salt = b"ocean-proxy/checksum/proxy/p:3128"
            lines.append("credentials " + (
                hmac.new(key, salt + b"\0" + credentials, hashlib.sha256).hexdigest() if key
                else hashlib.scrypt(credentials, salt=salt, n=2**14, r=8, p=1,
                                    dklen=32).hex()))
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    assert checksum("http://p:3128") == expected("http://p:3128", None)
    assert checksum("http://u:one@p:3128") == expected("http://p:3128", b"u:one")
    assert checksum("http://u:one@p:3128", key=TOKEN) == \
        expected("http://p:3128", b"u:one", TOKEN)
