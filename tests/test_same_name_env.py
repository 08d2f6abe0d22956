"""Two env entries of one name in a container, as helm renders the chart's own and a user's
``extraEnv`` after it: Kubernetes gives the container the last (the API server keeps both and
warns that it "hides previous definition"). ocean-proxy judges that one, gives every
container the same CAs, and leaves the container one entry of the name, reading what it
wrote. Real helm 3 and 4 render the stand-in chart; certificates from cryptography; what the
kubelet gives each container from kubelet_view.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from . import certs
from .agent_charts import CONTROLLER_CHART, NO_CONTROLLER_EXTRAS, SPOT_FLAGS, helm_template
from .chart_render import parse
from .conftest import clean_env, post_renderer
from .test_agents_of_one_release import FULLNAME, RELEASE, seen_in, trusted, with_ca

NAMESPACE = "spot-system"
PROXY = "http://proxy.corp:3128"
CONTROLLER, LOG_SHIPPER = "ocean-kubernetes-controller", "log-shipper"
CA_ENV = "USER_ENV_CERTIFICATES"


@pytest.fixture(params=["helm3", "helm4"])
def helm(request) -> Path:
    return request.getfixturevalue(request.param)


def render(helm: Path, *flags: str) -> bytes:
    run = helm_template(helm, clean_env(), RELEASE, CONTROLLER_CHART, *SPOT_FLAGS,
                        *NO_CONTROLLER_EXTRAS, "--set", f"spotinst.proxyUrl={PROXY}", *flags,
                        namespace=NAMESPACE)
    assert run.returncode == 0, run.stderr
    return run.stdout


def ca_in_extra_env(path: Path) -> tuple[str, ...]:
    return ("--set", f"extraEnv[0].name={CA_ENV}", "--set-file", f"extraEnv[0].value={path}")


def pem_file(tmp_path: Path, subject: str) -> tuple[bytes, Path]:
    pem = certs.root(subject).pem
    path = tmp_path / f"{subject.replace(' ', '-')}.pem"
    path.write_bytes(pem)
    return pem, path


def controller_env(docs: list[dict]) -> list[str]:
    [deployment] = [d for d in docs if (d["kind"], d["metadata"]["name"]) ==
                    ("Deployment", FULLNAME)]
    [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"]
                   if c["name"] == CONTROLLER]
    return [entry["name"] for entry in container["env"]]


def test_a_ca_in_extra_env_after_the_charts_is_the_one_every_container_trusts(helm, tmp_path):
    """caBundleSecret.data and a CA written in extraEnv: the controller is given the second,
    so the log-shipper must trust that one too, and the controller must not be left reading
    a bundle ocean-proxy never judged. The chart's Secret held the first and the log-shipper
    was given it, while the controller read the second."""
    chart_pem, chart_file = pem_file(tmp_path, "Retired Proxy Root")
    extra_pem, extra_file = pem_file(tmp_path, "Current Proxy Root")
    stream = render(helm, *with_ca(chart_file), *ca_in_extra_env(extra_file))
    as_rendered = seen_in(parse(stream.decode()).docs, NAMESPACE, "Deployment", FULLNAME,
                          CONTROLLER)
    assert as_rendered.env[CA_ENV] == extra_pem.decode()  # what Kubernetes gives it

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    docs = parse(run.text).docs
    for name in (CONTROLLER, LOG_SHIPPER):
        seen = seen_in(docs, NAMESPACE, "Deployment", FULLNAME, name)
        assert extra_pem in trusted(seen), name
        assert chart_pem not in trusted(seen), name
    controller = seen_in(docs, NAMESPACE, "Deployment", FULLNAME, CONTROLLER)
    assert controller.env[CA_ENV].encode() == extra_pem
    assert controller_env(docs).count(CA_ENV) == 1
    assert f"{CA_ENV} twice" in run.stderr and f"Secret '{FULLNAME}-ca-bundle'" in run.stderr
    again = post_renderer(stdin=run.stdout)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout


def test_ca_files_replace_a_ca_in_extra_env_for_the_controller_too(helm, tmp_path, corp_root,
                                                                    ca_file):
    """--ca-file replaces a CA written in extraEnv, and says that CA is no longer given: the
    controller kept reading it, as the extraEnv entry came after the one ocean-proxy
    pointed at the CA files."""
    extra_pem, extra_file = pem_file(tmp_path, "Old Workaround Root")
    stream = render(helm, *ca_in_extra_env(extra_file))

    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)

    assert run.returncode == 0, run.stderr
    said = " ".join(run.stderr.split())
    assert "Old Workaround Root" in said and "no longer among the CAs the pods" in said
    docs = parse(run.text).docs
    controller = seen_in(docs, NAMESPACE, "Deployment", FULLNAME, CONTROLLER)
    assert controller.env[CA_ENV].encode() == corp_root.pem
    assert controller_env(docs).count(CA_ENV) == 1
    for name in (CONTROLLER, LOG_SHIPPER):
        assert extra_pem not in trusted(seen_in(docs, NAMESPACE, "Deployment", FULLNAME, name))


@pytest.mark.parametrize("optional", [False, True], ids=["required", "optional"])
def test_a_ca_secret_of_the_users_own_read_after_the_charts_is_said_to_be_out_of_sight(
        helm, optional):
    """An old workaround: the CA in a Secret made with kubectl, read by a USER_ENV_CERTIFICATES
    in extraEnv after the chart's (whose CA Secret is not rendered without
    caBundleSecret.create=true). Kubernetes gives the controller that Secret's CA, which the
    log-shipper does not trust and ocean-proxy cannot read: that is what must be said, not
    that no CA was given at all (which sends the user to discover a CA they already have)."""
    ref = "extraEnv[0].valueFrom.secretKeyRef"
    stream = render(helm, "--set", f"extraEnv[0].name={CA_ENV}", "--set", f"{ref}.name=corp-ca",
                    "--set", f"{ref}.key=ca.pem",
                    "--set", f"{ref}.optional={str(optional).lower()}")

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    said = " ".join(run.stderr.split())
    assert ("the CA bundle is in Secret 'corp-ca', which is not part of this release: it "
            "cannot be validated, the pods will not restart when it changes, and the "
            "log-shipper cannot use it") in said
    assert "no CA bundle configured" not in said


def test_ca_files_given_beside_two_rendered_bundles_are_not_said_to_lose_to_either(
        helm, tmp_path, corp_root, ca_file):
    """caBundleSecret.data and a CA in extraEnv, and --ca-file: the CA files replace both, so
    the warning that every container gets the CAs of the last rendered one would be untrue
    (and send the user to remove an entry that no longer matters)."""
    chart_pem, chart_file = pem_file(tmp_path, "Retired Proxy Root")
    extra_pem, extra_file = pem_file(tmp_path, "Current Proxy Root")
    stream = render(helm, *with_ca(chart_file), *ca_in_extra_env(extra_file))

    run = post_renderer(f"--ca-file={ca_file}", stdin=stream)

    assert run.returncode == 0, run.stderr
    assert f"{CA_ENV} twice" not in run.stderr
    docs = parse(run.text).docs
    for name in (CONTROLLER, LOG_SHIPPER):
        seen = trusted(seen_in(docs, NAMESPACE, "Deployment", FULLNAME, name))
        assert corp_root.pem in seen and extra_pem not in seen and chart_pem not in seen, name


def test_an_extra_env_entry_reading_the_charts_own_ca_secret_is_not_said_to_hide_it(
        helm, tmp_path):
    """The chart's USER_ENV_CERTIFICATES copied into extraEnv, reading the same Secret key:
    there is one bundle, so nothing is hidden and nothing is said of two; the container is
    left one entry, and every container trusts that bundle."""
    pem, path = pem_file(tmp_path, "Corp Proxy Root")
    ref = "extraEnv[0].valueFrom.secretKeyRef"
    stream = render(helm, *with_ca(path), "--set", f"extraEnv[0].name={CA_ENV}",
                    "--set", f"{ref}.name={FULLNAME}-ca-bundle",
                    "--set", f"{ref}.key=userEnvCertificates.pem")

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    assert "twice" not in run.stderr
    docs = parse(run.text).docs
    assert controller_env(docs).count(CA_ENV) == 1
    for name in (CONTROLLER, LOG_SHIPPER):
        assert pem in trusted(seen_in(docs, NAMESPACE, "Deployment", FULLNAME, name)), name


def test_a_ca_secret_of_the_users_own_read_after_the_charts_is_left_to_the_kubelet(
        helm, tmp_path):
    """caBundleSecret.data, and after it in extraEnv a USER_ENV_CERTIFICATES read from a
    Secret the user made in the cluster (optional, as the chart's own). The kubelet gives the
    controller that Secret's CA; ocean-proxy, which cannot read it, took the reference for one
    that sets nothing, judged the chart's CA and removed the user's entry without a word: the
    controller lost the CA it had. The entry stays, and the render names the Secret it cannot
    read."""
    _, chart_file = pem_file(tmp_path, "Retired Proxy Root")
    own_pem = certs.root("Corp Proxy Root In A Secret").pem
    own = ("--set", f"extraEnv[0].name={CA_ENV}",
           "--set", "extraEnv[0].valueFrom.secretKeyRef.name=corp-ca",
           "--set", "extraEnv[0].valueFrom.secretKeyRef.key=ca.pem",
           "--set", "extraEnv[0].valueFrom.secretKeyRef.optional=true")
    in_cluster = [{"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "corp-ca", "namespace": NAMESPACE},
                   "data": {"ca.pem": base64.b64encode(own_pem).decode()}}]
    stream = render(helm, *with_ca(chart_file), *own)
    as_rendered = seen_in(parse(stream.decode()).docs + in_cluster, NAMESPACE, "Deployment",
                          FULLNAME, CONTROLLER)
    assert as_rendered.env[CA_ENV].encode() == own_pem  # what Kubernetes gives it

    run = post_renderer(stdin=stream)

    assert run.returncode == 0, run.stderr
    controller = seen_in(parse(run.text).docs + in_cluster, NAMESPACE, "Deployment", FULLNAME,
                         CONTROLLER)
    assert controller.env[CA_ENV].encode() == own_pem
    assert "'corp-ca'" in run.stderr, run.stderr


@pytest.mark.parametrize("name, said, fix", [
    ("{USER_ENV_CERTIFICATES,HTTPS_PROXY}", "has a list or a mapping for its name", "extraEnv"),
    ("null", "has no name", "extraEnv"),
    ("123", "reads as a number, a boolean or a date", "--set-string")])
def test_an_env_entry_whose_name_is_no_string_is_refused_in_one_line(helm, name, said, fix):
    """extraEnv[0].name given a list, nothing, or a number ('--set' writes it unquoted): no
    name to match another entry by. The API server would refuse the Deployment; the render
    says which container, with a hint that fixes it, and writes nothing, not an internal
    error."""
    stream = render(helm, "--set", f"extraEnv[0].name={name}",
                    "--set", "extraEnv[0].value=x")

    run = post_renderer(stdin=stream)

    assert run.returncode != 0 and run.stdout == b"", run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2, run.stderr
    assert f"container '{CONTROLLER}'" in lines[0]
    assert said in lines[0], lines[0]
    assert lines[1].startswith("ocean-proxy: hint: ") and fix in lines[1], lines[1]
