"""The Spot agents the controller chart renders in its own release (the network client, the
metric exporter), through the real helm 3 with the stand-in charts, where one stream holds
more than one such release: each agent gets the proxy and CAs of the controller whose
ConfigMap it reads, in its own namespace, and nothing of another release's."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from . import certs
from .agent_charts import (
    CONTROLLER_CHART,
    EXPORTER,
    EXPORTER_CHART,
    NETWORK_CLIENT,
    NETWORK_CLIENT_CHART,
    NO_CONTROLLER_EXTRAS,
    SPOT_FLAGS,
    helm_template,
    plain_texts,
)
from .chart_render import parse
from .conftest import clean_env, post_renderer
from .kubelet_view import ContainerView, container_view
from .test_agents_in_controller_release import password_holders, secrets_read
from .test_kept_ca_secret import kept_values

PASSWORD = "s3cret-Pw"
PROXY = f"http://alice:{PASSWORD}@proxy.corp:3128"
RELEASE = "ocean-controller"
FULLNAME = f"{RELEASE}-ocean-kubernetes-controller"


def rendered(helm3: Path, chart: Path, namespace: str, *flags: str) -> bytes:
    run = helm_template(helm3, clean_env(), RELEASE, chart, *flags, namespace=namespace)
    assert run.returncode == 0, run.stderr
    return run.stdout


def release_with_network_client(helm3: Path, namespace: str, *flags: str) -> bytes:
    """The controller chart with ocean-network-client.deployChart=true: the DaemonSet in the
    controller's namespace, reading its Secret and ConfigMap, written first as helm does."""
    client = rendered(helm3, NETWORK_CLIENT_CHART, namespace, "--set", f"namespace={namespace}",
                      "--set", f"oceanController.configMapName={FULLNAME}",
                      "--set", f"oceanController.secretName={FULLNAME}")
    return client + rendered(helm3, CONTROLLER_CHART, namespace, *SPOT_FLAGS,
                             *NO_CONTROLLER_EXTRAS, "--set", f"spotinst.proxyUrl={PROXY}",
                             *flags)


def with_ca(path: Path) -> tuple[str, ...]:
    return ("--set", "caBundleSecret.create=true", "--set-file", f"caBundleSecret.data={path}")


def seen_in(docs: list[dict[str, Any]], namespace: str, kind: str, name: str,
            container: str) -> ContainerView:
    """What the kubelet gives the container of KIND/NAME in ``namespace``."""
    beside = [d for d in docs if d["metadata"].get("namespace", namespace) == namespace]
    [document] = [d for d in beside if (d["kind"], d["metadata"]["name"]) == (kind, name)]
    return container_view(beside, document["spec"]["template"], container, namespace=namespace)


def trusted(seen: ContainerView) -> bytes:
    return b"".join(content for mount in seen.secret_mounts for content in mount.files.values())


def test_namesake_releases_network_clients_each_trust_their_own_controllers_ca(
        helm3, tmp_path):
    """One release name in two namespaces (environments, as helmfile templates them), each
    rendering the network client beside the controller, each with its own corporate CA: a
    network client that trusted the other namespace's CA would fail its TLS to the proxy."""
    roots = {"team-a": certs.root("Team A Proxy Root"), "team-b": certs.root("Team B Proxy Root")}
    stream = b""
    for namespace, root in roots.items():
        path = tmp_path / f"{namespace}.pem"
        path.write_bytes(root.pem)
        stream += release_with_network_client(helm3, namespace, *with_ca(path))

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    for namespace, root in roots.items():
        other = roots["team-b" if namespace == "team-a" else "team-a"]
        for kind, name, container in (NETWORK_CLIENT, ("Deployment", FULLNAME, "log-shipper"),
                                      ("Deployment", FULLNAME, "ocean-kubernetes-controller")):
            seen = seen_in(docs, namespace, kind, name, container)
            assert seen.env["HTTPS_PROXY"] == PROXY or container == "ocean-kubernetes-controller"
            assert root.pem in trusted(seen), (namespace, container)
            assert other.pem not in trusted(seen), (namespace, container)
    assert PASSWORD not in plain_texts(docs) and PASSWORD not in run.stderr
    assert post_renderer(stdin=run.stdout).stdout == run.stdout
    # one Secret of each namespace holds the password, and its own network client reads it
    holders = password_holders(docs)
    assert sorted(namespace for namespace, _ in holders) == sorted(roots), holders
    for namespace, name in holders:
        [client] = [d for d in docs if (d["kind"], d["metadata"]["name"]) == NETWORK_CLIENT[:2]
                    and d["metadata"]["namespace"] == namespace]
        assert name in secrets_read(client), (namespace, name)


def test_an_exporter_beside_a_controller_without_a_ca_keeps_the_ca_its_own_chart_reads(
        helm3, corp_root):
    """The controller's release gives the proxy and no CA; the exporter beside it reads a CA
    Secret of the stream that the controller does not: it still trusts that CA (the
    controller's CAs, none, are not lent), and reads the controller's proxy Secret."""
    pem = base64.b64encode(corp_root.pem).decode()
    secret = ("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: exporter-ca\n"
              f"  namespace: spot-system\ndata:\n  userEnvCertificates.pem: {pem}\n").encode()
    exporter = rendered(helm3, EXPORTER_CHART, "spot-system",
                        "--set", f"oceanController.configMapName={FULLNAME}",
                        "--set", f"oceanController.secretName={FULLNAME}",
                        "--set", "oceanController.caBundleSecretName=exporter-ca")
    controller = rendered(helm3, CONTROLLER_CHART, "spot-system", *SPOT_FLAGS,
                          *NO_CONTROLLER_EXTRAS, "--set", f"spotinst.proxyUrl={PROXY}")

    run = post_renderer(stdin=secret + exporter + controller)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    seen = seen_in(docs, "spot-system", *EXPORTER)
    assert corp_root.pem.decode().strip() in seen.env["USER_ENV_CERTIFICATES"]
    assert corp_root.pem in trusted(seen)
    assert seen.env["PROXY_URL"] == PROXY
    beside = seen_in(docs, "spot-system", "Deployment", FULLNAME, "log-shipper")
    assert corp_root.pem not in trusted(beside)
    assert len(password_holders(docs)) == 1, password_holders(docs)


def test_a_ca_soon_to_expire_is_said_once_and_where_it_is(helm3, tmp_path):
    """The network client takes the controller's CA: what is wrong with that CA is said once,
    naming the chart's CA Secret, where the user can replace it, and the render goes on."""
    now = dt.datetime.now(dt.timezone.utc)
    path = tmp_path / "soon.pem"
    path.write_bytes(certs.root("Soon Root", not_after=now + dt.timedelta(days=10)).pem)

    run = post_renderer(stdin=release_with_network_client(helm3, "spot-system", *with_ca(path)))

    assert run.returncode == 0, run.stderr
    said = [line for line in run.stderr.splitlines() if "expires on" in line]
    assert len(said) == 1, run.stderr
    assert said[0].startswith("ocean-proxy: warning: ")
    assert f"Secret '{FULLNAME}-ca-bundle'" in said[0], said[0]


def test_of_two_proxies_kept_in_the_users_own_secrets_the_warning_names_the_one_go_reads(
        helm3):
    """HTTPS_PROXY and https_proxy both read Secrets of the user's own (extraEnv) that the
    release does not render: Go takes HTTPS_PROXY, so that is the Secret the warning names."""
    flags = []
    for index, (name, secret) in enumerate((("HTTPS_PROXY", "corp-proxy"),
                                            ("https_proxy", "old-proxy"))):
        flags += ["--set", f"extraEnv[{index}].name={name}",
                  "--set", f"extraEnv[{index}].valueFrom.secretKeyRef.name={secret}",
                  "--set", f"extraEnv[{index}].valueFrom.secretKeyRef.key=url"]
    stream = rendered(helm3, CONTROLLER_CHART, "spot-system", *SPOT_FLAGS, *NO_CONTROLLER_EXTRAS,
                      "--set", "spotinst.disableAutoUpdate=true", *flags)

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    assert run.stdout == stream
    said = [line for line in run.stderr.splitlines() if "Secret 'corp-proxy'" in line]
    assert said and said[0].startswith("ocean-proxy: warning: "), run.stderr
    assert "old-proxy" not in run.stderr


def test_a_blank_user_env_certificates_in_extra_env_is_no_ca_to_refuse(helm3, ca_file,
                                                                        corp_root):
    """A USER_ENV_CERTIFICATES blanked in extraEnv (a value "") holds no CA: the render goes
    on with the CA the user gives, instead of refusing an empty bundle."""
    stream = rendered(helm3, CONTROLLER_CHART, "spot-system", *SPOT_FLAGS, *NO_CONTROLLER_EXTRAS,
                      "--set", f"spotinst.proxyUrl={PROXY}",
                      "--set", "extraEnv[0].name=USER_ENV_CERTIFICATES",
                      "--set-string", "extraEnv[0].value=")

    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    for container in ("ocean-kubernetes-controller", "log-shipper"):
        seen = seen_in(docs, "spot-system", "Deployment", FULLNAME, container)
        assert corp_root.pem in trusted(seen), container
    without = post_renderer(stdin=stream)
    assert without.returncode == 0, without.stderr
    assert "error" not in without.stderr


def test_a_ca_written_in_extra_env_survives_the_auto_updates_upgrade(helm3, tmp_path,
                                                                      corp_root, ca_file):
    """A CA given as an extraEnv USER_ENV_CERTIFICATES value (charts 0.1.0 to 0.1.3 have no
    CA Secret): the chart values kept for the auto-update's helm, rendered without the
    post-renderer, still give both containers the CA, with every file they mount there. Had
    they told the chart to make ocean-proxy's own CA Secret, it would hold the bundle alone."""
    flags = (*SPOT_FLAGS, *NO_CONTROLLER_EXTRAS, "--set", f"spotinst.proxyUrl={PROXY}",
             "--set", "extraEnv[0].name=USER_ENV_CERTIFICATES",
             "--set-file", f"extraEnv[0].value={ca_file}")
    first = post_renderer(stdin=rendered(helm3, CONTROLLER_CHART, "spot-system", *flags))
    assert first.returncode == 0, first.stderr
    values = tmp_path / "ocean-proxy-values.yaml"
    values.write_text(json.dumps(kept_values(first.stdout)))

    upgraded = parse(rendered(helm3, CONTROLLER_CHART, "spot-system", *flags,
                              "-f", str(values)).decode()).docs
    names = {(d["kind"], d["metadata"]["name"]) for d in upgraded}
    kept = [d for d in parse(first.text).docs  # helm keeps them, the chart's own win
            if d["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep"
            and (d["kind"], d["metadata"]["name"]) not in names]
    for container in ("ocean-kubernetes-controller", "log-shipper"):
        seen = seen_in(upgraded + kept, "spot-system", "Deployment", FULLNAME, container)
        assert corp_root.pem in trusted(seen), container
