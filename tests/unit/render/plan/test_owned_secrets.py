"""secret_changes and owned_by_release: our Secrets are created when missing, brought up to date
key by key, and carry what helm checks before it adopts them."""

from __future__ import annotations

import jsonpatch

from post_renderer.render.plan.owned_secrets import new_secret, owned_by_release, secret_changes

from ...chart_manifests import FULLNAME, NAMESPACE, controller, release
from ..planning import release_of

NAME = f"{FULLNAME}-ocean-proxy"


def existing(data: str, extra: str = "") -> str:
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\n"
            f"  namespace: {NAMESPACE}\n{extra}data:\n{data}")


def changes_for(secret: str | None, data: dict, stale: dict | None = None):
    docs = [controller()] + ([secret] if secret else [])
    return secret_changes(release_of(release(*docs)), NAME, data, stale or {}, "because")


def test_a_missing_secret_is_created_beside_the_workload_with_its_labels():
    [proposal] = changes_for(None, {"k": "dg=="})

    document = proposal.change.op["value"]
    assert proposal.change.op["path"] == "" and proposal.resource.chunk is None
    assert document["metadata"]["namespace"] == NAMESPACE
    assert document["metadata"]["labels"]["app.kubernetes.io/instance"] == "spot"
    assert document["data"] == {"k": "dg=="} and document["type"] == "Opaque"
    assert proposal.change.reason == "because"


def test_an_up_to_date_secret_needs_no_change():
    assert changes_for(existing('  k: "dg=="\n'), {"k": "dg=="}) == []


def test_changed_missing_and_stale_keys_are_replaced_added_and_removed():
    proposals = changes_for(existing('  k: "old"\n  gone: "eA=="\n  other: "eQ=="\n'),
                            {"k": "new", "added": "YQ=="}, {"gone": "no longer needed",
                                                            "absent": "x"})
    patched = jsonpatch.apply_patch(proposals[0].resource.document,
                                    [p.change.op for p in proposals])
    assert patched["data"] == {"k": "new", "added": "YQ==", "other": "eQ=="}
    assert {"no longer needed", "because"} == {p.change.reason for p in proposals}


def test_string_data_that_would_override_the_data_is_removed():
    secret = existing('  k: "dg=="\n', extra="stringData:\n  k: plain\n  keep: me\n")
    [proposal] = changes_for(secret, {"k": "dg=="})
    assert proposal.change.op == {"op": "remove", "path": "/stringData/k"}


def test_a_secret_without_data_gets_all_of_it_at_once():
    secret = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\n"
    [proposal] = changes_for(secret, {"k": "dg=="})
    assert proposal.change.op == {"op": "add", "path": "/data", "value": {"k": "dg=="}}


def test_a_secret_for_a_chart_without_labels_still_carries_helms_managed_by_label():
    # a fork whose workload has no labels: helm adopts an existing Secret into the release
    # only with managed-by Helm and the release's two annotations, whatever the chart sets
    metadata, spec = controller().split("\nspec:\n", 1)
    bare = metadata.split("\n  labels:\n")[0] + "\nspec:\n" + spec
    [workload] = release_of(release(bare)).workloads
    assert "labels" not in workload.document["metadata"]

    secret = owned_by_release(new_secret(NAME, {"k": "dg=="}, workload, keep=True),
                              "spot", "ocean")

    metadata = secret["metadata"]
    assert metadata["namespace"] == "ocean"
    assert metadata["labels"] == {"app.kubernetes.io/managed-by": "Helm"}
    assert metadata["annotations"]["meta.helm.sh/release-name"] == "spot"
    assert metadata["annotations"]["meta.helm.sh/release-namespace"] == "ocean"
    assert metadata["annotations"]["helm.sh/resource-policy"] == "keep"
    assert secret["data"] == {"k": "dg=="}
