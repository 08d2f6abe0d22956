"""examples/agents/upgrade-agents.sh, run with the real helm 3 against the stand-in charts
(``helm upgrade --install`` becomes ``helm template``: there is no cluster here): every agent
it installs ends up behind the proxy, the exporter with the proxy's credentials, and no
command it runs shows the token or the password to the other users of the machine."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

from . import certs
from .agent_charts import CHARTS, CONTROLLER_FULLNAME, EXPORTER, NETWORK_CLIENT, view
from .chart_render import parse
from .command_lines import PausedReads
from .conftest import EXAMPLES, VENV_BIN, clean_env, run_command
from .test_spot_agents import PASSWORD, PROXY, assert_behind_the_proxy

SCRIPT = EXAMPLES / "agents" / "upgrade-agents.sh"


def template_instead_of_upgrade(helm3: Path, outputs: Path) -> Path:
    """A helm that renders what 'helm upgrade --install RELEASE ...' would install, into
    outputs/RELEASE.yaml."""
    wrapper = outputs / "helm"
    wrapper.write_text(
        "#!/bin/sh\nset -e\n"
        '[ "$1 $2" = "upgrade --install" ] || { echo "unexpected: $*" >&2; exit 2; }\n'
        f'shift 2\nexec {helm3} template "$@" > "{outputs}/$1.yaml"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def test_the_agents_script_puts_every_agent_behind_the_proxy(helm3, tmp_path):
    root = certs.root("Corp Proxy Root CA")
    (tmp_path / "ca.pem").write_bytes(root.pem)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    env = clean_env(HELM=str(template_instead_of_upgrade(helm3, outputs)), CHARTS=str(CHARTS),
                    PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", SPOTINST_ACCOUNT="act-1",
                    SPOTINST_TOKEN="TOKEN", CLUSTER_ID="c-1", PROXY_URL=PROXY)
    run = run_command(["/bin/sh", SCRIPT], env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    docs = [doc for release in sorted(outputs.glob("*.yaml"))
            for doc in parse(release.read_text()).docs]

    exporter = view(docs, *EXPORTER)
    assert exporter.env["PROXY_URL"] == PROXY
    assert exporter.env["USER_ENV_CERTIFICATES"] == root.pem.decode()
    for seen in (exporter, view(docs, *NETWORK_CLIENT),
                 view(docs, "Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller")):
        assert_behind_the_proxy(seen, PROXY)
    assert PASSWORD not in run.stderr


def test_the_agents_script_shows_no_token_or_password_on_a_command_line(helm3, tmp_path):
    """ps shows every user of the machine each process's command line for as long as it runs
    (helm upgrade --wait: minutes). Each helm and post-renderer is looked at while it reads
    the CA file, a FIFO: the controller's helm (--set-file) and the network client's
    post-renderer (--ca-file), with its helm above it. Secrets of this run alone: other
    tests on the machine may be running."""
    token, password = f"tok-{secrets.token_hex(8)}", f"pw-{secrets.token_hex(8)}"
    proxy = f"http://alice:{password}@proxy.corp:3128"
    root = certs.root("Corp Proxy Root CA")
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    env = clean_env(HELM=str(template_instead_of_upgrade(helm3, outputs)), CHARTS=str(CHARTS),
                    PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", SPOTINST_ACCOUNT="act-1",
                    SPOTINST_TOKEN=token, CLUSTER_ID="c-1", PROXY_URL=proxy,
                    CA_FILE=str(tmp_path / "ca.pem"))
    with PausedReads(tmp_path / "ca.pem", root.pem, secrets=[token, password]) as reads:
        run = run_command(["/bin/sh", SCRIPT], env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    readers = [line for pause in reads.pauses for line in pause]
    assert any(" template ocean-controller " in line for line in readers), reads.pauses
    assert any(line.startswith(str(VENV_BIN)) and "/ocean-proxy-post-renderer " in line
               for line in readers), reads.pauses
    assert [line.split(" ", 1)[0] for line in reads.exposed] == []
    docs = [doc for release in sorted(outputs.glob("*.yaml"))
            for doc in parse(release.read_text()).docs]
    assert any(doc["kind"] == "Secret" and token.encode() in
               base64.b64decode(doc.get("data", {}).get("token", "")) for doc in docs)
    for seen in (view(docs, *NETWORK_CLIENT),
                 view(docs, "Deployment", CONTROLLER_FULLNAME, "ocean-kubernetes-controller")):
        assert_behind_the_proxy(seen, proxy)
