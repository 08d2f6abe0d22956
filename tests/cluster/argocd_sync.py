"""What an Argo CD sync does to a namespace, done with the real kubectl against the test server.

Argo CD renders the desired manifests (a Helm source, or a config management plugin running
``helm template`` with the post-renderer), marks each object as the application's, applies
them server-side (field manager ``argocd-controller``) and prunes: every live object that
carries the application's mark and is not in the render is deleted, unless it is annotated
``argocd.argoproj.io/sync-options: Prune=false``. ``helm.sh/resource-policy: keep`` does not
stop a prune (Argo CD reads it as ``Delete=false``: kept when the application is deleted).
The mark is the label ``app.kubernetes.io/instance: <app>`` with label tracking (Argo CD's
default before 3.0) or the annotation ``argocd.argoproj.io/tracking-id`` with annotation
tracking (the default since 3.0). A marked live object that is not rendered also makes the
application OutOfSync, unless it is annotated
``argocd.argoproj.io/compare-options: IgnoreExtraneous``.

    app = ArgoApp(api, "oc-t3", namespace, tracking="label")
    pruned = app.sync(rendered_manifests)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from .server import ApiServer
from .stored import Object

INSTANCE = "app.kubernetes.io/instance"
TRACKING_ID = "argocd.argoproj.io/tracking-id"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
FIELD_MANAGER = "argocd-controller"
# the namespaced kinds a controller release renders, or that sit beside it
KINDS = "deployments,secrets,configmaps,services,serviceaccounts,roles,rolebindings"


def _identity(obj: Object) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"]


def _options(obj: Object, key: str) -> set[str]:
    text = (obj["metadata"].get("annotations") or {}).get(key, "")
    return {part.strip() for part in text.split(",") if part.strip()}


@dataclass
class ArgoApp:
    """An Application named ``name`` whose destination is ``namespace``."""

    api: ApiServer
    name: str
    namespace: str
    tracking: str = "annotation"

    def _mark(self, obj: Object) -> Object:
        metadata = obj.setdefault("metadata", {})
        if self.tracking == "label":
            metadata.setdefault("labels", {})[INSTANCE] = self.name
        else:
            group = obj["apiVersion"].rpartition("/")[0]
            kind, namespace, name = _identity(obj)
            metadata.setdefault("annotations", {})[TRACKING_ID] = \
                f"{self.name}:{group}/{kind}:{namespace}/{name}"
        return obj

    def _owns(self, obj: Object) -> bool:
        metadata = obj["metadata"]
        if self.tracking == "label":
            return (metadata.get("labels") or {}).get(INSTANCE) == self.name
        tracking = (metadata.get("annotations") or {}).get(TRACKING_ID, "")
        return tracking.partition(":")[0] == self.name

    def desired(self, manifests: bytes) -> list[Object]:
        return [doc for doc in yaml.safe_load_all(manifests) if doc]

    def extraneous(self, manifests: bytes) -> list[str]:
        """Marked live objects that are not rendered and make the application OutOfSync."""
        wanted = {_identity(doc) for doc in self.desired(manifests)}
        return [f"{kind}/{name}" for kind, _, name in self._live_not_in(wanted)
                if "IgnoreExtraneous" not in _options(self._live[kind, name], COMPARE_OPTIONS)]

    def _live_not_in(self, wanted: set[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        items = json.loads(self.api.kubectl("get", KINDS, "-n", self.namespace,
                                            "-o", "json").text)["items"]
        self._live = {(item["kind"], item["metadata"]["name"]): item for item in items}
        return [_identity(item) for item in items
                if self._owns(item) and _identity(item) not in wanted
                and not item["metadata"].get("ownerReferences")]

    def sync(self, manifests: bytes, *, prune: bool = True) -> list[str]:
        """Apply the render as Argo CD does; return the ``Kind/name`` of what it pruned."""
        docs = [self._mark(doc) for doc in self.desired(manifests)]
        listing = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}).encode()
        self.api.kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}",
                         "--force-conflicts", "-f", "-", stdin=listing)
        if not prune:
            return []
        pruned = []
        for kind, _, name in self._live_not_in({_identity(doc) for doc in docs}):
            if "Prune=false" in _options(self._live[kind, name], SYNC_OPTIONS):
                continue
            self.api.kubectl("delete", kind, name, "-n", self.namespace, "--wait=false")
            pruned.append(f"{kind}/{name}")
        return pruned
