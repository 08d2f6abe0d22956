"""Auto-update filter: the Job manifest the chart embeds in its ConfigMap gets proxy and trust.

The controller creates that Job from the ConfigMap key ``auto-update.job``; it runs
``helm repo add spot https://charts.spot.io`` and ``helm upgrade``, both through the proxy.
The embedded manifest is parsed on its own, given the same env, mounts and volumes as the
controller's pod, and written back as a block string. With the overlay (see
``render.overlay.job``), its ``helm upgrade`` also passes ocean-proxy's values and runs a
post-renderer of its own that gives the next Job the same; stderr says so when the
injection is decided.
"""

from __future__ import annotations

from post_renderer.job_renderer import MOUNT
from post_renderer.render.overlay import job as overlay_job
from post_renderer.render.overlay.job import (
    VOLUME,
    extend_script,
    kept_secret_volume,
    mount,
    optional_refs,
    volume,
)
from post_renderer.render.plan.filters.trust_mounts import CA_DIR
from post_renderer.render.plan.injection import Injection
from post_renderer.render.plan.pod_patch import Change, PodEntry, PodWants, pod_spec_changes
from post_renderer.render.plan.protocol import NO_WANTS, PlanContext, Proposal
from post_renderer.render.release.owned_names import OwnedNames
from post_renderer.render.release.release import Release
from post_renderer.render.stream.aliases import unshare_pod
from post_renderer.render.stream.kube import POD_SPEC_PATHS, YamlNode, containers, get_path, pointer
from post_renderer.render.stream.manifest import detect_style, edit_document


def job_wants(injection: Injection, wants: PodWants, release: Release) -> PodWants:
    """The pods' wants, but ``SSL_CERT_DIR`` naming ours alone (see ``_job_cert_dir``); with
    the overlay, what the Job gets instead: the proxy env and Go's CA directory (its helm is
    Go: no OpenSSL hash files), from Secrets that outlive the upgrade (the kept CA Secret,
    not the chart's), each optional so that a Job whose Secrets were deleted still starts;
    and the overlay's step."""
    env = tuple(_job_cert_dir(entry) for entry in wants.env)
    if injection.overlay_secret is None or not release.workloads:
        return wants._replace(env=env)
    ca_secret = injection.ca_volume_secret or OwnedNames(release.workloads[0].name).ca
    env = tuple(entry._replace(manifest=optional_refs(entry.manifest)) for entry in env)
    mounts = tuple(m for m in wants.mounts if "subPath" not in m.manifest)
    used = {m.manifest.get("name") for m in mounts}
    volumes = tuple(entry._replace(manifest=kept_secret_volume(entry.manifest, ca_secret))
                    for entry in wants.volumes if entry.key in used)
    return PodWants(
        env=env, owned_volume=wants.owned_volume,
        mounts=(*mounts, PodEntry(MOUNT, mount(), "ocean-proxy's chart values and step")),
        volumes=(*volumes, PodEntry(VOLUME, volume(injection.overlay_secret),
                                    "ocean-proxy's chart values and step, for 'helm upgrade'")))


def _job_cert_dir(entry: PodEntry) -> PodEntry:
    """The Job's helm reads ``SSL_CERT_DIR``: a helm built with Go before 1.16 (helm 3.5 and
    older) reads it as one directory, so the pods' list would give it no CA of ours and its
    'helm repo add' would fail. Ours alone serves every Go: each also reads its default
    bundle file, where the image's public roots are (a Job image without one gets them from
    ``/etc/ssl/certs`` no more). A chart's own value is kept, with ours added, as in pods."""
    if entry.key != "SSL_CERT_DIR":
        return entry
    return entry._replace(manifest={"name": "SSL_CERT_DIR", "value": CA_DIR},
                          reason="Go reads the CA directory besides its default bundle file; "
                          "ours alone, since a Go before 1.16 reads no list")


def job_edit(injection: Injection, wants: PodWants, release: Release) -> dict[str, YamlNode]:
    """What the Job's post-renderer gives the next Job: what ``job_wants`` gives this one."""
    job = job_wants(injection, wants, release)
    return overlay_job.job_edit([entry.desired(None) for entry in job.env],
                [entry.manifest for entry in job.mounts],
                [entry.manifest for entry in job.volumes])


def _script_changes(spec: dict[str, YamlNode], prefix: tuple[str | int, ...]) -> list[Change]:
    from ruamel.yaml.scalarstring import LiteralScalarString

    changes = []
    for list_name, index, container in containers(spec):
        args = container.get("args")
        if not (isinstance(args, list) and args and isinstance(args[-1], str)):
            continue
        new = extend_script(args[-1])
        if new is not None and new != args[-1]:
            path = pointer(*prefix, list_name, index, "args", len(args) - 1)
            changes.append(Change({"op": "replace", "path": path,
                                   "value": LiteralScalarString(new)},
                                  "'helm upgrade' also passes ocean-proxy's chart values and "
                                  "post-renderer, so the upgraded release and its next Job "
                                  "keep the proxy and the CA"))
    return changes


def pod_wants(injection: Injection) -> PodWants:
    return NO_WANTS


def propose(context: PlanContext) -> list[Proposal]:
    """The op replacing each Job's text, with the Job's own changes for --explain."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    release, injection, wants = context.release, context.injection, context.wants

    found = []
    for ref in injection.auto_update_jobs:
        configmap = release.get("ConfigMap", ref.name)
        job = release.embedded(configmap, ref.key) if configmap else None
        text = get_path(configmap.document, ("data", ref.key)) if configmap else None
        if configmap is None or job is None or not isinstance(text, str):
            continue
        kind = get_path(job.data, ("kind",))
        if kind not in POD_SPEC_PATHS:
            continue
        spec_path = POD_SPEC_PATHS[kind]
        unshare_pod(job.data, spec_path)
        pod_spec = get_path(job.data, spec_path)
        inner = pod_spec_changes(pod_spec, pointer(*spec_path),
                                 job_wants(injection, wants, release))
        if injection.overlay_secret is not None:
            inner += _script_changes(pod_spec, spec_path)
        if not inner:
            continue
        new_text = edit_document(job, [c.op for c in inner], detect_style(text))
        op = {"op": "replace", "path": pointer("data", ref.key),
              "value": LiteralScalarString(new_text)}
        reason = ("the auto-update Job reaches charts.spot.io through the proxy" if
                  injection.proxy else "the auto-update Job reaches charts.spot.io") + \
            (" and trusts the CA" if injection.trust else "")
        found.append(Proposal(configmap, Change(op, reason), tuple(inner)))
    return found
