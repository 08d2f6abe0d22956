"""The vendor's auto-update Job when the API server refuses its upgrade (a
ValidatingAdmissionPolicy that freezes the namespace's Deployments, as an admission policy
or a locked-down RBAC would), helm 3 and helm 4 in the Job.

ocean-proxy-job-renderer has already said, by then, that the next Job "now has ocean-proxy's
proxy, CA and step", and the Job prints that when it ends, after helm's error: the log must
then say, in one line and without the password, that the auto-update failed and that this
is not what the cluster runs.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from ..pod_sandbox import Image
from ..test_auto_update import MODES
from .auto_update_job import FIRST, release_for, run_stored_job
from .release import ok

FROZEN = "deployments are frozen"
POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: freeze-%(ns)s}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments]}
  validations:
  - {expression: "false", message: "%(frozen)s"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: freeze-%(ns)s}
spec:
  policyName: freeze-%(ns)s
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: %(ns)s}
"""


def test_a_refused_auto_update_ends_its_log_saying_it_failed(
        user, api_server, cluster_namespace, repository, net_pki, tmp_path):
    release = release_for(MODES[1], api_server, cluster_namespace, repository, net_pki,
                          tmp_path)
    ok(release.upgrade(user))
    policy = POLICY % {"ns": cluster_namespace, "frozen": FROZEN}
    api_server.kubectl("apply", "-f", "-", stdin=policy.encode())
    try:
        frozen(api_server, cluster_namespace, release.fullname)
        run = run_stored_job(api_server, cluster_namespace, release.fullname,
                             helm=user.binary, version=FIRST,
                             image=Image(net_pki.public_roots_file.read_bytes()),
                             workdir=tmp_path / "job")
    finally:
        api_server.kubectl("delete", "-f", "-", stdin=policy.encode())

    assert run.returncode != 0
    assert FROZEN in run.stderr  # the API server's refusal, as helm reports it
    said = [line for line in run.text.splitlines() if line.startswith("ocean-proxy")]
    assert said and "now has ocean-proxy's proxy" in said[0], said
    assert said[-1].startswith("ocean-proxy: the auto-update failed (exit "), said
    password = urlsplit(repository.proxy.credentials_url).password or ""
    assert password and password not in run.text + run.stderr


def frozen(api_server, namespace: str, deployment: str, timeout: float = 30) -> None:
    """Wait for the API server to enforce the policy (it loads it in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        probe = api_server.kubectl("annotate", "deployment", deployment, "-n", namespace,
                                   "probe=1", "--dry-run=server", check=False)
        if FROZEN in probe.stderr:
            return
        assert time.monotonic() < deadline, "the policy is not enforced"
        time.sleep(0.5)
