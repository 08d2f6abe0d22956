"""What the deployment controller and the kubelets would report, for helm's ``--wait``.

The test cluster runs no controller-manager and no node, so a Deployment never rolls out and
``--wait``, ``--atomic`` (Helm 3) and ``--rollback-on-failure`` (Helm 4) would wait forever.
``rollouts(api, namespace)`` runs, while its block lasts, what they would do for pods that
start: for each Deployment whose spec changed, a ReplicaSet owned by it with its pod template
(labelled with the template's hash), all its replicas ready, and the Deployment's status
saying so (``observedGeneration``, replica counts, ``Available`` and ``Progressing``). Helm 3
finds the new ReplicaSet by its template and counts its ready replicas; Helm 4 (kstatus)
reads the Deployment's status. A DaemonSet, with no node to run on, is marked seen with no pod
desired. Whether a pod could really start is what stored.pod_problems
checks; here every pod starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
import urllib.error
from collections.abc import Iterator
from typing import Any

from .server import ApiServer

POLL_SECONDS = 0.2


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _replica_set(deployment: dict[str, Any]) -> dict[str, Any]:
    template = json.loads(json.dumps(deployment["spec"]["template"]))
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
    template["metadata"].setdefault("labels", {})["pod-template-hash"] = digest
    selector = json.loads(json.dumps(deployment["spec"]["selector"]))
    selector.setdefault("matchLabels", {})["pod-template-hash"] = digest
    meta = deployment["metadata"]
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{meta['name']}-{digest}", "labels": template["metadata"]["labels"],
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                          "name": meta["name"], "uid": meta["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"replicas": deployment["spec"].get("replicas", 1), "selector": selector,
                 "template": template},
    }


def _roll_out(api: ApiServer, namespace: str, deployment: dict[str, Any]) -> None:
    replicas = deployment["spec"].get("replicas", 1)
    replica_set = _replica_set(deployment)
    base = f"/apis/apps/v1/namespaces/{namespace}"
    with contextlib.suppress(urllib.error.HTTPError):  # 409: this template's set exists
        api.request("POST", f"{base}/replicasets", replica_set)
    counts = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
    api.request("PATCH", f"{base}/replicasets/{replica_set['metadata']['name']}/status",
                {"status": {**counts, "fullyLabeledReplicas": replicas, "observedGeneration": 1}},
                "application/merge-patch+json")
    now = _now()
    conditions = [
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
         "lastUpdateTime": now, "lastTransitionTime": now},
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
         "lastUpdateTime": now, "lastTransitionTime": now},
    ]
    api.request("PATCH", f"{base}/deployments/{deployment['metadata']['name']}/status",
                {"status": {**counts, "updatedReplicas": replicas, "conditions": conditions,
                            "observedGeneration": deployment["metadata"]["generation"]}},
                "application/merge-patch+json")


def _schedule(api: ApiServer, namespace: str, daemonset: dict[str, Any]) -> None:
    """A cluster without nodes schedules a DaemonSet's pods nowhere: none are desired, and
    the controller says it has seen the spec."""
    counts = dict.fromkeys(("desiredNumberScheduled", "currentNumberScheduled",
                            "updatedNumberScheduled", "numberReady", "numberAvailable",
                            "numberMisscheduled"), 0)
    api.request("PATCH", f"/apis/apps/v1/namespaces/{namespace}/daemonsets/"
                f"{daemonset['metadata']['name']}/status",
                {"status": {**counts, "observedGeneration": daemonset["metadata"]["generation"]}},
                "application/merge-patch+json")


def _watch(api: ApiServer, namespace: str, stop: threading.Event) -> None:
    base = f"/apis/apps/v1/namespaces/{namespace}"
    while not stop.wait(POLL_SECONDS):
        for kind, roll_out in (("deployments", _roll_out), ("daemonsets", _schedule)):
            for workload in api.request("GET", f"{base}/{kind}")["items"]:
                observed = (workload.get("status") or {}).get("observedGeneration")
                if observed != workload["metadata"]["generation"]:
                    with contextlib.suppress(urllib.error.HTTPError):  # 409: changed meanwhile
                        roll_out(api, namespace, workload)


@contextlib.contextmanager
def rollouts(api: ApiServer, namespace: str) -> Iterator[None]:
    """While the block runs, every Deployment of the namespace rolls out as soon as it changes
    (and every DaemonSet is seen)."""
    stop = threading.Event()
    thread = threading.Thread(target=_watch, args=(api, namespace, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
