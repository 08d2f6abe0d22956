"""``ocean-proxy values``: the injection as a chart values file, for installs that cannot run
a post-renderer (Argo CD without a plugin, Spot's console installer; Terraform's helm
provider can: examples/terraform).

    helm template ocean-controller spot/ocean-kubernetes-controller -n spot-system \\
        -f my-values.yaml \\
      | ocean-proxy values --values my-values.yaml --secrets ocean-proxy-secrets.yaml \\
      > ocean-proxy-values.yaml
    kubectl apply -n spot-system -f ocean-proxy-secrets.yaml
    helm upgrade --install ocean-controller spot/ocean-kubernetes-controller \\
      -f my-values.yaml -f ocean-proxy-values.yaml

The values are the overlay the post-renderer hands the auto-update Job (see
``render.overlay``), with the list entries of the ``--values`` files kept, since helm replaces
a list given again. The Secrets they refer to (the proxy URL with its credentials, the CA
files) are written apart, to be applied outside the release; the values hold no secret.
They carry helm's ownership metadata for the release (its name from the
``app.kubernetes.io/instance`` label, its namespace from the manifests, or
``--release``/``--namespace``) and
``helm.sh/resource-policy: keep``: a later upgrade through the post-renderer, whose manifest
has them, adopts them, and one back to the values route leaves them in place; and Argo CD's
``Prune=false`` (an Argo CD sync does not prune them) and ``IgnoreExtraneous`` (live and not
rendered, they do not make the application OutOfSync).
"""

import io
import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from post_renderer.commands import Outcome
from post_renderer.commands.output_not_input import refuse_a_file_this_run_reads
from post_renderer.commands.values_owner import Owner, release_of
from post_renderer.errors import (
    AutoUpdateError,
    OverlayError,
    TargetError,
    UsageError,
    shown,
)
from post_renderer.render.release.settings import UserSettings, config_file, tell_no_one

if TYPE_CHECKING:
    from post_renderer.render.lints import Lint
    from post_renderer.render.plan.injection import Injection
    from post_renderer.render.release.release import Release

class ValuesResult(NamedTuple):
    values: str  # the values file
    secrets: str  # the Secret manifests, several YAML documents
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    namespace: str = ""  # the Secrets', where the release is installed
    lints: tuple["Lint", ...] = ()  # what the values cannot make right: errors with --strict


def _check_values_can_carry_it(release: "Release") -> None:
    """The manifests must be the controller chart's, of a version whose values can carry the
    injection. Manifests rendered with an earlier values file of ocean-proxy's read the proxy
    from our Secret, which helm does not render: read again, they would hold no proxy, and the
    values written from them would silently drop it."""
    from post_renderer.render.overlay.values import CHART_NAME, other_chart, why_not
    from post_renderer.render.plan.shared_proxy import unrendered_own_proxy

    if not release.workloads:
        raise TargetError(
            "no Ocean controller in the manifests (no Deployment of chart "
            "ocean-kubernetes-controller)",
            hint="pipe 'helm template' of the ocean-kubernetes-controller chart into it")
    other = other_chart(release)
    if other is not None:
        raise TargetError(
            f"the manifests are {other}, not chart {CHART_NAME}: 'ocean-proxy values' "
            "writes the controller chart's values only",
            hint="post-render that release instead (--post-renderer "
                 "ocean-proxy-post-renderer): its chart has no values for the proxy and the CA")
    reason = why_not(release)
    if reason is not None:
        raise OverlayError(f"cannot write the injection as chart values: {reason}",
                           hint="use the post-renderer, or upgrade the chart to 0.1.53 or "
                                "later")
    ours = unrendered_own_proxy(release)
    if ours is not None:
        raise OverlayError(
            f"the manifests were rendered with ocean-proxy's chart values already (the "
            f"proxy variables read Secret '{ours}', which they do not hold)",
            hint="render the chart with your own values only, without the previous "
                 "ocean-proxy values file, and run 'ocean-proxy values' on that")


def values_overlay(data: bytes, user: UserSettings, user_values: list[Any],
                   owner: Owner | None = None, hide: Callable[..., None] = tell_no_one
                   ) -> ValuesResult:
    """Rendered manifests and settings in; the values file and its Secrets out. ``hide`` as
    for ``post_render``."""
    from post_renderer.commands.values_agents import (
        agents_left_out,
        refuse_an_agent_left_without_proxy,
        refuse_another_agent,
        the_controllers,
    )
    from post_renderer.render.lints import find_lints
    from post_renderer.render.overlay.values import merge_user_values
    from post_renderer.render.plan.filter_order import pod_wants
    from post_renderer.render.plan.injection import resolve_injection
    from post_renderer.render.plan.overlay_input import overlay_for
    from post_renderer.render.release.chart_settings import read_chart_settings
    from post_renderer.render.release.release import find_release
    from post_renderer.render.stream.split import split_documents

    stream = find_release(data, split_documents(data), user.workloads)
    release = the_controllers(stream)
    _check_values_can_carry_it(release)
    refuse_another_agent(release)
    chart = read_chart_settings(release, hide)
    injection = resolve_injection(user, chart._replace(auto_update_jobs=()), release)
    if injection.empty:
        raise OverlayError("no proxy URL and no CA bundle configured: there are no values "
                           "to write", hint="pass --proxy-url and/or --ca-file")
    # an exporter of the release reads the ConfigMap's proxy URL, which the values blank: a
    # loss only where the chart rendered one there (not with the proxy from --proxy-url alone)
    if injection.proxy is not None and chart.proxy_ref is not None and chart.proxy_url:
        refuse_an_agent_left_without_proxy(stream, release, chart.proxy_ref)
    if chart.auto_update_jobs and user.auto_update.value == "refuse":
        lacks = _job_lacks(injection)  # what the Job needs, known once the settings are read
        raise AutoUpdateError(
            f"the release's auto-update Job is on, and chart values give it no {lacks} "
            f"(auto-update policy 'refuse' from {user.auto_update.source})",
            hint="add --set spotinst.disableAutoUpdate=true, or use the post-renderer, which "
                 f"gives the Job the {lacks}")
    overlay = overlay_for(injection, release)
    values = overlay.values
    for given in user_values:
        values = merge_user_values(values, given)
    workload = release.workloads[0]
    name, namespace = release_of(workload, owner or Owner())
    secrets = _owned_secrets(overlay.secrets, injection, workload, name, namespace)
    notices = [*injection.notices]
    if secrets:
        notices.append(f"the Secrets belong to release '{name}' in namespace '{namespace}' "
                       "(helm adopts them when it is post-rendered later); apply them to that "
                       "namespace before 'helm upgrade'")
    if "spotinst" in values:
        notices.append("give helm your own settings as values files before this one "
                       "(-f my-values.yaml -f ocean-proxy-values.yaml): a --set "
                       "spotinst.proxyUrl=... on its command line beats every values file, "
                       "and the chart would then render NO_PROXY twice")
    if chart.auto_update_jobs:
        notices.append(_auto_update_notice(injection))
    return ValuesResult(_dump([values], "ocean-proxy's chart values (no secret in them)"),
                        _dump(secrets, "apply with kubectl, outside the release"),
                        tuple(notices), (*injection.warnings, *agents_left_out(
                            stream, release, exporter_too=injection.proxy is not None)),
                        namespace, tuple(find_lints(release, chart, injection,
                                                    pod_wants(injection))))


def _owned_secrets(overlay_secrets: dict[str, dict[str, str]], injection: "Injection",
                   workload: Any, name: str, namespace: str) -> list[Any]:
    """The Secrets the values read, owned by the release ``name`` in ``namespace``: the
    overlay's, and the full proxy URL for a metric exporter of another release."""
    from post_renderer.render.overlay.values import b64
    from post_renderer.render.plan.owned_secrets import new_secret, owned_by_release
    from post_renderer.render.release.chart_settings import PROXY_KEY

    wanted = dict(overlay_secrets)
    shared = injection.shared_proxy_secret
    if shared is not None and shared not in wanted:
        # the full URL (none with a CA alone), for a metric exporter of another release
        wanted[shared] = {PROXY_KEY: b64(injection.proxy.value.full if injection.proxy else "")}
    return [owned_by_release(new_secret(secret, data, workload, keep=True), name, namespace)
            for secret, data in wanted.items()]


def _job_lacks(injection: "Injection") -> str:
    """What the Job lacks: chart values reach the pods, never the Job's own container. With a
    CA alone (a transparent proxy) it reaches charts.spot.io, and fails there on the CA."""
    return "proxy" if injection.proxy is not None else "CA"


def _auto_update_notice(injection: "Injection") -> str:
    lacks = _job_lacks(injection)
    return (f"the chart's auto-update Job has no {lacks} of its own: after an upgrade with "
            "these values, automatic upgrades stop at 'helm repo add' and change nothing; "
            f"the post-renderer gives the Job the {lacks}")


def _check_secrets_file_is_new_to_this_run(args: Any, user: UserSettings,
                                           environ: Mapping[str, str]) -> None:
    """--secrets must not name a file this run reads (it would be replaced by the Secrets),
    nor the one standard input comes from or standard output or standard error goes to."""
    if not args.secrets:
        raise UsageError("--secrets is given but empty",
                         hint="name the file for the Secrets (is the variable it comes from "
                              "set?)")
    if args.secrets == "-":  # not a file named '-' holding the token and the password
        raise UsageError("--secrets - would be standard output, which carries the values",
                         hint="name a file for the Secrets, then 'kubectl apply -f' it")
    given = [("--release", args.release), ("--namespace", args.namespace),
             *(("--values", path) for path in args.values)]
    for flag, value in given:
        if value is not None and not value.strip():  # not the manifests' release, silently
            raise UsageError(f"{flag} is given but empty",
                             hint="give it a value (is the variable it comes from set?), or "
                                  "leave the flag out")
    read = [("--values", path) for path in args.values] + [("--filename", args.filename),
                                                           ("the config file",
                                                            config_file(args, environ))]
    if user.ca_files:
        read += [(f"a CA file from {user.ca_files.source}", path)
                 for path, _ in user.ca_files.value]
    refuse_a_file_this_run_reads(args.secrets, "--secrets", "the Secrets", read)
    for fd, stream, ends_up in _STANDARD_STREAMS:
        if _same_file(args.secrets, fd):
            raise UsageError(f"--secrets names the file {stream}: {ends_up}",
                             hint="name another file for the Secrets")


_STANDARD_STREAMS = (
    (0, "standard input comes from", "writing the Secrets there would replace the manifests "
     "read from it"),
    (1, "standard output goes to", "the values and the Secrets would end up in one file"),
    (2, "standard error goes to", "the Secrets would end up among the messages"),
)


def _same_file(path: str, fd: int) -> bool:
    """Whether ``path`` is the file open as ``fd`` (/dev/null aside: what goes there is gone)."""
    try:
        found = os.stat(path)
        return os.path.samestat(found, os.fstat(fd)) and \
            not os.path.samestat(found, os.stat(os.devnull))
    except (OSError, ValueError):
        return False


def run(args: Any, said: Outcome) -> Outcome:
    from post_renderer.commands.render import read_manifests, say_lints
    from post_renderer.commands.values_files import read_user_values
    from post_renderer.render.release.settings import read_settings

    user = read_settings(args, os.environ, said.warning, said.hide)
    _check_secrets_file_is_new_to_this_run(args, user, os.environ)
    manifests = read_manifests(args.filename, post_renders=False)
    result = values_overlay(manifests, user, read_user_values(args.values, said.hide),
                            Owner(args.release, args.namespace), said.hide)
    if not (user.strict and result.lints):  # a refused run did none of what they tell
        for notice in result.notices:
            said.notice(notice)
        for warning in result.warnings:
            said.warning(warning)
    say_lints(result.lints, strict=user.strict_source if user.strict else None, said=said,
              post_renderer=False)
    helm_namespace = os.environ.get("HELM_NAMESPACE", "")
    if args.namespace is None and helm_namespace != result.namespace and \
            _helm_kept_a_namespace_flag(os.environ):
        said.warning(f"the Secrets are for namespace '{result.namespace}', where the manifests "
                     f"were rendered, not helm's {shown(helm_namespace)}: helm keeps "
                     "--namespace for itself; for that namespace, render with 'helm template "
                     f"--namespace {shown(helm_namespace, quoted=False)}'")
    # the Secrets hold the proxy password: readable by their owner only
    said.side_file(args.secrets, result.secrets.encode("utf-8"), mode=0o600)
    said.write(result.values.encode("utf-8"))
    return said


def _helm_kept_a_namespace_flag(environ: Mapping[str, str]) -> bool:
    """'helm ocean-proxy values --namespace NS': helm takes the flag and hands on
    HELM_NAMESPACE, which without the flag is the kube context's namespace (a flag or
    setting of nobody's here): what helm itself says without it ('helm env') tells which."""
    if environ.get("HELM_PLUGIN_NAME") != "ocean-proxy" or not environ.get("HELM_NAMESPACE"):
        return False
    import subprocess

    without = {name: value for name, value in environ.items() if name != "HELM_NAMESPACE"}
    try:
        said = subprocess.run([environ.get("HELM_BIN") or "helm", "env"], env=without,
                              capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # helm cannot tell: said, as if the flag was given
    default = re.search(r'^HELM_NAMESPACE="(.*)"$', said, re.MULTILINE)
    return default is None or default[1] != environ["HELM_NAMESPACE"]


def _dump(documents: list[Any], comment: str) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    from post_renderer.render.stream.manifest import yaml11_not_string

    def name(key: Any) -> Any:  # a user's annotation 'on' or 'y' stays a name, not true
        return DoubleQuotedScalarString(key) if isinstance(key, str) and \
            yaml11_not_string(key) else key

    def literal(value: Any) -> Any:
        if isinstance(value, dict):
            return {name(k): literal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [literal(v) for v in value]
        if isinstance(value, str) and "\n" in value:
            return LiteralScalarString(value)
        if isinstance(value, str) and yaml11_not_string(value):  # helm reads YAML 1.1
            return DoubleQuotedScalarString(value)
        return value

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096  # a long NO_PROXY stays on its line
    out = io.StringIO()
    out.write(f"# Written by ocean-proxy values: {comment}\n")
    yaml.dump_all([literal(d) for d in documents], out)
    return out.getvalue()
