"""The plan in words: summary, --explain lines and --plan JSON, never with a secret in them."""

from __future__ import annotations

import base64
import json

import jsonpatch

from post_renderer.render.explain import explain_lines, plan_json, summary
from post_renderer.render.plan.plan import build_plan

from ..chart_manifests import (
    CA_SECRET,
    FULLNAME,
    ca_secret,
    configmap,
    controller,
    load_all,
    release,
)
from ..user_settings import user_settings
from .planning import injection_for

PASSWORD = "s3cret-Pa55"
PROXY = f"http://alice:{PASSWORD}@proxy.corp:3128"


def planned(corp_root, data: bytes | None = None):
    data = data or release(controller(), configmap(proxy_url=PROXY), ca_secret(b"x"))
    release_, injection = injection_for(data, user_settings(ca=[("corp.pem", corp_root.pem)]))
    return build_plan(release_, injection), injection


def secrets_in(text: str, corp_root) -> list[str]:
    """Every form a secret could take in the text: the password, or the base64 data."""
    forms = [PASSWORD, base64.b64encode(PROXY.encode()).decode(),
             base64.b64encode(corp_root.pem).decode()[:40]]
    return [form for form in forms if form in text]


def test_explain_lines_never_show_the_password_or_secret_data(corp_root):
    plan, _ = planned(corp_root)
    text = "\n".join(explain_lines(plan))
    assert secrets_in(text, corp_root) == []
    assert "bytes of base64" in text


def test_plan_json_never_shows_the_password_or_secret_data(corp_root):
    plan, _ = planned(corp_root)
    text = plan_json(plan)
    assert secrets_in(text, corp_root) == []


def test_summary_names_the_proxy_redacted_and_the_ca_count(corp_root):
    plan, injection = planned(corp_root)
    text = summary(plan, injection)
    assert PASSWORD not in text
    assert "proxy http://alice:***@proxy.corp:3128" in text
    assert "1 CA certificate (from --ca-file)" in text
    assert text.endswith(", added 2")  # our proxy Secret, and the CA Secret the pods mount
    changed = text[text.index(": changed "):text.index(", added")]
    assert "Deployment/" in changed  # the list names what changed, next to its count


def test_summary_says_nothing_changed_when_everything_is_in_place(corp_root):
    from post_renderer.render.pipeline import post_render

    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(b"x"))
    settings = user_settings(ca=[("corp.pem", corp_root.pem)])
    once = b"".join(bytes(p) for p in post_render(data, settings).parts)
    plan, injection = planned(corp_root, once)
    assert summary(plan, injection).endswith("already in place; nothing changed")


def test_summary_of_a_render_that_only_adds_documents_lists_none_changed(corp_root):
    from post_renderer.render.pipeline import post_render

    data = release(controller(), configmap(proxy_url=PROXY), ca_secret(b"x"))
    settings = user_settings(ca=[("corp.pem", corp_root.pem)])
    once = b"".join(bytes(p) for p in post_render(data, settings).parts)
    # the pods are as ocean-proxy left them, but the CA Secret they mount is gone
    ours = f"kind: Secret\nmetadata:\n  name: {FULLNAME}-ocean-proxy-ca\n".encode()
    kept = [doc for doc in once.split(b"\n---") if ours not in doc]
    assert len(kept) == len(once.split(b"\n---")) - 1
    plan, injection = planned(corp_root, b"\n---".join(kept))
    assert summary(plan, injection).endswith(": changed 0 document(s), added 1")


def test_explain_gives_one_line_per_change_with_its_reason_under_its_document(corp_root):
    plan, _ = planned(corp_root)
    lines = explain_lines(plan)
    headers = [line for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert f"  Deployment/{FULLNAME} (document 1):" in headers
    assert f"  Secret/{CA_SECRET} (document 3):" in headers
    assert any(line.startswith("      in it: ") for line in lines)  # the embedded Job
    changes = [line for line in lines if line.startswith("    ") and "in it:" not in line]
    assert changes and all("  # " in line for line in changes)


def test_plan_json_patches_apply_to_the_documents_they_name(corp_root):
    data = release(controller(), configmap())
    release_, injection = injection_for(data, user_settings(proxy_url="http://proxy.corp:3128"))
    plan = json.loads(plan_json(build_plan(release_, injection)))

    documents = load_all(data)
    added = []
    for entry in plan["documents"]:
        if entry["document"] is None:  # an added document: its patch adds it whole
            document = jsonpatch.apply_patch({}, entry["patch"])
            added.append(entry["name"])
        else:
            document = documents[entry["document"] - 1]
            jsonpatch.apply_patch(document, entry["patch"])
        assert (document["kind"], document["metadata"]["name"]) == (entry["kind"], entry["name"])
        assert len(entry["reasons"]) == len(entry["patch"])
    # the controller reads its proxy from the ConfigMap: the full URL goes to a Secret beside it
    assert added == [f"{FULLNAME}-ocean-proxy"]
