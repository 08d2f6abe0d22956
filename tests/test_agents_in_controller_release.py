"""The Spot agents the controller chart renders in its own release, through the real helm 3
and 4 with ``--post-renderer`` and the vendor's command.

With ``ocean-metric-exporter.deployChart=true`` and ``ocean-network-client.deployChart=true``
(the vendor's chart, 0.1.2x to 0.1.3x) one release holds the controller, the metric exporter
(reading PROXY_URL from the controller's ConfigMap and USER_ENV_CERTIFICATES from its CA
Secret) and the network client (the controller's Secret and ConfigMap, no proxy or CA values
at all), all in the release namespace. One post-render: every container of every agent gets
the proxy of the vendor's command and its CA, as the kubelet would give them; no password in
plain sight or in a message; a second post-render changes nothing.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from . import test_render_helm
from .agent_charts import (
    CONTROLLER_CHART,
    CONTROLLER_FULLNAME,
    CONTROLLER_RELEASE,
    POST_RENDERER,
    SPOT_FLAGS,
    helm_template,
    plain_texts,
    post_renderer_args,
    rendered,
    view,
    workload,
)
from .chart_render import parse
from .conftest import clean_env, post_renderer
from .test_spot_agents import PASSWORD, PROXY, assert_behind_the_proxy, assert_rolls_on_changes

helm_user = test_render_helm.helm_user  # helm 3 with the script on PATH, helm 4 with the plugin

EXPORTER_VALUE = "ocean-metric-exporter.deployChart"
CLIENT_VALUE = "ocean-network-client.deployChart"
# what the chart renders for each value: named after the release, in the release namespace
IN_RELEASE = {
    EXPORTER_VALUE: [("Deployment", f"{CONTROLLER_RELEASE}-ocean-metric-exporter",
                      "spot-ocean-metric-exporter")],
    CLIENT_VALUE: [("DaemonSet", f"{CONTROLLER_RELEASE}-ocean-network-client",
                    "spotinst-ocean-network-client")],
}
CONTROLLER_CONTAINERS = [("Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller"),
                         ("Deployment", CONTROLLER_FULLNAME, "log-shipper")]
VALUES = {"exporter": (EXPORTER_VALUE,), "network client": (CLIENT_VALUE,),
          "both": (EXPORTER_VALUE, CLIENT_VALUE)}


def vendor_command(ca_file=None) -> tuple[str, ...]:
    """The vendor's documented flags: a proxy URL with a password, the CA pasted in."""
    ca = ("--set", "caBundleSecret.create=true",
          "--set-file", f"caBundleSecret.data={ca_file}") if ca_file else ()
    return (*SPOT_FLAGS, "--set", f"spotinst.proxyUrl={PROXY}", *ca)


def deploy(*values: str) -> tuple[str, ...]:
    return tuple(part for value in values for part in ("--set", f"{value}=true"))


def template(user, *flags: str):
    return helm_template(user.binary, user.env, CONTROLLER_RELEASE, CONTROLLER_CHART, *flags)


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_every_agent_the_chart_renders_gets_the_proxy_and_ca_of_the_vendor_command(
        helm_user, ca_file, corp_root, values):
    run = template(helm_user, *vendor_command(ca_file), *deploy(*values), *POST_RENDERER)

    docs = rendered(run).docs
    assert "passed through unchanged" not in run.stderr
    agents = [agent for value in values for agent in IN_RELEASE[value]]
    for kind, name, container in [*agents, *CONTROLLER_CONTAINERS]:
        seen = view(docs, kind, name, container)  # only its own namespace's objects count
        assert_behind_the_proxy(seen, PROXY)
        assert any(corp_root.pem in content for mount in seen.secret_mounts
                   for content in mount.files.values()), container
        assert seen.empty_directories == [], container
    for kind, name, _ in agents:
        assert_rolls_on_changes(workload(docs, kind, name))
    if EXPORTER_VALUE in values:  # a JVM: its own variable, with the credentials
        exporter = view(docs, *IN_RELEASE[EXPORTER_VALUE][0])
        assert exporter.env["PROXY_URL"] == PROXY
        assert corp_root.pem.decode() in exporter.env["USER_ENV_CERTIFICATES"]
    assert PASSWORD not in plain_texts(docs) and PASSWORD not in run.stderr
    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout
    assert PASSWORD not in again.stderr


def password_holders(docs: list[dict]) -> list[tuple[str, str]]:
    """(namespace, name) of each Secret whose data, base64-decoded, holds the password."""
    return [(d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs
            if d["kind"] == "Secret" and any(PASSWORD.encode() in base64.b64decode(value)
                                             for value in (d.get("data") or {}).values())]


def secrets_read(document: dict) -> set[str]:
    """The Secrets a pod template reads: env entries and volumes."""
    spec = document["spec"]["template"]["spec"]
    read = {v["secret"]["secretName"] for v in spec.get("volumes") or [] if "secret" in v}
    for container in spec["containers"]:
        read |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env") or []
                 if "secretKeyRef" in (e.get("valueFrom") or {})}
    return read


ROUTES = {"vendor command": lambda ca_file: vendor_command(ca_file),
          "post-renderer flags": lambda ca_file: (*SPOT_FLAGS, *post_renderer_args(
              f"--proxy-url={PROXY}", f"--ca-file={ca_file}"))}


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_the_agents_the_chart_renders_read_the_controllers_secrets_and_one_holds_the_password(
        helm_user, ca_file, route):
    """The password in one Secret of the release namespace, not one more per agent: the
    exporter and the network client read the proxy Secret and the CA Secret the controller's
    pod reads, and no Secret of their own."""
    run = template(helm_user, *route(ca_file), *deploy(EXPORTER_VALUE, CLIENT_VALUE),
                   *POST_RENDERER)

    docs = rendered(run).docs
    [(_, holder)] = password_holders(docs)
    controller = secrets_read(workload(docs, "Deployment", CONTROLLER_FULLNAME))
    assert holder in controller
    for kind, name, _ in (*IN_RELEASE[EXPORTER_VALUE], *IN_RELEASE[CLIENT_VALUE]):
        agent = secrets_read(workload(docs, kind, name))
        assert holder in agent, (name, agent)
        assert agent <= controller, (name, agent - controller)
        assert not [d for d in docs if d["kind"] == "Secret"
                    and d["metadata"]["name"].startswith(f"{name}-")], name


def test_a_new_password_or_ca_changes_the_checksums_of_every_agent_that_reads_them(
        helm3, ca_file, tmp_path):
    """The agents read the controller's Secrets: a new password or CA there must still roll
    each of them, and the same settings again roll none."""
    from . import certs

    other_ca = tmp_path / "other.pem"
    other_ca.write_bytes(certs.root("Corp Root 2027").pem)
    settings = {"first": vendor_command(ca_file), "again": vendor_command(ca_file),
                "password": (*vendor_command(ca_file), "--set",
                             f"spotinst.proxyUrl={PROXY.replace(PASSWORD, 'n3w-Pw')}"),
                "CA": vendor_command(other_ca)}
    agents = (*IN_RELEASE[EXPORTER_VALUE], *IN_RELEASE[CLIENT_VALUE])
    seen = {}
    for change, flags in settings.items():
        run = post_renderer(stdin=template_for(helm3, *flags,
                                               *deploy(EXPORTER_VALUE, CLIENT_VALUE)))
        assert run.returncode == 0, run.stderr
        docs = parse(run.text).docs
        seen[change] = {name: workload(docs, kind, name)["spec"]["template"]["metadata"][
            "annotations"] for kind, name, _ in agents}

    for name in seen["first"]:
        first = seen["first"][name]
        assert seen["again"][name] == first, name
        for change, key in (("password", "checksum/proxy"), ("CA", "checksum/ca-bundle")):
            assert seen[change][name][key] != first[key], (name, change)
            others = {k: v for k, v in seen[change][name].items() if k != key}
            assert others == {k: v for k, v in first.items() if k != key}, (name, change)


def test_the_release_without_a_ca_is_told_so_once_for_all_its_agents(helm3):
    """No CA in the vendor's command: one notice for the release, not one per agent."""
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *vendor_command(), *deploy(EXPORTER_VALUE, CLIENT_VALUE))
    assert chart.returncode == 0, chart.stderr

    run = post_renderer(stdin=chart.stdout)

    assert run.returncode == 0, run.stderr
    assert run.stderr.count("no CA bundle configured") == 1, run.stderr
    assert "passed through unchanged" not in run.stderr
    docs = parse(run.text).docs
    for kind, name, container in (*IN_RELEASE[EXPORTER_VALUE], *IN_RELEASE[CLIENT_VALUE]):
        assert_behind_the_proxy(view(docs, kind, name, container), PROXY)
    assert PASSWORD not in plain_texts(docs) and PASSWORD not in run.stderr


def test_with_nothing_configured_the_release_is_told_of_the_charts_proxy_value(helm3):
    """No proxy and no CA anywhere: the network client the controller chart renders follows
    the controller's values, so the notice names spotinst.proxyUrl for it too, not flags
    alone as for a network client of its own release."""
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *SPOT_FLAGS, *deploy(CLIENT_VALUE))
    assert chart.returncode == 0, chart.stderr

    run = post_renderer(stdin=chart.stdout)

    assert run.returncode == 0 and run.stdout == chart.stdout, run.stderr
    (kind, name, _), = IN_RELEASE[CLIENT_VALUE]
    [notice] = [line for line in run.stderr.splitlines() if f"{kind}/{name}" in line]
    assert "no proxy URL and no CA bundle configured" in notice, run.stderr
    assert "its chart has no proxy or CA values" not in run.stderr
    assert "set spotinst.proxyUrl" in run.stderr


def test_with_nothing_configured_every_secret_an_earlier_render_kept_is_named(helm3, ca_file):
    """The proxy dropped from the vendor's command: helm keeps the Secrets an earlier render
    added (the controller's, which its agents read too); the render, which cannot know of
    them, names every one in the 'kubectl delete secret' it gives."""
    with_proxy = template_for(helm3, *vendor_command(ca_file),
                              *deploy(EXPORTER_VALUE, CLIENT_VALUE))
    earlier = post_renderer(stdin=with_proxy)
    assert earlier.returncode == 0, earlier.stderr
    kept = {d["metadata"]["name"] for d in parse(earlier.text).docs if d["kind"] == "Secret"
            and (d["metadata"].get("annotations") or {}).get("helm.sh/resource-policy") == "keep"}
    assert len(kept) == 3, kept  # the controller's proxy, CA and values: none an agent's

    nothing = template_for(helm3, *SPOT_FLAGS, *deploy(EXPORTER_VALUE, CLIENT_VALUE))
    run = post_renderer(stdin=nothing)

    assert run.returncode == 0 and run.stdout == nothing, run.stderr
    [delete] = [line for line in run.stderr.splitlines() if "kubectl delete secret" in line]
    assert kept <= set(delete.split("'")[1].split()), (kept, delete)


def template_for(helm3, *flags: str) -> bytes:
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART, *flags)
    assert chart.returncode == 0, chart.stderr
    return chart.stdout


def test_the_chart_renders_no_agent_beside_the_controller_by_default(helm3, ca_file):
    """Both values default to false: the release is the controller's alone, as before."""
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *vendor_command(ca_file))
    assert chart.returncode == 0, chart.stderr
    names = {d["metadata"]["name"] for d in parse(chart.text).docs}
    assert not [n for n in names if "metric-exporter" in n or "network-client" in n], names


def said_of(stderr: str, name: str, what: str = "warning") -> list[str]:
    """The headlines of ``what`` (warning, notice) that name ``name`` as an agent the chart
    renders too."""
    return [line for line in stderr.splitlines()
            if f"/{name}, which the chart renders too," in line
            and ("warning" in line) == (what == "warning")]


@pytest.mark.parametrize("auto_update", ["on", "off"])
def test_the_render_says_the_agents_it_renders_keep_their_proxy_at_the_charts_auto_update(
        helm3, ca_file, auto_update):
    """The auto-update Job's 'helm upgrade' renders the agents from the chart's values alone,
    which give them nothing of ocean-proxy's; the Job's post-renderer gives them their edit
    again, so the render warns of nothing lost, and says they keep it.
    tests/cluster/test_agents_in_release.py runs that Job for real."""
    off = ("--set", "spotinst.disableAutoUpdate=true") if auto_update == "off" else ()
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *vendor_command(ca_file), *deploy(EXPORTER_VALUE, CLIENT_VALUE), *off)
    assert chart.returncode == 0, chart.stderr

    run = post_renderer(stdin=chart.stdout)

    assert run.returncode == 0, run.stderr
    (_, exporter, _), = IN_RELEASE[EXPORTER_VALUE]
    (_, client, _), = IN_RELEASE[CLIENT_VALUE]
    assert said_of(run.stderr, exporter) == said_of(run.stderr, client) == []
    kept = [said_of(run.stderr, name, "notice") for name in (exporter, client)]
    if auto_update == "off":
        assert kept == [[], []]
        return
    assert all(len(lines) == 1 and "keeps its proxy and CA at every auto-update" in lines[0]
               for lines in kept), kept
    assert PASSWORD not in run.stderr


def env_sources(document: dict, container: str) -> dict[str, tuple]:
    """Each env entry of ``container`` by name: where it reads its value from."""
    [found] = [c for c in document["spec"]["template"]["spec"]["containers"]
               if c["name"] == container]
    sources = {}
    for entry in found.get("env") or []:
        ref = (entry.get("valueFrom") or {})
        for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            if key in ref:
                sources[entry["name"]] = (kind, ref[key]["name"], ref[key]["key"])
    return sources


def test_the_stand_in_renders_the_agents_as_the_vendors_chart_does(helm_user):
    """The shape the tests above rely on, on helm 3 and 4, without ocean-proxy: both agents
    in the release namespace, reading the controller's objects; the exporter follows the
    controller's CA values (the vendor's second command: an existing Secret and key)."""
    run = template(helm_user, *SPOT_FLAGS, *deploy(EXPORTER_VALUE, CLIENT_VALUE),
                   "--set", "caBundleSecret.name=my-ca", "--set", "caBundleSecret.key=b.pem")

    docs = rendered(run).docs
    (kind, name, container), = IN_RELEASE[EXPORTER_VALUE]
    exporter = workload(docs, kind, name)
    assert exporter["metadata"]["namespace"] == "spot-system"
    assert exporter["spec"]["template"]["metadata"]["labels"][
        "app.kubernetes.io/name"] == "ocean-metric-exporter"
    assert env_sources(exporter, container) == {
        "SPOTINST_TOKEN": ("Secret", CONTROLLER_FULLNAME, "token"),
        "SPOTINST_ACCOUNT": ("Secret", CONTROLLER_FULLNAME, "account"),
        "CLUSTER_IDENTIFIER": ("ConfigMap", CONTROLLER_FULLNAME, "spotinst.cluster-identifier"),
        "BASE_SPOTINST_URL": ("ConfigMap", CONTROLLER_FULLNAME, "http-base-url"),
        "PROXY_URL": ("ConfigMap", CONTROLLER_FULLNAME, "proxy-url"),
        "USER_ENV_CERTIFICATES": ("Secret", "my-ca", "b.pem")}
    (kind, name, container), = IN_RELEASE[CLIENT_VALUE]
    client = workload(docs, kind, name)
    assert client["metadata"]["namespace"] == "spot-system"
    assert client["spec"]["template"]["spec"]["hostNetwork"] is True
    assert client["spec"]["template"]["spec"]["containers"][0]["image"].startswith(
        "public.ecr.aws/spotinst/spot-network-client:")
    assert env_sources(client, container) == {
        "SPOTINST_TOKEN": ("Secret", CONTROLLER_FULLNAME, "token"),
        "SPOTINST_ACCOUNT": ("Secret", CONTROLLER_FULLNAME, "account"),
        "CLUSTER_IDENTIFIER": ("ConfigMap", CONTROLLER_FULLNAME, "spotinst.cluster-identifier")}
    assert not [n for e in client["spec"]["template"]["spec"]["containers"][0]["env"]
                for n in [e["name"]] if "PROXY" in n or "CERT" in n]


def test_what_is_said_of_the_ca_bundle_is_said_once_for_the_agents_that_share_it(
        helm3, corp_root, tmp_path):
    """A bundle pasted whole (many public roots, one of them expired) into the vendor's
    command: the network client the chart renders takes the controller's CAs, and what is
    said of that bundle is said once, with the count the Secret holds, not again by each
    agent of the release with the count left after the expired one."""
    from . import certs

    others = [certs.root(f"Public Root {n}").pem for n in range(60)]
    expired = certs.root("Expired Public Root", not_before=certs.NOW - 30 * certs.DAY,
                         not_after=certs.NOW - certs.DAY).pem
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join([corp_root.pem, expired, *others]))
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *vendor_command(bundle), *deploy(EXPORTER_VALUE, CLIENT_VALUE))
    assert chart.returncode == 0, chart.stderr

    run = post_renderer(stdin=chart.stdout)

    assert run.returncode == 0, run.stderr
    headlines = [line for line in run.stderr.splitlines() if line.startswith("ocean-proxy:")]
    about_the_bundle = [line for line in headlines if "userEnvCertificates.pem" in line
                        and "warning" in line]
    assert len(about_the_bundle) == len(set(about_the_bundle)), run.stderr
    holds = [line for line in about_the_bundle if " holds " in line]
    assert len(holds) == 1 and " holds 62 certificates" in holds[0], run.stderr
    assert len([line for line in about_the_bundle if "Expired Public Root" in line]) == 1
    docs = parse(run.text).docs
    (kind, name, container), = IN_RELEASE[CLIENT_VALUE]
    seen = view(docs, kind, name, container)
    assert any(corp_root.pem in content for mount in seen.secret_mounts
               for content in mount.files.values())


def test_a_ca_file_for_the_whole_release_is_judged_and_spoken_of_once(
        helm_user, corp_root, tmp_path):
    """--ca-file with a root soon to expire and an expired one, for a release whose chart
    renders both agents (helm 3 and 4 'helm template'): each verdict is one line, for the
    controller's bundle, which every agent reads."""
    from . import certs

    now = certs.NOW
    soon = certs.root("Soon Expiring Root", not_after=now + 10 * certs.DAY).pem
    expired = certs.root("Expired Public Root", not_before=now - 30 * certs.DAY,
                         not_after=now - certs.DAY).pem
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(corp_root.pem + soon + expired)
    chart = template(helm_user, *SPOT_FLAGS, "--set", f"spotinst.proxyUrl={PROXY}",
                     *deploy(EXPORTER_VALUE, CLIENT_VALUE))
    assert chart.returncode == 0, chart.stderr

    run = post_renderer(f"--ca-file={bundle}", stdin=chart.stdout)

    assert run.returncode == 0, run.stderr
    for subject in ("Soon Expiring Root", "Expired Public Root"):
        said = [line for line in run.stderr.splitlines() if subject in line]
        assert len(said) == 1, (subject, run.stderr)
    docs = parse(run.text).docs
    for kind, name, container in (*IN_RELEASE[EXPORTER_VALUE], *IN_RELEASE[CLIENT_VALUE]):
        seen = view(docs, kind, name, container)
        assert any(corp_root.pem in content for mount in seen.secret_mounts
                   for content in mount.files.values()), name


# what reads an agent's edit off its plan, for the auto-update Job's post-renderer to make again
AGENTS_EDIT = {"post_renderer.render.kept_at_auto_update", "post_renderer.render.overlay.agents"}


@pytest.mark.parametrize("values", [(), (EXPORTER_VALUE,)], ids=["controller alone", "exporter"])
def test_only_a_release_with_an_agent_beside_the_controller_loads_what_reads_its_edit(
        helm3, ca_file, values):
    """The default release renders no agent beside the controller: its warm render imports
    no more than it did before agents kept their edit at auto-update."""
    chart = helm_template(helm3, clean_env(), CONTROLLER_RELEASE, CONTROLLER_CHART,
                          *vendor_command(ca_file), *deploy(*values))
    assert chart.returncode == 0, chart.stderr
    script = Path(sys.executable).parent / "ocean-proxy-post-renderer"

    done = subprocess.run([sys.executable, "-X", "importtime", str(script)], input=chart.stdout,
                          capture_output=True, env=clean_env(), check=True)

    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.decode().splitlines()
                if line.startswith("import time:") and "|" in line}
    assert imported & AGENTS_EDIT == (AGENTS_EDIT if values else set())


def test_without_auto_update_the_secrets_helm_keeps_are_named_once_and_only_those_made(helm3):
    """The agents read the controller's Secrets: the one paragraph that names what helm
    keeps is the controller's, never an agent's naming Secrets no render made."""
    chart = template_for(helm3, *vendor_command(), "--set", "spotinst.disableAutoUpdate=true",
                         *deploy(EXPORTER_VALUE, CLIENT_VALUE))

    run = post_renderer(stdin=chart)

    assert run.returncode == 0, run.stderr
    kept = [line for line in run.stderr.splitlines() if "helm keeps" in line]
    assert kept == [f"ocean-proxy: helm keeps Secret '{CONTROLLER_FULLNAME}-ocean-proxy' "
                    "across upgrades; once ocean-proxy is removed:"], run.stderr
    [delete] = [line for line in run.stderr.splitlines() if "kubectl delete secret" in line]
    assert "exporter" not in delete and "network-client" not in delete, delete
