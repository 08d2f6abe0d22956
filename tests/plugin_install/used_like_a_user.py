"""What every installed plugin must do, whatever it was installed from: a base class whose
tests each install scenario runs first (pytest runs a base class's tests before the
subclass's own)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from .. import certs
from ..chart_render import PROXY_FLAGS
from ..conftest import FIXTURE_CHART, Run, run_command
from ..plugin_harness import CA_COMMON_NAME, VERSION, helm, ok
from .installed import OLDER_HELM3, Installed, ocean_proxy_homes


def _kubeconfig(path: Path, namespace: str) -> Path:
    """A kubeconfig whose current context has ``namespace``: helm's namespace without -n."""
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: local, cluster: {{server: "https://127.0.0.1:9"}}}}]
users: [{{name: user, user: {{token: unused}}}}]
contexts: [{{name: local, context: {{cluster: local, user: user, namespace: {namespace}}}}}]
current-context: local
""")
    path.chmod(0o600)
    return path

class UsedLikeAUser:
    """What every install scenario checks first (pytest runs a base class's tests before the
    subclass's own); each scenario's last test uninstalls."""

    def test_helm_ocean_proxy_reports_its_version(self, installed: Installed) -> None:
        assert ok(installed.helm_run("ocean-proxy", "--version")).text == f"ocean-proxy {VERSION}\n"

    def test_helm_ocean_proxy_help_is_the_commands_own(self, installed: Installed) -> None:
        for command in ("render", "check-bundle", "discover-ca", "verify"):
            run = ok(installed.helm_run("ocean-proxy", command, "--help"))
            assert run.text.startswith(f"usage: helm ocean-proxy {command} "), run.text

    def test_plan_of_the_command_plugin_reaches_the_user(self, installed: Installed,
                                                         tmp_path: Path) -> None:
        """helm hands a command plugin its own stdout: --plan is not refused there, as it is
        in a post-renderer whose stdout helm reads as the release."""
        manifests = tmp_path / "manifests.yaml"
        manifests.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
        run = ok(installed.helm_run("ocean-proxy", "render", "--plan", "-f", manifests))
        assert json.loads(run.text) == {"documents": []}

    def test_helm_s_own_namespace_flag_is_said_not_to_reach_values(self, installed: Installed,
                                                                     tmp_path: Path) -> None:
        """'helm ocean-proxy values --namespace NS', as its --help shows the flag: helm keeps
        --namespace, and the Secrets went to the manifests' namespace without a word."""
        def values(*namespace: str, flag: tuple[str, ...] = ("--namespace", "spot-system")
                   ) -> tuple[Run, str]:
            rendered = ok(installed.helm_run("template", "ocean-controller", FIXTURE_CHART,
                                             *namespace, "--set",
                                             "spotinst.proxyUrl=http://proxy.corp:3128"))
            manifests = tmp_path / "manifests.yaml"
            manifests.write_text(rendered.text)
            secrets = tmp_path / "secrets.yaml"
            secrets.unlink(missing_ok=True)
            run = ok(installed.helm_run("ocean-proxy", "values", "-f", manifests,
                                        "--secrets", secrets, *flag))
            return run, secrets.read_text()

        run, secrets = values()
        assert ("not helm's 'spot-system': helm keeps --namespace for itself; for that "
                "namespace, render with 'helm template --namespace spot-system'") in run.stderr
        assert "namespace: default" in secrets
        followed, secrets = values("--namespace", "spot-system")  # the warning, followed
        assert "helm keeps --namespace" not in followed.stderr
        assert "namespace: spot-system" in secrets and "namespace: default" not in secrets
        # rendered for the release's namespace, values given none, the kube context's another:
        # helm hands on the context's namespace, which nobody asked for: nothing to say
        installed.env["KUBECONFIG"] = str(_kubeconfig(tmp_path / "kubeconfig", "team-a"))
        try:
            plain, secrets = values("--namespace", "spot-system", flag=())
        finally:
            del installed.env["KUBECONFIG"]
        assert "helm keeps --namespace" not in plain.stderr
        assert "namespace: spot-system" in secrets

    def test_check_bundle_accepts_a_real_ca(self, installed: Installed, ca_file: Path) -> None:
        run = ok(installed.helm_run("ocean-proxy", "check-bundle", ca_file))
        assert CA_COMMON_NAME in run.text

    @pytest.mark.parametrize("stderr", ["pipe", "file"])
    def test_a_refused_command_says_why_once(self, installed: Installed, stderr: str,
                                             tmp_path: Path) -> None:
        """helm hands a command plugin its own stderr: the error and its hint come once,
        whether helm's stderr is a pipe (CI) or a file (``2> log``)."""
        notes = tmp_path / "notes.txt"
        notes.write_text("not a certificate\n")
        env = {k: v for k, v in installed.env.items() if k != "OCEAN_PROXY_MESSAGES"}  # unset
        argv = [installed.helm, "ocean-proxy", "check-bundle", notes]
        if stderr == "pipe":
            run = helm(*argv, env=env)
            status, shown = run.returncode, run.stderr
        else:
            log = tmp_path / "log"
            with log.open("w") as handle:
                status = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                                        stderr=handle, timeout=120, check=False).returncode
            shown = log.read_text(encoding="utf-8")
        assert status != 0
        lines = shown.splitlines()
        assert len([line for line in lines if line.startswith("ocean-proxy: error: ")]) == 1, shown
        assert len([line for line in lines if line.startswith("ocean-proxy: hint: ")]) == 1, shown

    def test_check_bundles_report_names_a_command_the_user_has(self, installed: Installed,
                                                                tmp_path: Path) -> None:
        """The report on stdout (text and --json) gives each refused certificate's hint as
        the error line does: a server certificate's points at discover-ca, which the user
        runs as 'helm ocean-proxy discover-ca' (Helm 4 puts no 'ocean-proxy' on PATH)."""
        server = tmp_path / "server.pem"
        server.write_bytes(certs.leaf(certs.intermediate(certs.root())).pem)
        for json_flag in ((), ("--json",)):
            run = installed.helm_run("ocean-proxy", "check-bundle", *json_flag, server)
            assert run.returncode == 1, run.stderr
            named = re.findall(r"'([^'\n]*ocean-proxy discover-ca)'", run.text)
            assert named and set(named) == set(
                re.findall(r"'([^'\n]*ocean-proxy discover-ca)'", run.stderr)), run.text
            for command in set(named):
                words = command.split()
                assert words[0] == "helm", command
                assert installed.helm_run(*words[1:], "--help").returncode == 0, command

    def test_the_install_says_how_settings_reach_a_helm_without_post_renderer_args(
            self, installed: Installed) -> None:
        """A helm 3 before 3.9 refuses --post-renderer-args, which the README's lines use:
        the install says so, and names the route that works there."""
        said = "".join(run.stderr for run in installed.install_runs)
        lacks = installed.helm.name in OLDER_HELM3
        assert ("has no --post-renderer-args" in said) == lacks, said
        if lacks:
            assert "OCEAN_PROXY_CA_FILE" in said and "OCEAN_PROXY_CONFIG" in said

    def test_a_hint_to_the_command_plugin_works_when_followed(self, installed: Installed) -> None:
        """The plugins put no 'ocean-proxy' on PATH on Helm 4: the command a hint names is the
        one the user can run, 'helm ocean-proxy ...'."""
        run = installed.helm_run("ocean-proxy", "verify", "--proxy-ur", "http://127.0.0.1:9")
        assert run.returncode == 2 and not run.text
        ok(_follow_the_hint(installed, run))

    @pytest.mark.parametrize("mistake", ["--proxy-ur=http://127.0.0.1:9", "--version", "-h"])
    def test_a_hint_of_the_post_renderer_works_when_followed(self, installed: Installed,
                                                             mistake: str) -> None:
        """On Helm 4 the post-renderer runs as a plugin, not from PATH: its hint names a command
        the user has (Helm 3's runs from PATH, beside 'ocean-proxy' itself)."""
        env = {k: v for k, v in installed.env.items() if k != "OCEAN_PROXY_MESSAGES"}  # unset
        run = helm(installed.helm, "template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                   "--post-renderer", "ocean-proxy-post-renderer",
                   "--post-renderer-args", mistake, env=env)
        assert run.returncode != 0 and not run.text
        if installed.helm.name in OLDER_HELM3:  # helm says it, before any post-renderer runs
            assert run.stderr == "Error: unknown flag: --post-renderer-args\n"
            return
        ok(_follow_the_hint(installed, run))

    def test_helms_debug_flag_reaches_the_command(self, installed: Installed) -> None:
        """helm keeps --debug and passes HELM_DEBUG=true: the command prints its steps."""
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        run = installed.helm_run("ocean-proxy", "verify", "--proxy-url",
                                 f"http://127.0.0.1:{port}", "--debug")
        assert run.returncode != 0
        step = f"ocean-proxy: debug: connecting to http://127.0.0.1:{port}"
        assert step in run.stderr, run.stderr

    def test_post_renderer_passes_a_chart_without_controller_through(
            self, installed: Installed, chart: Path) -> None:
        plain = ok(installed.helm_run("template", "r", chart)).text
        post_rendered = installed.helm_run("template", "r", chart,
                                           "--post-renderer", "ocean-proxy-post-renderer")
        assert ok(post_rendered).text == plain

    def test_a_render_keeps_its_caches_in_helms_directories(
            self, installed: Installed, ca_file: Path) -> None:
        """What the uninstall test then expects to see removed. A helm 3 older than 3.9 has no
        --post-renderer-args: the CA goes by OCEAN_PROXY_CA_FILE there, as the README says."""
        if installed.helm.name in OLDER_HELM3:
            ok(helm(installed.helm, "template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                    "--post-renderer", "ocean-proxy-post-renderer",
                    env={**installed.env, "OCEAN_PROXY_CA_FILE": str(ca_file)}))
        else:
            ok(installed.helm_run("template", "r", FIXTURE_CHART, *PROXY_FLAGS,
                                  "--post-renderer", "ocean-proxy-post-renderer",
                                  "--post-renderer-args", f"--ca-file={ca_file}"))
        assert any(path.is_dir() for path in ocean_proxy_homes(installed.env))


def _follow_the_hint(installed: Installed, run: Run) -> Run:
    """Runs the command the first hint of ``run`` names, as the user's shell would."""
    hint = re.search(r"^ocean-proxy: hint: run '([^']+)'", run.stderr, re.MULTILINE)
    assert hint, run.stderr
    words = hint.group(1).split()
    if words[0] == "helm":
        return installed.helm_run(*words[1:])
    found = shutil.which(words[0], path=installed.env["PATH"])
    assert found, f"{words[0]} is not on the user's PATH: {run.stderr}"
    return run_command([found, *words[1:]], env=installed.env)
