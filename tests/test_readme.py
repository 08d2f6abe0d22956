"""The words a newcomer reads hold: the commands are listed wherever commands are, every flag
a message names exists, and the README's install lines and recipes work as written (taken from
README.md by the tests, and run with real helm, kubectl and a real API server)."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from post_renderer import __version__
from post_renderer.arguments import build_parser, build_post_renderer_parser

from . import certs
from .chart_render import FULLNAME, PROXY_URL, VENDOR_FLAGS
from .cluster.server import start_cluster
from .conftest import FIXTURE_CHART, REPO, VENV_BIN, run_command, tool
from .plugin_harness import SYSTEM_PATH, ok, serving, throwaway_key, user_env

README = (REPO / "README.md").read_text(encoding="utf-8")
MESSAGE_SOURCES = [*sorted((REPO / "post_renderer").rglob("*.py")),
                   REPO / "libexec" / "ocean-proxy" / "bootstrap.py"]


def section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of the same or a higher level
    (a '#' line inside a code block is a shell comment, not a heading)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines, inside, fenced = [], False, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        is_heading = not fenced and re.match(r"#+ ", line)
        if inside and is_heading and len(line) - len(line.lstrip("#")) <= level:
            break
        if inside:
            lines.append(line)
        inside = inside or line.rstrip("\n") == heading
    assert inside, f"no {heading!r} in the README"
    return "".join(lines)


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:sh|console)\n(.*?)```", text, re.DOTALL)


def _subcommands() -> set[str]:
    parser = build_parser()
    return set(next(a for a in parser._actions if a.choices and a.dest == "command").choices)


# --- the commands, wherever commands are listed ---------------------------------------------

def test_the_readme_lists_every_command() -> None:
    listed = set(re.findall(r"^\| `ocean-proxy ([a-z-]+)", section(README, "## Commands"),
                            re.MULTILINE))
    assert listed == _subcommands()


def test_the_command_plugin_describes_every_command() -> None:
    description = YAML(typ="safe").load((REPO / "plugin.yaml").read_text())["description"]
    named = re.search(r"helm ocean-proxy \{([a-z,-]+)\}", description)
    assert named is not None, description
    assert set(named.group(1).split(",")) == _subcommands()


def test_the_guarantees_count_the_failure_paths_the_leak_test_runs() -> None:
    """'No leaks' says how many failure paths are fed every secret: the number must be the
    test's own, not the one it had when the sentence was written."""
    from .test_leaks import SCENARIOS

    guarantees = " ".join(section(README, "## Guarantees").split())
    counted = re.search(r"\(`tests/test_leaks.py`\): (\d+) failure paths", guarantees)
    assert counted is not None, guarantees
    assert int(counted.group(1)) == len(SCENARIOS)


def test_the_faq_on_which_workloads_it_changes_names_every_spot_agent_it_finds() -> None:
    """The answer named the controller and the Job alone, and said everything else passes
    untouched, while the metric exporter and the network client (in the controller's release
    too) and any container reading SPOTINST_TOKEN from a Secret get the proxy; and it said
    --workload adds workloads, where it names them instead of the detected ones."""
    from post_renderer.render.release.agents import KNOWN_AGENTS, TOKEN_ENV

    answer = README.split("**Which workloads does it change?**", 1)[1].split("\n\n", 1)[0]
    answer = " ".join(answer.split())
    for agent in KNOWN_AGENTS:
        assert f"`{agent.chart}`" in answer, agent
    assert TOKEN_ENV in answer and "image" in answer and "auto-update Job" in answer
    assert "--workload" in answer and "instead" in answer


# --- every flag a message names -------------------------------------------------------------

def _flags_in_messages(sources: list[Path] = MESSAGE_SOURCES) -> dict[str, set[str]]:
    """Every --flag inside a sentence (a string with a space) of the code, or given to
    ``as_flags`` (which writes each into a hint, with its helm form), by where it is.

    Docstrings are left out (they document the code); any other lone "--flag" is an option
    or an argument value, not a message.
    """
    found: dict[str, set[str]] = {}
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        in_hints = {id(part) for node in ast.walk(tree) if _calls_as_flags(node)
                    for argument in node.args for part in ast.walk(argument)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and (" " in node.value or id(node) in in_hints) \
                    and id(node) not in docstrings:
                for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", node.value):
                    found.setdefault(flag, set()).add(
                        path.relative_to(REPO).as_posix() if REPO in path.parents else str(path))
    return found


def _calls_as_flags(node: ast.AST) -> bool:
    """A call of ``errors.as_flags``, by its name or as an attribute."""
    if not isinstance(node, ast.Call):
        return False
    called = node.func
    return (called.id if isinstance(called, ast.Name) else
            called.attr if isinstance(called, ast.Attribute) else None) == "as_flags"


def _our_flags() -> set[str]:
    """Every option our parsers take, as spelt today (hidden old spellings are not listed)."""
    flags = set()
    parsers = [build_parser(), build_post_renderer_parser()]
    for parser in parsers:
        for action in parser._actions:
            flags.update(o for o in action.option_strings if o.startswith("--"))
            if action.choices and isinstance(action.choices, dict):
                parsers.extend(action.choices.values())
    return flags


def _helm_flags() -> set[str]:
    """The flags of the helm commands our messages send users to, from both real majors, and
    of the 'kubectl delete' they name for the Secrets helm keeps."""
    flags = set()
    for major in ("helm3", "helm4"):
        for command in (["upgrade"], ["template"], ["plugin", "install"]):
            run = ok(run_command([tool(major), *command, "--help"]))
            flags.update(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", run.text))
    run = ok(run_command([tool("kubectl"), "delete", "--help"]))  # the delete lines' command
    flags.update(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", run.text))
    return flags


def test_every_flag_a_message_names_exists() -> None:
    controller_args = {"--insecure"}  # the controller's own, which the chart renders
    chart = (FIXTURE_CHART / "templates" / "deployment.yaml").read_text()
    assert all(arg in chart for arg in controller_args)
    known = _our_flags() | _helm_flags() | controller_args
    unknown = {flag: where for flag, where in _flags_in_messages().items() if flag not in known}
    assert unknown == {}
    assert "--proxy" not in _our_flags()  # the old spelling verify's hints used


def test_a_flag_a_hint_names_through_as_flags_is_checked_too(tmp_path: Path) -> None:
    """as_flags('--proxy-url=URL') holds no space, which a lone option name has not either:
    the flags given to it are read as those of a sentence, however it is called."""
    source = tmp_path / "hints.py"
    source.write_text("from post_renderer import errors\n"
                      "from post_renderer.errors import as_flags\n"
                      "A = f\"choose one with {as_flags('--proxy-urll=URL')}\"\n"
                      "B = errors.as_flags(\"--ca-fil=FILE\", f\"--no-proxi={'HOSTS'}\")\n"
                      "C = ('--option-name', print('--argument-value'))\n")
    assert set(_flags_in_messages([source])) == {"--proxy-urll", "--ca-fil", "--no-proxi"}


# --- the Quick start ------------------------------------------------------------------------

def _tiny_plugin_tarball(directory: Path) -> Path:
    """A Helm 3 plugin tarball with nothing but its manifest (no hooks to run)."""
    manifest = directory / "plugin.yaml"
    manifest.write_text("name: tiny\nversion: 0.1.0\nusage: u\ndescription: d\ncommand: echo\n")
    tarball = directory / "tiny-0.1.0.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(manifest, arcname="plugin.yaml")
    return tarball


def test_the_quick_start_says_what_a_self_hosted_helm3_tarball_url_needs(
        helm3: Path, tmp_path: Path) -> None:
    quick_start = " ".join(section(README, "## Quick start").split())
    assert "Content-Type: application/gzip" in quick_start
    assert "Cannot detect VCS" in quick_start

    tarball = _tiny_plugin_tarball(tmp_path)
    env = user_env(tmp_path / "home")
    with serving(tmp_path, tgz_type="application/octet-stream") as url:
        refused = run_command([helm3, "plugin", "install", f"{url}/{tarball.name}"], env=env)
    assert refused.returncode != 0
    assert "Cannot detect VCS" in refused.stderr
    with serving(tmp_path) as url:
        ok(run_command([helm3, "plugin", "install", f"{url}/{tarball.name}"], env=env))


def test_the_quick_start_names_what_helm3_says_of_a_helm4_tarball(
        helm3: Path, release: Path, tmp_path: Path) -> None:
    """ocean-proxy-<v>.tgz, the name a newcomer expects, is Helm 4's command plugin: the
    README quotes Helm 3's refusal, so that a user who meets it finds the right tarball."""
    helm3_section = " ".join(section(section(README, "## Quick start"), "### Helm 3").split())
    env = user_env(tmp_path / "home")
    with serving(release) as url:
        for name in (f"ocean-proxy-{__version__}.tgz",
                     f"ocean-proxy-post-renderer-{__version__}.tgz"):
            refused = run_command([helm3, "plugin", "install", f"{url}/{name}"], env=env)
            assert refused.returncode != 0
            said = refused.stderr.strip().splitlines()[-1]
            assert f"`{said}`" in helm3_section, said
        ok(run_command([helm3, "plugin", "install",
                        f"{url}/ocean-proxy-{__version__}-helm3.tgz"], env=env, timeout=300))


def test_installing_names_what_helm4_says_of_the_helm3_tarball(
        helm4: Path, release: Path, tmp_path: Path) -> None:
    """The -helm3.tgz, taken by a Helm 4 user from a list of three tarballs: Helm 4 refuses
    it, verified as the README installs (no .prov: only Helm 4's tarballs are signed) or
    not, downloaded (plugin.yaml sits at its root, where Helm 4 does not look). The README
    quotes both, with the temporary directory helm names elided, and the way that works."""
    installing = " ".join(section(README, "## Installing").split())
    env = user_env(tmp_path / "home", PIP_INDEX_URL="http://127.0.0.1:9/")
    key = throwaway_key(tmp_path / "key", "ocean-proxy test release")
    helm3_tarball = f"ocean-proxy-{__version__}-helm3.tgz"
    with serving(release) as url:
        tries = [["--keyring", str(key.public), f"{url}/{helm3_tarball}"],
                 ["--verify=false", str(release / helm3_tarball)]]
        for flags in tries:
            refused = run_command([helm4, "plugin", "install", *flags], env=env, timeout=300)
            assert refused.returncode != 0
            said = re.sub(r"/\S*/helm-plugin-extract-\d+/", ".../",
                          refused.stderr.strip().splitlines()[-1])
            assert f"`{said}`" in installing, said
        for name in (f"ocean-proxy-post-renderer-{__version__}.tgz",
                     f"ocean-proxy-{__version__}.tgz"):
            assert f"`{name}`" in installing
            ok(run_command([helm4, "plugin", "install", "--verify=false", f"{url}/{name}"],
                           env=env, timeout=300))


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_the_quick_start_quotes_what_helm_says_when_it_does_not_find_the_post_renderer(
        major: str, release: Path, tmp_path: Path) -> None:
    """Helm 3 in a shell without the PATH line; Helm 4 with only the command plugin, which a
    newcomer takes for the post-renderer: the user searches the README for helm's words."""
    env = user_env(tmp_path / "home", PIP_INDEX_URL="http://127.0.0.1:9/")
    if major == "helm4":
        with serving(release) as url:
            ok(run_command([tool(major), "plugin", "install", "--verify=false",
                            f"{url}/ocean-proxy-{__version__}.tgz"], env=env, timeout=300))
    run = run_command([tool(major), "template", "r", FIXTURE_CHART, "--post-renderer",
                       "ocean-proxy-post-renderer"], env=env)
    assert run.returncode != 0 and run.stdout == b""
    said = " ".join(run.stderr.strip().splitlines()[-1].split())
    quick_start = " ".join(section(README, "## Quick start").split())
    assert f"`{said}`" in quick_start, said


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_plugins_readme_says_how_to_move_a_tarball_install_to_another_release(
        major: str, release: Path, tmp_path: Path) -> None:
    """Day two, a new release: nothing said how to take it, and both ways a user tries fail.
    The README quotes what they say (Helm 3's words; Helm 4 writes 'failed' in lower case) and
    gives the way that works: uninstall, then install."""
    another = " ".join(section((REPO / "plugins" / "README.md").read_text(encoding="utf-8"),
                               "### Another release").split()).lower()
    env = user_env(tmp_path / "home", PIP_INDEX_URL="http://127.0.0.1:9/")
    tarball = f"ocean-proxy-{__version__}" + ("-helm3.tgz" if major == "helm3" else ".tgz")
    verify = ["--verify=false"] if major == "helm4" else []
    with serving(release) as url:
        install = [tool(major), "plugin", "install", *verify, f"{url}/{tarball}"]
        ok(run_command(install, env=env, timeout=300))
        for tried in (install, [tool(major), "plugin", "update", "ocean-proxy"]):
            refused = run_command(tried, env=env, timeout=300)
            assert refused.returncode != 0
            said = " ".join(refused.stderr.strip().splitlines()[-1].split()).lower()
            assert f"`{said}`" in another, said
        ok(run_command([tool(major), "plugin", "uninstall", "ocean-proxy"], env=env))
        ok(run_command(install, env=env, timeout=300))  # the way, followed


def _quick_start_exports() -> list[str]:
    """The ``export`` lines of the Helm 3 Quick start and of the HELM_PLUGINS paragraph."""
    quick_start = section(README, "## Quick start")
    lines = [line for block in code_blocks(section(quick_start, "### Helm 3"))
             for line in block.splitlines() if line.startswith("export ")]
    assert any("PATH=" in line for line in lines) and any("HELM_PLUGINS=" in line
                                                          for line in lines), lines
    return lines


@pytest.mark.parametrize("major", ["helm3", "helm4"])
def test_the_quick_start_lines_work_whatever_helm_plugins_says(
        major: str, release: Path, tmp_path: Path) -> None:
    """HELM_PLUGINS set to a directory of the user's: helm installs into its data directory
    anyway; the README's lines then make both the post-renderer and the command plugin found."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "helm").symlink_to(tool(major))
    env = user_env(tmp_path / "home", path=f"{bin_dir}:{SYSTEM_PATH}",
                   HELM_PLUGINS=str(tmp_path / "my-plugins"),
                   PIP_INDEX_URL="http://127.0.0.1:9/")
    with serving(release) as url:
        if major == "helm3":
            tarballs = [f"{url}/ocean-proxy-{__version__}-helm3.tgz"]
        else:
            tarballs = [f"{url}/ocean-proxy-post-renderer-{__version__}.tgz",
                        f"{url}/ocean-proxy-{__version__}.tgz"]
        for tarball in tarballs:
            verify = ["--verify=false"] if major == "helm4" else []  # an unsigned build
            ok(run_command(["helm", "plugin", "install", *verify, tarball], env=env,
                           timeout=300))
    script = "\n".join([*_quick_start_exports(),
                        f"helm template r {FIXTURE_CHART} --post-renderer "
                        "ocean-proxy-post-renderer > /dev/null",
                        "helm ocean-proxy --version"])
    run = subprocess.run(["bash", "-euc", script], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"ocean-proxy {__version__}\n"

    exports = "\n".join(_quick_start_exports())
    plain = subprocess.run(["bash", "-euc", f"{exports}\nhelm plugin uninstall ocean-proxy"],
                           env=env, capture_output=True, text=True, timeout=300, check=False)
    if major == "helm4":  # why the README gives a line of its own for Helm 4
        assert plain.returncode != 0 and "plugin: ocean-proxy not found" in plain.stderr
        uninstall = subprocess.run(["bash", "-euc", f"{exports}\n{_quick_start_uninstall()}"],
                                   env=env, capture_output=True, text=True, timeout=300,
                                   check=False)
        assert uninstall.returncode == 0, uninstall.stderr
    else:
        assert plain.returncode == 0, plain.stderr
    listed = subprocess.run(["bash", "-euc", f"{exports}\nhelm plugin list"], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert listed.returncode == 0 and "ocean-proxy" not in listed.stdout, listed


def _quick_start_uninstall() -> str:
    """The Quick start's uninstall line for Helm 4 with HELM_PLUGINS a list."""
    lines = [line for block in code_blocks(section(README, "## Quick start"))
             for line in block.splitlines() if "helm plugin uninstall" in line]
    assert len(lines) == 1, lines
    return lines[0]


# --- the lints ------------------------------------------------------------------------------

def test_the_lints_name_each_no_proxy_entry_the_render_leaves_out(tmp_path: Path,
                                                                  capsysbinary) -> None:
    """The lints said only that a rendered entry sending the Spot API around the proxy is left
    out, while '*' and a name not in ASCII are left out too, the latter with its IDNA form."""
    from post_renderer import cli

    from .unit.chart_manifests import configmap, controller, release

    lints = " ".join(README.split("**Lints.**", 1)[1].split("\n\n", 1)[0].split())
    said = lints.split("a `NO_PROXY` entry in what the chart rendered", 1)[1].split(";", 3)
    manifests = release(controller(no_proxy="$(KUBERNETES_SERVICE_HOST),*,bücher.example"),
                        configmap(proxy_url="http://proxy.corp:3128"))
    path = tmp_path / "manifests.yaml"
    path.write_bytes(manifests)
    code = cli.main(["render", "-f", str(path)])
    err = capsysbinary.readouterr().err.decode()
    assert code == 0 and "'*', 'bücher.example'" in err and "xn--bcher-kva.example" in err
    assert "`*`" in said[1] and "a name not in ASCII, said with its IDNA form" in said[2]


# --- where things live -----------------------------------------------------------------------

def test_where_things_live_names_every_module_of_the_rooms_it_lists() -> None:
    """The module map named neither errors.py nor user_files.py, among others, while a newcomer
    reads it as the list of what is there; network/, proxy_settings/ and render's filters/ are
    named as folders."""
    where = section(README, "### Where things live")
    package = REPO / "post_renderer"
    folders = [package, package / "commands", package / "trust",
               *(package / "render" / room for room in ("", "stream", "release", "overlay",
                                                       "plan"))]
    modules = [path for folder in folders for path in sorted(folder.glob("*.py"))
               if path.name not in ("__init__.py", "__main__.py")]
    assert [path for path in modules if not re.search(rf"\b{path.name}\b", where)] == []


# --- the FAQ's recipe for installs without a post-renderer ----------------------------------

def _faq_values_recipe() -> str:
    faq = section(README, "## FAQ")
    answer = faq[faq.index("**No post-renderer at all?**"):]
    return code_blocks(answer)[0]


def test_the_faq_values_recipe_runs_as_written(tmp_path: Path) -> None:
    """Against a real API server of its own: the recipe names its namespace, spot-system."""
    recipe = _faq_values_recipe()
    assert recipe.count("--namespace spot-system") == 2  # helm template and helm upgrade
    charts = tmp_path / "charts"
    charts.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, binary in (("helm", tool("helm3")), ("kubectl", tool("kubectl")),
                         ("ocean-proxy", VENV_BIN / "ocean-proxy")):
        (bin_dir / name).symlink_to(binary)
    work = tmp_path / "work"
    work.mkdir()
    ca = work / "corp-ca.pem"
    ca.write_bytes(certs.root("Corp Proxy Root CA").pem)
    values = dict(pair.split("=", 1) for pair in VENDOR_FLAGS[1::2])
    (work / "my-values.yaml").write_text(
        "spotinst:\n" + "".join(f"  {k.split('.')[1]}: {v}\n" for k, v in values.items())
        + f"  proxyUrl: {PROXY_URL}\ncaBundleSecret:\n  create: true\n  data: |\n"
        + "".join(f"    {line}\n" for line in ca.read_text().splitlines()))

    api = start_cluster(tmp_path / "cluster", kubectl=tool("kubectl"), etcd=tool("etcd"),
                        kube_apiserver=tool("kube-apiserver"))
    try:
        env = api.env(HOME=str(tmp_path / "home"), PATH=f"{bin_dir}:{SYSTEM_PATH}")
        ok(run_command(["helm", "package", FIXTURE_CHART, "-d", charts], env=env))
        ok(run_command(["helm", "repo", "index", charts], env=env))
        with serving(charts) as url:
            ok(run_command(["helm", "repo", "add", "spot", url], env=env))
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=work, env=env,
                                 capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr
        deployment = api.get("deployment", FULLNAME, "spot-system")
        assert deployment is not None
        controller = next(c for c in deployment["spec"]["template"]["spec"]["containers"]
                          if c["name"] == "ocean-kubernetes-controller")
        names = {e["name"] for e in controller["env"]}
        assert {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_DIR"} <= names
        assert api.list("secrets", "default") == []  # nothing landed beside the release
        assert api.get("secret", f"{FULLNAME}-ocean-proxy", "spot-system") is not None
        # the Secrets file, with the proxy URL and its password, does not outlive its apply
        assert sorted(path.name for path in work.iterdir()) == [
            "corp-ca.pem", "my-values.yaml", "ocean-proxy-values.yaml"]
    finally:
        api.stop()


# --- the helm releases the tests run ----------------------------------------------------------


def test_the_opening_names_every_helm_release_make_test_installs() -> None:
    """A newcomer reads in the opening which helms ``make test`` brings: each release that
    tools/install_helm.py installs, by the version the binary itself reports."""
    script = REPO / "tools" / "install_helm.py"
    spec = importlib.util.spec_from_file_location("install_helm", script)
    assert spec and spec.loader
    install_helm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install_helm)
    opening = " ".join(README.split("\n## ", 1)[0].split())
    for _, _, name in install_helm.BINARIES:
        if name.startswith("helm"):
            reported = ok(run_command([tool(name), "version", "--short"])).text
            version = re.match(r"v(\d+\.\d+\.\d+)", reported)
            assert version, reported
            shown = version[1].rpartition(".")[0] if name in ("helm3", "helm4") else version[1]
            assert re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d.]?\d)", opening), name
