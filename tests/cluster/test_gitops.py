"""The controller deployed by GitOps tools, against a real API server.

Argo CD renders with a config management plugin (``helm template ... --post-renderer``),
applies with ``kubectl apply`` (server-side, or client-side by default) and compares the live
objects with a fresh render on every refresh; without a plugin, a Helm source renders the
chart with the file ``ocean-proxy values`` writes, and the user applies its Secrets beside
the application (argocd_sync.py does what Argo CD does on a sync: apply, track, prune). A
render that differed from one refresh to the next would show a perpetual OutOfSync; a
change must touch exactly the objects it covers and roll the pods once; Secrets applied
beside the application must survive its prune.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from ..agent_charts import EXPORTER_CHART, exporter_beside_controller
from ..conftest import FIXTURE_CHART, Run, ocean_proxy
from .argocd_sync import ArgoApp
from .helm_users import POST_RENDERER, HelmUser, HelmUsers
from .release import PROXY_PASSWORD, PROXY_URL, ControllerRelease, generation, ok, vendor_flags
from .server import ApiServer
from .stored import Stored, leaks, pod_problems
from .test_values_route import my_values, shape

TRACKING = ("label", "annotation")


@pytest.fixture
def controller(api_server: ApiServer, cluster_namespace: str,
               cas: tuple[Path, Path]) -> ControllerRelease:
    return ControllerRelease(api_server, cluster_namespace,
                             f"oc-{cluster_namespace.split('-')[0]}", vendor_flags(cas[0]))


def render(user: HelmUser, controller: ControllerRelease, *flags: str | Path,
           args: tuple[str, ...] = (), post_render: bool = True) -> bytes:
    """``helm template`` as Argo CD's plugin runs it: stdout is what Argo CD applies."""
    extra = [*POST_RENDERER, *[x for arg in args for x in ("--post-renderer-args", arg)]] \
        if post_render else []
    return ok(user.helm("template", controller.name, FIXTURE_CHART, "--namespace",
                        controller.namespace, *flags, *extra)).stdout


def apply(api: ApiServer, manifests: bytes, *, server_side: bool = True) -> None:
    mode = ["--server-side", "--field-manager=argocd"] if server_side else []
    api.kubectl("apply", *mode, "-f", "-", stdin=manifests)


def diff(api: ApiServer, manifests: bytes) -> Run:
    """``kubectl diff --server-side``: exit 0 and nothing on stdout when nothing would change."""
    return api.kubectl("diff", "--server-side", "--field-manager=argocd", "-f", "-",
                       stdin=manifests, check=False)


def versions(stored: Stored) -> dict[str, str]:
    return {f"{kind} {name}": obj["metadata"]["resourceVersion"]
            for kind, objects in (("Deployment", stored.deployments),
                                  ("Secret", stored.secrets), ("ConfigMap", stored.configmaps))
            for name, obj in objects.items()}


def changed(before: Stored, after: Stored) -> set[str]:
    old, new = versions(before), versions(after)
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def checksums(controller: ControllerRelease) -> dict[str, str]:
    annotations = controller.template()["metadata"]["annotations"]
    return {key: annotations[key] for key in ("checksum/ca-bundle", "checksum/proxy")}


def test_a_second_render_and_a_reordered_one_show_no_difference(user, controller, cas,
                                                                 tmp_path):
    """Argo CD re-renders on every refresh: the same inputs, and the same CAs and --no-proxy
    entries in another order (documented as no restart), must diff as nothing."""
    first, second = (path.read_bytes() for path in cas)
    (tmp_path / "ab.pem").write_bytes(first + second)
    (tmp_path / "ba.pem").write_bytes(second + first)
    once = render(user, controller, *vendor_flags(tmp_path / "ab.pem"),
                  args=("--no-proxy=.a.corp.example,.b.corp.example",))
    apply(controller.api, once)
    controller.check()

    again = render(user, controller, *vendor_flags(tmp_path / "ab.pem"),
                   args=("--no-proxy=.a.corp.example,.b.corp.example",))
    reordered = render(user, controller, *vendor_flags(tmp_path / "ba.pem"),
                       args=("--no-proxy=.b.corp.example", "--no-proxy=.a.corp.example"))

    assert again == once
    for manifests in (again, reordered):
        shown = diff(controller.api, manifests)
        assert (shown.returncode, shown.text) == (0, ""), shown.text + shown.stderr


def test_a_ca_rotation_then_a_new_password_touch_only_what_they_cover(user, controller, cas):
    """Applied client-side, as an Argo CD sync does by default: each change rolls the pods
    once and changes only the objects that hold what changed; the password is nowhere in
    plain sight, kubectl's last-applied-configuration annotations included."""
    apply(controller.api, render(user, controller, *controller.flags), server_side=False)
    installed, before, sums = generation(controller), controller.check(), checksums(controller)
    name = controller.fullname

    rotated = render(user, controller, *controller.flags,
                     "--set-file", f"caBundleSecret.data={cas[1]}")
    apply(controller.api, rotated, server_side=False)
    after = controller.check()
    assert changed(before, after) == {f"Secret {name}-ca-bundle", f"Secret {name}-ocean-proxy-ca",
                                      f"Secret {name}-ocean-proxy-values", f"Deployment {name}"}
    assert generation(controller) == installed + 1
    now = checksums(controller)
    assert now["checksum/ca-bundle"] != sums["checksum/ca-bundle"]
    assert now["checksum/proxy"] == sums["checksum/proxy"]
    apply(controller.api, rotated, server_side=False)  # the next sync, nothing changed
    assert changed(after, controller.check()) == set()

    password = "N3w-Pr0xy-Pa55"
    new_url = PROXY_URL.replace(quote(PROXY_PASSWORD, safe=""), password)
    apply(controller.api, render(user, controller, *controller.flags, "--set-file",
                                 f"caBundleSecret.data={cas[1]}", "--set",
                                 f"spotinst.proxyUrl={new_url}"), server_side=False)
    last = controller.check()
    assert changed(after, last) == {f"Secret {name}-ocean-proxy",
                                    f"Secret {name}-ocean-proxy-values", f"Deployment {name}"}
    assert generation(controller) == installed + 2
    assert checksums(controller) == {"checksum/ca-bundle": now["checksum/ca-bundle"],
                                     "checksum/proxy": checksums(controller)["checksum/proxy"]}
    assert checksums(controller)["checksum/proxy"] != now["checksum/proxy"]
    assert leaks(last, [password, PROXY_PASSWORD]) == []


def values_route_render(user: HelmUser, controller: ControllerRelease, mine: Path,
                        workdir: Path) -> tuple[bytes, list[str]]:
    """The values route as the README gives it, with Argo CD's Helm source (no plugin) in
    place of 'helm upgrade': write the values and the Secrets, kubectl apply the Secrets;
    return what the Helm source renders with both values files, and those Secrets."""
    plain = render(user, controller, "-f", mine, post_render=False)
    secrets, values = workdir / "ocean-proxy-secrets.yaml", workdir / "ocean-proxy-values.yaml"
    values.write_bytes(ok(ocean_proxy("values", "--values", mine, "--secrets", secrets,
                                      stdin=plain)).stdout)
    # the values file goes to git, or into a HelmRelease's spec, in plain sight
    shown = values.read_text()
    assert PROXY_PASSWORD not in shown and quote(PROXY_PASSWORD, safe="") not in shown
    controller.api.kubectl("apply", "--namespace", controller.namespace, "-f", str(secrets))
    written = [f"Secret/{doc['metadata']['name']}"
               for doc in yaml.safe_load_all(secrets.read_text()) if doc]
    assert written, "the values route wrote no Secret"
    return render(user, controller, "-f", mine, "-f", values, post_render=False), written


@pytest.mark.parametrize("tracking", TRACKING)
def test_the_values_route_secrets_survive_an_argo_cd_prune(helm_users: HelmUsers, controller,
                                                           cas, tmp_path, tracking):
    """Label tracking takes every object labelled app.kubernetes.io/instance=<app> for the
    application's own: Secrets applied beside it were pruned, and the pods could not start."""
    user = helm_users.get("helm3")
    app = ArgoApp(controller.api, controller.name, controller.namespace, tracking)
    manifests, written = values_route_render(user, controller, my_values(cas[0], tmp_path),
                                             tmp_path)

    pruned = app.sync(manifests)

    assert set(pruned) & set(written) == set()
    controller.check()
    assert app.extraneous(manifests) == []  # the application is Synced, not OutOfSync


@pytest.mark.parametrize("tracking", TRACKING)
def test_moving_from_the_plugin_to_a_helm_source_under_argo_cd_keeps_the_pods(
        helm_users: HelmUsers, controller, cas, tmp_path, tracking):
    """The plugin's render holds the Secrets, so Argo CD tracks them; once the application
    moves to a Helm source with ocean-proxy's values, they are no longer rendered."""
    user = helm_users.get("helm4")
    app = ArgoApp(controller.api, controller.name, controller.namespace, tracking)
    mine = my_values(cas[0], tmp_path)
    assert app.sync(render(user, controller, "-f", mine)) == []
    before = controller.check().deployments[controller.fullname]["spec"]["template"]

    manifests, written = values_route_render(user, controller, mine, tmp_path)

    pruned = app.sync(manifests)

    assert set(pruned) & set(written) == set()
    controller.check()
    assert shape(controller.template()) == shape(before)


@pytest.mark.parametrize("tracking", TRACKING)
def test_argo_cd_pruning_what_the_plugin_no_longer_renders_breaks_no_pod(
        helm_users: HelmUsers, controller, cas, tracking):
    """Under helm, the kept Secrets outlive the revision that stops rendering them; an Argo CD
    sync must leave them too, and every pod template must still find what it reads."""
    user = helm_users.get("helm4")
    app = ArgoApp(controller.api, controller.name, controller.namespace, tracking)
    ca = ["--set", "caBundleSecret.create=true", "--set-file", f"caBundleSecret.data={cas[0]}"]
    account = ["--set", "spotinst.account=act-123", "--set", "spotinst.clusterIdentifier=c-1",
               "--set", "spotinst.token=TOKEN", "--set", "metrics-server.apiService.create=false"]
    steps = {"proxy and CA": [*ca, "--set", f"spotinst.proxyUrl={PROXY_URL}"],
             "proxy alone": ["--set", f"spotinst.proxyUrl={PROXY_URL}"],
             "CA alone": ca, "neither": []}
    every = []
    for step, flags in steps.items():
        pruned = app.sync(render(user, controller, *account, *flags))
        problems = pod_problems(controller.stored())
        assert problems == [], f"{step}, after pruning {pruned}: {problems}"
        every += pruned
    kept = {f"Secret/{controller.fullname}{suffix}"
            for suffix in ("-ocean-proxy", "-ocean-proxy-ca", "-ocean-proxy-values")}
    assert kept & set(every) == set()  # as helm keeps them
    assert app.extraneous(render(user, controller, *account)) == []  # and no OutOfSync


def test_the_controllers_application_leaving_the_plugin_leaves_the_exporter_able_to_start(
        helm_users: HelmUsers, controller, cas):
    """A post-rendered metric exporter of another application reads its proxy from Secret
    <fullname>-ocean-proxy: Argo CD pruned it once the controller's application stopped
    rendering it, and the exporter's pod could not start."""
    user = helm_users.get("helm4")
    apps = {name: ArgoApp(controller.api, name, controller.namespace)
            for name in (controller.name, f"{controller.name}-exporter")}
    apps[controller.name].sync(render(user, controller, *controller.flags))
    exporter = ok(user.helm("template", f"{controller.name}-exporter", EXPORTER_CHART,
                            "--namespace", controller.namespace,
                            *exporter_beside_controller(controller.fullname),
                            *POST_RENDERER)).stdout
    apps[f"{controller.name}-exporter"].sync(exporter)
    controller.check()

    pruned = apps[controller.name].sync(render(user, controller, *controller.flags,
                                               post_render=False))

    assert pod_problems(controller.stored()) == [], pruned
