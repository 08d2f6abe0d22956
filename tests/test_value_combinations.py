"""Many of the chart's values at once, as users set them, through real helm 3 and helm 4.

Each row of ``COMBINATIONS`` is one user's values file (block or flow style, with anchors,
user env that already names a proxy or a CA, extra volumes, the log-shipper and the
metrics-server on or off, a CA Secret created, pre-existing or absent, a proxy URL with and
without credentials, each auto-update policy, the Spot agents beside the controller, image
overrides). ``helm template --post-renderer ocean-proxy-post-renderer`` must then:

- exit 0, or exit non-zero with one error line on stderr and nothing on stdout;
- give every container of the controller pod the proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY
  and their lowercase twins) and SSL_CERT_DIR once each, the proxy Go would use being the
  user's and NO_PROXY keeping the API server direct;
- show the proxy password in no ConfigMap, annotation or plain env value;
- write YAML that ruamel and helm's own reader (sigs.k8s.io/yaml, ``yamltojson``) read alike;
- leave everything else the chart rendered as it was: the metrics-server, the user's own
  env entries, mounts, volumes, annotations, affinity and tolerations.

Helm 4 runs the post-renderer as a postrenderer/v1 plugin that calls this checkout's console
script (the plugin's own install is tested in test_plugin_install); Helm 3 finds it on PATH.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from . import certs
from .conftest import FIXTURE_CHART, VENV_BIN, clean_env, run_command, tool
from .plugin_harness import SYSTEM_PATH

CONTROLLER = "ocean-kubernetes-controller"
LOG_SHIPPER = "log-shipper"
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
AGENTS = (CONTROLLER, "spot-ocean-metric-exporter", "ocean-network-client")
AGENT_CHARTS = (CONTROLLER, "ocean-metric-exporter", "ocean-network-client")
OURS = ("checksum/config", "checksum/proxy", "checksum/ca-bundle")  # ocean-proxy writes them
WRITTEN = (*PROXY_VARS, "NO_PROXY", "no_proxy")
PASSWORD = "p@ss:w/rd#1$x"
CREDENTIALS_URL = f"http://svc-ocean:{quote(PASSWORD, safe='')}@proxy.corp:3128"
PLUGIN = """\
apiVersion: v1
type: postrenderer/v1
name: ocean-proxy-post-renderer
version: 0.1.0
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: {command}
"""


@dataclass(frozen=True)
class Combination:
    """One user's values (``values`` is the file's text) and post-renderer flags."""

    name: str
    values: str
    args: tuple[str, ...] = ()
    release: str = "ocean"
    namespace: str = "spot-system"
    proxy_url: str | None = "http://proxy.corp:3128"
    ca: bool = True  # a corporate CA reaches the pods, whichever way it was given
    error: str | None = None  # the one line's text, when helm must stop
    secrets: tuple[str, ...] = field(default=())


SPOT = """\
spotinst:
  account: act-1
  clusterIdentifier: c-1
  token: TOKEN
  proxyUrl: %s
"""
COMBINATIONS = [
    Combination("vendor-command-all-defaults", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
"""),
    Combination("credentials-fullname-annotations-scheduling-flow-style", """\
{"spotinst": {"account": "act-1", "clusterIdentifier": "c-1", "token": "TOKEN",
  "proxyUrl": PROXY_URL},
 "fullnameOverride": "spot-ctl", "caBundleSecret": {"create": true, "data": "CA_PEM"},
 "podAnnotations": {"prometheus.io/scrape": "true", "checksum/custom": "abc"},
 "podLabels": {"team": "platform"},
 "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
   {"nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In",
    "values": ["system"]}]}]}}},
 "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}
""", proxy_url=CREDENTIALS_URL),
    Combination("name-override-and-user-env-that-names-proxy-and-ca", SPOT % "PROXY_URL" + """\
nameOverride: spot
caBundleSecret: {create: true, data: "CA_PEM"}
extraEnv:
  - {name: NO_PROXY, value: "corp.internal,10.0.0.0/8"}
  - {name: https_proxy, value: "http://old-proxy.corp:8080"}
  - {name: HTTPS_PROXY, value: "http://old-proxy.corp:8080"}
  - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
  - {name: FOO, value: bar}
logShipping:
  extraEnv:
    - {name: HTTP_PROXY, value: "http://old-proxy.corp:8080"}
    - {name: no_proxy, value: "corp.internal"}
    - {name: FLB_LOG_LEVEL, value: debug}
""", proxy_url=CREDENTIALS_URL),
    Combination("anchors-shared-by-both-containers", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: &ca {create: true, data: "CA_PEM"}
common-env: &env
  - name: NO_PROXY
    value: .corp.internal
  - name: TZ
    value: UTC
extraEnv: *env
logShipping:
  enabled: true
  extraEnv: *env
tolerations: &tol
  - {key: dedicated, operator: Equal, value: spot, effect: NoSchedule}
ocean-metric-exporter: {tolerations: *tol}
"""),
    Combination("log-shipper-metrics-server-and-auto-update-off", SPOT % "PROXY_URL" + """\
  disableAutoUpdate: true
caBundleSecret: {create: true, data: "CA_PEM"}
logShipping: {enabled: false}
metrics-server: {deployChart: false}
""", proxy_url=CREDENTIALS_URL),
    Combination("auto-update-keep", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", args=("--auto-update=keep",), proxy_url=CREDENTIALS_URL),
    Combination("auto-update-refuse-while-on", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", args=("--auto-update=refuse",), proxy_url=CREDENTIALS_URL, error="auto-update"),
    Combination("auto-update-refuse-with-it-off", SPOT % "PROXY_URL" + """\
  disableAutoUpdate: true
caBundleSecret: {create: true, data: "CA_PEM"}
""", args=("--auto-update=refuse",), proxy_url=CREDENTIALS_URL),
    Combination("existing-ca-secret-and-ca-file-flag", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: false, name: corp-ca, key: ca.crt}
""", args=("--ca-file=CA_FILE",), proxy_url=CREDENTIALS_URL),
    Combination("ca-secret-of-its-own-name-and-key", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, name: corp-proxy-ca, key: corp_ca.pem, data: "CA_PEM"}
"""),
    Combination("proxy-without-any-ca", SPOT % '"http://10.0.0.5:3128"', ca=False,
                proxy_url="http://10.0.0.5:3128"),
    Combination("https-proxy-with-credentials", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", proxy_url="https://svc:s3cr%23t@proxy.corp:8443", secrets=("s3cr%23t", "s3cr#t")),
    Combination("https-proxy-beside-a-log-shippers-own-http-proxy", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
logShipping:
  extraEnv:
    - {name: HTTP_PROXY, value: "http://plain-port.corp:3128"}
    - {name: HTTPS_PROXY, value: "http://plain-port.corp:3128"}
""", proxy_url="https://svc:s3cr%23t@proxy.corp:8443", secrets=("s3cr%23t", "s3cr#t")),
    Combination("https-proxy-beside-a-log-shippers-blank-http-proxy", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
logShipping:
  extraEnv:
    - {name: HTTP_PROXY, value: ""}
""", proxy_url="https://proxy.corp:8443"),
    Combination("https-proxy-with-the-log-shipper-off", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
logShipping: {enabled: false}
""", proxy_url="https://proxy.corp:8443"),
    Combination("ipv6-proxy", SPOT % '"http://[fd00::10]:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", proxy_url="http://[fd00::10]:3128"),
    Combination("agents-beside-the-controller", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
ocean-metric-exporter:
  deployChart: true
  podEnvVariables: [{name: HTTPS_PROXY, value: "http://old:1"}, {name: LOG_LEVEL, value: info}]
ocean-network-client: {deployChart: true}
""", proxy_url=CREDENTIALS_URL),
    Combination("images-resources-and-insecure", SPOT % '"http://proxy.corp:3128"' + """\
  insecureSkipTLSVerify: true
caBundleSecret: {create: true, data: "CA_PEM"}
image: {repository: "registry.corp:5000/spot/controller", tag: "2.0.70@sha256:abc"}
logShipping:
  image: {repository: public.ecr.aws/aws-observability/aws-for-fluent-bit, tag: "2.32.0"}
  resources: {limits: {memory: 128Mi}}
resources: {limits: {cpu: "1", memory: 1Gi}}
autoUpdate: {image: {repository: registry.corp:5000/spot/auto-update, tag: "1.4.2"}}
"""),
    Combination("user-volumes-and-mounts-of-their-own-ca", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
extraVolumes:
  - {name: corp-ca, configMap: {name: corp-ca-bundle}}
  - {name: scratch, emptyDir: {}}
extraVolumeMounts:
  - {name: corp-ca, mountPath: /etc/ssl/certs/corp-ca.crt, subPath: ca.crt, readOnly: true}
  - {name: scratch, mountPath: /scratch}
logShipping:
  extraVolumeMounts:
    - {name: corp-ca, mountPath: /etc/ssl/certs, readOnly: true}
"""),
    Combination("release-named-like-the-chart-in-its-own-namespace",
                SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
fullnameOverride: a-fullname-override-that-is-exactly-sixty-three-characters-long
""", release="ocean-kubernetes-controller", namespace="corp-spot"),
    Combination("flag-proxy-overrides-the-charts", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", args=("--proxy-url=http://other:pw0rd@proxy2.corp:3128", "--no-proxy=.corp.internal"),
        proxy_url="http://other:pw0rd@proxy2.corp:3128", secrets=("pw0rd",)),
    Combination("users-own-checksum-annotations", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
podAnnotations: {checksum/proxy: "manual", checksum/ca-bundle: "manual", team: a}
"""),
    Combination("proxy-url-from-set-file-with-its-newline",
                SPOT % '"http://proxy.corp:3128\\n"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
"""),
    Combination("proxy-url-in-capitals", SPOT % '"HTTP://Proxy.Corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", proxy_url="HTTP://Proxy.Corp:3128"),
    Combination("proxy-url-without-a-scheme", SPOT % '"proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
""", proxy_url="proxy.corp:3128"),
    Combination("log-shipper-proxy-from-a-users-secret", SPOT % "PROXY_URL" + """\
caBundleSecret: {create: true, data: "CA_PEM"}
logShipping:
  extraEnv:
    - name: HTTPS_PROXY
      valueFrom: {secretKeyRef: {name: corp-proxy, key: url}}
    - {name: HTTP_PROXY}
""", proxy_url=CREDENTIALS_URL),
    Combination("auto-update-flag-written-as-a-string", SPOT % "PROXY_URL" + """\
  disableAutoUpdate: "false"
caBundleSecret: {create: true, data: "CA_PEM"}
""", proxy_url=CREDENTIALS_URL),
    Combination("no-proxy-from-a-users-configmap", SPOT % '"http://proxy.corp:3128"' + """\
caBundleSecret: {create: true, data: "CA_PEM"}
extraEnv:
  - name: NO_PROXY
    valueFrom: {configMapKeyRef: {name: corp-network, key: no-proxy}}
"""),
]


@pytest.fixture(scope="module")
def ca_pem() -> str:
    return certs.root("Corp Combination Root CA").pem.decode()


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm_env(request, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    major = request.param
    home = tmp_path_factory.mktemp(major)
    dirs = {name: str(home / name.lower()) for name in
            ("HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME")}
    path = SYSTEM_PATH
    if major == "helm4":
        plugin = home / "plugins" / "ocean-proxy-post-renderer"
        plugin.mkdir(parents=True)
        command = VENV_BIN / "ocean-proxy-post-renderer"
        (plugin / "plugin.yaml").write_text(PLUGIN.format(command=command))
        dirs["HELM_PLUGINS"] = str(home / "plugins")
    else:
        path = f"{VENV_BIN}:{SYSTEM_PATH}"
    env = clean_env(HOME=str(home), PATH=path, **dirs)
    env.pop("OCEAN_PROXY_MESSAGES")  # users leave it unset: messages reach helm's stderr
    return tool(major), env


def helm_template(helm_env, combo: Combination, values: Path, *extra: str):
    binary, env = helm_env
    return run_command([binary, "template", combo.release, FIXTURE_CHART, "--namespace",
                        combo.namespace, "--values", values, *extra], env=env)


def load_all(text: str) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe", pure=True).load_all(text) if doc]


def go_reads(text: str) -> list[Any]:
    """The documents as helm reads them (sigs.k8s.io/yaml), as JSON data."""
    pieces = [piece for piece in re.split(r"(?m)^---[ \t]*\n", text) if piece.strip(" \n")]
    run = run_command([tool("yamltojson")], stdin="\0".join(pieces).encode())
    assert run.returncode == 0, run.stderr
    lines = run.text.splitlines()
    assert not [line for line in lines if line.startswith("error")], lines
    return [data for data in map(json.loads, lines) if data]


def controller_pods(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == "Deployment" and any(
        c["name"] == CONTROLLER for c in doc["spec"]["template"]["spec"]["containers"])]


def agent_workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Spot agents' workloads, which ocean-proxy edits: by container name or pod label."""
    return [doc for doc in docs if doc["kind"] in ("Deployment", "DaemonSet") and (
        any(c["name"] in AGENTS for c in doc["spec"]["template"]["spec"]["containers"]) or
        doc["spec"]["template"]["metadata"].get("labels", {}).get(
            "app.kubernetes.io/name") in AGENT_CHARTS)]


def resolve(entry: dict[str, Any], docs: list[dict[str, Any]]) -> str | None:
    """The value a kubelet gives an env entry from the rendered objects (None: unresolved)."""
    if "value" in entry:
        return entry["value"]
    source = entry.get("valueFrom") or {}
    for field_name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = source.get(field_name)
        if ref is None:
            continue
        for doc in docs:
            if doc["kind"] == kind and doc["metadata"]["name"] == ref["name"]:
                value = (doc.get("data") or {}).get(ref["key"])
                if value is None:
                    return "" if ref.get("optional") else None
                return base64.b64decode(value).decode() if kind == "Secret" else value
        return "" if ref.get("optional") else None
    return None


def plain_values(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Every place a secret would be in plain sight: ConfigMap data, annotations, env values."""
    found = []
    for doc in docs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "ConfigMap":
            found += [(f"{where} key {k}", str(v)) for k, v in (doc.get("data") or {}).items()]
        found += [(f"{where} annotation {k}", str(v))
                  for k, v in (doc["metadata"].get("annotations") or {}).items()]
        template = (doc.get("spec") or {}).get("template") or {}
        found += [(f"{where} pod annotation {k}", str(v)) for k, v in
                  ((template.get("metadata") or {}).get("annotations") or {}).items()]
        for container in (template.get("spec") or {}).get("containers") or ():
            found += [(f"{where} {container['name']} env {e['name']}", str(e["value"]))
                      for e in container.get("env") or () if "value" in e]
    return found


def by_name(entries: list[dict[str, Any]] | None, key: str = "name") -> dict[str, Any]:
    return {entry[key]: entry for entry in entries or ()}


def as_go_reads(url: str) -> str:
    """The proxy URL as Go's http.ProxyFromEnvironment takes it: no scheme means http://,
    and scheme and host are case-insensitive."""
    url = url if "://" in url else f"http://{url}"
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")
    return f"{parts.scheme.lower()}://{host[0]}{host[1]}{host[2].lower()}{parts.path}"


def check_proxy_and_trust(combo: Combination, docs: list[dict[str, Any]]) -> None:
    deployments = controller_pods(docs)
    assert len(deployments) == 1
    spec = deployments[0]["spec"]["template"]["spec"]
    assert len(by_name(spec.get("volumes"))) == len(spec.get("volumes") or ())
    for container in spec["containers"]:
        names = [e["name"] for e in container.get("env") or ()]
        env = by_name(container.get("env"))
        mounts = [m["mountPath"] for m in container.get("volumeMounts") or ()]
        assert len(set(mounts)) == len(mounts), (container["name"], mounts)
        fluent_bit = container["name"] == LOG_SHIPPER
        if container["name"] not in (CONTROLLER, LOG_SHIPPER):
            continue
        expected = set(WRITTEN if combo.proxy_url else ())
        if fluent_bit and combo.proxy_url and \
                urlsplit(as_go_reads(combo.proxy_url)).scheme != "http":
            expected -= set(PROXY_VARS)
        if combo.ca:
            expected.add("SSL_CERT_DIR")
        for name in expected:
            assert names.count(name) == 1, (container["name"], name, names)
        if not combo.proxy_url:
            continue
        values = {name: resolve(env[name], docs) if name in env else None for name in WRITTEN}
        go_proxy = values["HTTPS_PROXY"] or values["https_proxy"]
        want = urlsplit(as_go_reads(combo.proxy_url))
        if fluent_bit and want.scheme != "http":
            continue  # fluent-bit takes http:// only: its own values' proxy, if any, stays
        elif fluent_bit:  # fluent-bit splits user:password@host:port at the last '@'
            host = (values["HTTP_PROXY"] or "").partition("://")[2].rpartition("@")[2]
            assert host.lower() == want.netloc.rpartition("@")[2], values
        else:
            assert go_proxy == as_go_reads(combo.proxy_url), (container["name"], values)
        no_proxy = (values["NO_PROXY"] or "").split(",")
        assert "$(KUBERNETES_SERVICE_HOST)" in no_proxy, no_proxy
        assert (values["no_proxy"] or "").split(",") == no_proxy


def check_chart_kept(plain: list[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """What ocean-proxy does not own comes out as the chart rendered it."""
    after = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for doc in plain:
        key = (doc["kind"], doc["metadata"]["name"])
        assert key in after, key
        if doc not in agent_workloads(plain):
            if doc["kind"] not in ("ConfigMap", "Secret"):
                assert after[key] == doc, key
            continue
        before_pod, after_pod = doc["spec"]["template"], after[key]["spec"]["template"]
        before_notes = before_pod["metadata"].get("annotations") or {}
        after_notes = after_pod["metadata"].get("annotations") or {}
        # checksum/config is rehashed over the ConfigMap ocean-proxy writes (config_checksum)
        kept = {k: v for k, v in before_notes.items() if k not in OURS}
        assert {k: after_notes.get(k) for k in kept} == kept
        rest = {k: v for k, v in before_pod["spec"].items() if k not in ("containers", "volumes")}
        assert {k: after_pod["spec"].get(k) for k in rest} == rest
        volumes = by_name(after_pod["spec"].get("volumes"))
        for volume in before_pod["spec"].get("volumes") or ():
            assert volumes.get(volume["name"]) == volume
        containers = by_name(after_pod["spec"]["containers"])
        for container in before_pod["spec"]["containers"]:
            mine = containers[container["name"]]
            env = by_name(mine.get("env"))
            for entry in container.get("env") or ():
                if entry["name"].upper() not in {*WRITTEN, "PROXY_URL", "SSL_CERT_DIR",
                                                 "SSL_CERT_FILE", "USER_ENV_CERTIFICATES"}:
                    assert env.get(entry["name"]) == entry, (container["name"], entry)
            mounts = by_name(mine.get("volumeMounts"), "mountPath")
            for mount in container.get("volumeMounts") or ():
                assert mounts.get(mount["mountPath"]) == mount


REPLACED = re.compile(r"ocean-proxy replaces (.*?); remove the other proxy")
REPLACED_ONE = re.compile(r"(\S+) \((\w+) of container '([^']+)'")


def check_what_stderr_says(stderr: str, docs: list[dict[str, Any]]) -> None:
    """A proxy stderr says ocean-proxy replaces is gone from that container, a log-shipper
    said to get no proxy has none that fluent-bit reads, and one said to keep its own has one
    (None: read from a Secret the release does not hold)."""
    containers = {c["name"]: c for workload in agent_workloads(docs)
                  for c in workload["spec"]["template"]["spec"]["containers"]}
    said = " ".join(stderr.split())
    for listed in REPLACED.findall(said):  # each proxy of the list, not only the first
        for url, name, container in REPLACED_ONE.findall(listed):
            entry = by_name(containers[container].get("env")).get(name)
            assert entry is None or resolve(entry, docs) != url, (listed, entry)
    for words, has_one in (("it gets no proxy and cannot ship its logs", False),
                           ("it keeps the HTTP_PROXY of its own values", True)):
        if words not in said:
            continue
        assert LOG_SHIPPER in containers, "a log-shipper the release does not run"
        env = by_name(containers[LOG_SHIPPER].get("env"))
        own = [resolve(env[name], docs) for name in ("HTTP_PROXY", "http_proxy") if name in env]
        assert any(value != "" for value in own) is has_one, (words, env)


def check_auto_update_job(combo: Combination, docs: list[dict[str, Any]],
                          secrets: list[str]) -> None:
    """The Job the controller creates from its ConfigMap's text: read alike by Go and ruamel,
    no password in it, and (unless left as rendered) the proxy once in its container."""
    texts = [doc["data"]["auto-update.job"] for doc in docs if doc["kind"] == "ConfigMap"
             and "auto-update.job" in (doc.get("data") or {})]
    for text in texts:
        job = load_all(text)
        assert go_reads(text) == json.loads(json.dumps(job))
        assert not [s for s in secrets if s in text]
        if "--auto-update=keep" in combo.args or not combo.proxy_url:
            continue
        for container in job[0]["spec"]["template"]["spec"]["containers"]:
            names = [e["name"] for e in container.get("env") or ()]
            assert all(names.count(name) == 1 for name in WRITTEN), names


def values_file(tmp_path: Path, combo: Combination, ca_pem: str) -> Path:
    path = tmp_path / "values.yaml"
    text = combo.values.replace('"CA_PEM"', json.dumps(ca_pem))
    path.write_text(text.replace("PROXY_URL", json.dumps(combo.proxy_url or "")))
    return path


@pytest.mark.parametrize("combo", COMBINATIONS, ids=lambda combo: combo.name)
def test_a_users_values_all_at_once_render_as_promised(helm_env, combo, ca_pem, tmp_path):
    check_combination(helm_env, combo, ca_pem, tmp_path)


def check_combination(helm_env, combo: Combination, ca_pem: str, tmp_path: Path) -> None:
    values = values_file(tmp_path, combo, ca_pem)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(ca_pem)
    args = [arg for given in combo.args
            for arg in ("--post-renderer-args", given.replace("CA_FILE", str(ca_file)))]
    run = helm_template(helm_env, combo, values, "--post-renderer", "ocean-proxy-post-renderer",
                        *args)
    secrets = [PASSWORD, quote(PASSWORD, safe=""), *combo.secrets]
    assert not [s for s in secrets if s in run.stderr], run.stderr
    if combo.error is not None:
        assert run.returncode != 0 and run.stdout == b"", run.stderr
        lines = [line for line in run.stderr.splitlines() if combo.error in line]
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        return
    assert run.returncode == 0, run.stderr
    docs = load_all(run.text)
    assert go_reads(run.text) == json.loads(json.dumps(docs))
    shown = [where for where, value in plain_values(docs) if any(s in value for s in secrets)]
    assert shown == []
    check_proxy_and_trust(combo, docs)
    check_what_stderr_says(run.stderr, docs)
    check_auto_update_job(combo, docs, secrets)
    plain = helm_template(helm_env, combo, values)
    assert plain.returncode == 0, plain.stderr
    check_chart_kept(load_all(plain.text), docs)


# Values drawn together (hypothesis, derandomized: the same examples every run).
PROXIES = ("http://proxy.corp:3128", CREDENTIALS_URL, "https://svc:s3cr%23t@proxy.corp:8443",
           "http://[fd00::10]:3128", "")
USER_ENV = (
    {"name": "NO_PROXY", "value": "corp.internal,10.0.0.0/8"},
    {"name": "no_proxy", "value": ".corp.internal"},
    {"name": "HTTPS_PROXY", "value": "http://old-proxy.corp:8080"},
    {"name": "https_proxy", "value": "http://old-proxy.corp:8080"},
    {"name": "HTTP_PROXY", "value": "http://old-proxy.corp:8080"},
    {"name": "SSL_CERT_DIR", "value": "/etc/corp/certs"},
    {"name": "SSL_CERT_FILE", "value": "/etc/corp/ca.pem"},
    {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
    {"name": "TZ", "value": "UTC"},
)


@st.composite
def drawn_combinations(draw) -> Combination:
    url = draw(st.sampled_from(PROXIES))
    ca = draw(st.sampled_from(("create", "renamed", "flag", "none")))
    values: dict[str, Any] = {"spotinst": {
        "account": "act-1", "clusterIdentifier": "c-1", "token": "TOKEN", "proxyUrl": url,
        "disableAutoUpdate": draw(st.booleans())}}
    if ca in ("create", "renamed"):
        values["caBundleSecret"] = {"create": True, "data": "CA_PEM"}
    if ca == "renamed":
        values["caBundleSecret"].update(name="corp-proxy-ca", key="ca.crt")
    env = st.lists(st.sampled_from(USER_ENV), max_size=4)
    values["extraEnv"] = draw(env)
    values["logShipping"] = {"enabled": draw(st.booleans()), "extraEnv": draw(env)}
    values["metrics-server"] = {"deployChart": draw(st.booleans())}
    values["ocean-metric-exporter"] = {"deployChart": draw(st.booleans())}
    values["ocean-network-client"] = {"deployChart": draw(st.booleans())}
    for key in draw(st.sets(st.sampled_from(("nameOverride", "fullnameOverride")))):
        values[key] = "spot-ctl"
    values["podAnnotations"] = draw(st.sampled_from(({}, {"checksum/proxy": "x", "a": "b"})))
    args = [f"--auto-update={draw(st.sampled_from(('inject', 'keep', 'refuse')))}"]
    if ca == "flag":
        args.append("--ca-file=CA_FILE")
    if not url:
        args.append("--proxy-url=http://proxy.corp:3128")
    text = json.dumps(values, indent=draw(st.sampled_from((None, 2))))
    refuse = "--auto-update=refuse" in args and not values["spotinst"]["disableAutoUpdate"]
    return Combination("drawn", text, tuple(args),
                       proxy_url=url or "http://proxy.corp:3128", ca=ca != "none",
                       error="auto-update" if refuse else None,
                       secrets=("s3cr%23t", "s3cr#t"))


@given(combo=drawn_combinations())
@settings(max_examples=int(os.environ.get("COMBINATION_EXAMPLES", "6")), derandomize=True,
          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_values_drawn_together_render_as_promised(helm_env, ca_pem, combo):
    with tempfile.TemporaryDirectory() as folder:
        check_combination(helm_env, combo, ca_pem, Path(folder))
