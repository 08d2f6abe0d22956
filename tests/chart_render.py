"""What helm renders for the stand-in chart, parsed: shared by the chart and render tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import kubernetes_validate
from ruamel.yaml import YAML

RELEASE = "ocean-controller"
NAMESPACE = "spot-system"
FULLNAME = "ocean-controller-ocean-kubernetes-controller"
CHART_LABEL = "ocean-kubernetes-controller-0.1.60"
CONTROLLER = "ocean-kubernetes-controller"
PROXY_URL = "http://proxy.corp:3128"
CA_KEY = "userEnvCertificates.pem"

# The vendor's documented install flags (seed/ocean-controller-v2-proxy-settings.txt).
VENDOR_FLAGS = (
    "--set", "spotinst.account=act-123",
    "--set", "spotinst.clusterIdentifier=cluster-1",
    "--set", "spotinst.token=TOKEN",
)
PROXY_FLAGS = (*VENDOR_FLAGS, "--set", f"spotinst.proxyUrl={PROXY_URL}")
PROXY_NAMES = {"https_proxy", "http_proxy", "no_proxy", "all_proxy"}
TRUST_NAMES = {"USER_ENV_CERTIFICATES", "SSL_CERT_FILE", "SSL_CERT_DIR"}


@dataclass
class Rendered:
    """helm template's output: the text as helm wrote it, and its documents parsed."""

    text: str
    docs: list[dict[str, Any]]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        for doc in self.docs:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
        return None

    def one(self, kind: str, name: str = FULLNAME) -> dict[str, Any]:
        doc = self.find(kind, name)
        assert doc is not None, f"no {kind}/{name} in {self.kinds_and_names()}"
        return doc

    def kinds_and_names(self) -> set[tuple[str, str]]:
        return {(doc["kind"], doc["metadata"]["name"]) for doc in self.docs}

    def pod(self, name: str = FULLNAME) -> dict[str, Any]:
        return self.one("Deployment", name)["spec"]["template"]

    def container(self, name: str, deployment: str = FULLNAME) -> dict[str, Any]:
        containers = self.pod(deployment)["spec"]["containers"]
        found = [c for c in containers if c["name"] == name]
        assert len(found) == 1, f"container {name} in {[c['name'] for c in containers]}"
        return found[0]

    def env(self, container: str) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.container(container).get("env", [])}

    def config(self) -> dict[str, str]:
        return self.one("ConfigMap")["data"]

    def document_text(self, source: str) -> str:
        """The raw text of the documents helm rendered from one template file."""
        marker = f"# Source: ocean-kubernetes-controller/{source}\n"
        chunks = [c for c in self.text.split("\n---\n") if marker in c]
        assert chunks, f"no document from {source}"
        return "\n---\n".join(chunks)


def assert_chart_https_proxy(out: Rendered) -> None:
    """The controller keeps the chart's HTTPS_PROXY, reading a ConfigMap key that is blank or
    absent, as the chart's values leave it (the post-renderer and ``ocean-proxy values`` store
    one pod template): Go takes the first of HTTPS_PROXY, https_proxy that is not empty."""
    entry = out.env(CONTROLLER)["HTTPS_PROXY"]
    assert entry["valueFrom"] == {"configMapKeyRef": {
        "name": FULLNAME, "key": "proxy-url", "optional": True}}
    assert not out.config().get("proxy-url")


def parse(text: str) -> Rendered:
    docs = [doc for doc in YAML(typ="safe").load_all(text) if doc]
    return Rendered(text, docs)


def validation_errors(docs: list[dict[str, Any]]) -> list[str]:
    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, "1.31", strict=True)
        except kubernetes_validate.ValidationError as error:
            first_line = str(error).splitlines()[0]
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {first_line}")
    return errors


def embedded_job(rendered: Rendered) -> dict[str, Any]:
    return YAML(typ="safe").load(rendered.config()["auto-update.job"])


