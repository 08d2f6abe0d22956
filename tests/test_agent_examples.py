"""examples/agents/upgrade-agents.sh, run with the real helm 3 against the stand-in charts
(``helm upgrade --install`` becomes ``helm template``: there is no cluster here): every agent
it installs ends up behind the proxy, the exporter with the proxy's credentials."""

from __future__ import annotations

import stat
from pathlib import Path

from . import certs
from .agent_charts import CHARTS, CONTROLLER_FULLNAME, EXPORTER, NETWORK_CLIENT, view
from .chart_render import parse
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
