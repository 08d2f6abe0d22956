"""What Terraform's Helm provider, Argo CD, GitHub Actions and GitLab CI would run for the files
in examples/, for the tools that cannot run here (helmfile can: tests/helmfile_example.py): each
function reads one example file and returns the helm command line (or environment, or shell
steps) that tool derives from it.

Only the constructs the examples use are understood; anything else fails the test, so that an
example cannot grow something its test does not check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from ruamel.yaml import YAML


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


# Terraform's helm provider v3 (helm_release: set, set_sensitive, postrender)

TF_VAR = re.compile(r"\$\{var\.(\w+)\}")


def load_terraform(path: Path) -> dict:
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    with path.open() as file:
        return hcl2.load(file, serialization_options=options)


def terraform_resource(tf: dict, kind: str, name: str) -> dict:
    found = [block[kind][name] for block in tf["resource"] if name in block.get(kind, {})]
    assert len(found) == 1, f"{kind}.{name} in {tf['resource']}"
    return found[0]


def terraform_variables(tf: dict) -> dict[str, dict]:
    return {name: spec for block in tf["variable"] for name, spec in block.items()}


def evaluate_tf(value: Any, variables: dict[str, Any]) -> Any:
    """A value with `var.X` references, as Terraform evaluates it; nothing else is understood."""
    if not isinstance(value, str):
        return value
    whole = TF_VAR.fullmatch(value)
    if whole:
        return variables[whole.group(1)]
    evaluated = TF_VAR.sub(lambda m: str(variables[m.group(1)]), value)
    assert "${" not in evaluated, f"an expression the test does not evaluate: {value}"
    return evaluated


def terraform_template_argv(release: dict, variables: dict[str, Any], repository: str) -> list[str]:
    """`helm template` with what the provider passes Helm for the helm_release, the chart taken
    from ``repository`` instead of the resource's."""
    value = lambda key: evaluate_tf(release.get(key), variables)  # noqa: E731
    argv = ["template", value("name"), value("chart"), "--repo", repository,
            "--namespace", value("namespace")]
    if value("version") is not None:
        argv += ["--version", value("version")]
    for item in release.get("set", []) + release.get("set_sensitive", []):
        assert item.get("type", "auto") == "auto", "set type string: not used by the example"
        argv += ["--set", f"{item['name']}={evaluate_tf(item['value'], variables)}"]
    postrender = release.get("postrender")
    if postrender:
        argv += ["--post-renderer", evaluate_tf(postrender["binary_path"], variables)]
        for arg in postrender.get("args", []):
            argv += ["--post-renderer-args", evaluate_tf(arg, variables)]
    return argv


# Argo CD: a Config Management Plugin sidecar (cmpserver/plugin: runCommand, generateManifest)

def cmp_plugin(configmap: dict) -> dict:
    return YAML(typ="safe").load(configmap["data"]["plugin.yaml"])


def cmp_command(spec: dict) -> list[str]:
    """The argv the CMP server executes for an init or generate entry: command + args, no shell."""
    return [*spec["command"], *spec.get("args", [])]


def argocd_build_env(application: dict, *, revision: str, kube_version: str,
                     api_versions: list[str], env_overrides: dict[str, str]) -> dict[str, str]:
    """The build environment and ARGOCD_ENV_* the repo-server sends a plugin for an Application
    (docs/user-guide/build-environment.md); ``env_overrides`` replaces plugin env values."""
    source = application["spec"]["source"]
    env = {
        "ARGOCD_APP_NAME": application["metadata"]["name"],
        "ARGOCD_APP_NAMESPACE": application["spec"]["destination"]["namespace"],
        "ARGOCD_APP_PROJECT_NAME": application["spec"]["project"],
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": revision[:8],
        "ARGOCD_APP_SOURCE_PATH": source["path"],
        "ARGOCD_APP_SOURCE_REPO_URL": source["repoURL"],
        "ARGOCD_APP_SOURCE_TARGET_REVISION": source["targetRevision"],
        "KUBE_VERSION": kube_version,
        "KUBE_API_VERSIONS": ",".join(api_versions),
    }
    for item in source["plugin"].get("env", []):
        value = env_overrides.get(item["name"], item["value"])
        if value:  # the CMP server drops empty entries
            env[f"ARGOCD_ENV_{item['name']}"] = value
    return env


ENV_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_env(container: dict, *, secrets: dict[tuple[str, str], str],
                  paths: dict[str, Path]) -> dict[str, str]:
    """A container's env as the kubelet gives it: values, secretKeyRef from ``secrets``, and
    ``$(NAME)`` of an entry before it; paths under a key of ``paths`` moved to that directory
    (the container's file system, here)."""
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[(ref["name"], ref["key"])]
            continue
        value = ENV_REFERENCE.sub(lambda m: env.get(m[1], m[0]), item["value"])
        for prefix, directory in paths.items():
            if value == prefix or value.startswith(prefix + "/"):
                value = str(directory) + value[len(prefix):]
        env[item["name"]] = value
    return env


DOCKER_ARG = re.compile(r"^ARG\s+(\w+)=(\S+)\s*$", re.MULTILINE)
DOCKER_RUN = re.compile(r"^RUN\s+(.+)$", re.MULTILINE)
DOCKER_COPY = re.compile(r"^COPY\s+(?!--)(\S+)\s+(\S+)\s*$", re.MULTILINE)


def dockerfile_args(text: str) -> dict[str, str]:
    return dict(DOCKER_ARG.findall(text))


def dockerfile_runs(text: str) -> list[str]:
    return DOCKER_RUN.findall(text)


def dockerfile_copies(text: str) -> list[tuple[str, str]]:
    """(source in the build context, destination) of each COPY that is not from a stage."""
    return DOCKER_COPY.findall(text)


# GitHub Actions (a job's steps, in order, as the runner runs them)

CONTEXT = re.compile(r"\$\{\{\s*(\w+)\.(\w+)\s*\}\}")
EVENT_CONDITION = re.compile(r"github\.event_name\s*(==|!=)\s*'(\w+)'")


@dataclass
class Step:
    """One step of a job: a `run` script or a `uses` action, with its inputs evaluated."""

    name: str
    run: str | None
    uses: str | None
    with_: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def evaluate_expressions(text: str, contexts: dict[str, dict[str, str]]) -> str:
    """`${{ secrets.X }}`, `${{ vars.X }}`, `${{ env.X }}` replaced; no other expression."""
    evaluated = CONTEXT.sub(lambda m: contexts[m.group(1)][m.group(2)], text)
    assert "${{" not in evaluated, f"an expression the test does not evaluate: {text}"
    return evaluated


GITHUB_TOKEN = re.compile(r"\s*(?:(==|!=|&&|\|\|)|'([^']*)'|github\.(\w+))")


def github_expression(text: str, github: dict[str, str]) -> str:
    """A string with `${{ ... }}` expressions over the `github` context: its properties,
    '...' literals, ==, !=, && and || (GitHub's precedence: && before ||; each returns an
    operand, as in the workflow syntax); no other expression."""
    def evaluate(expression: str) -> str:
        tokens: list[tuple[str, str]] = []
        position = 0
        while expression[position:].strip():
            token = GITHUB_TOKEN.match(expression, position)
            assert token, f"an expression the test does not evaluate: {expression}"
            position = token.end()
            if token.group(1):
                tokens.append(("op", token.group(1)))
            else:
                value = token.group(2) if token.group(2) is not None else github[token.group(3)]
                tokens.append(("value", value))
        alternatives = [[]]  # a || b || ..., each a && b && ..., each a == b or a value
        for kind, value in tokens:
            if (kind, value) == ("op", "||"):
                alternatives.append([])
            else:
                alternatives[-1].append((kind, value))

        def term(parts: list[tuple[str, str]]) -> str:
            if len(parts) == 3 and parts[1][1] in ("==", "!="):
                equal = parts[0][1].casefold() == parts[2][1].casefold()  # as GitHub compares
                return "true" if equal == (parts[1][1] == "==") else ""
            assert len(parts) == 1 and parts[0][0] == "value", expression
            return parts[0][1]

        result = ""
        for alternative in alternatives:
            conjuncts: list[list[tuple[str, str]]] = [[]]
            for part in alternative:
                if part == ("op", "&&"):
                    conjuncts.append([])
                else:
                    conjuncts[-1].append(part)
            for conjunct in conjuncts:
                result = term(conjunct)
                if not result:
                    break
            if result:
                return result
        return result

    evaluated = re.sub(r"\$\{\{(.*?)\}\}", lambda m: evaluate(m.group(1)), text)
    assert "${{" not in evaluated, text
    return evaluated


def condition_holds(condition: str | None, event_name: str) -> bool:
    if condition is None:
        return True
    match = EVENT_CONDITION.fullmatch(condition.strip())
    assert match, f"a condition the test does not evaluate: {condition}"
    return (event_name == match.group(2)) == (match.group(1) == "==")


def job_steps(workflow: dict, job: str, *, event_name: str,
              contexts: dict[str, dict[str, str]]) -> list[Step]:
    """The steps that run for the event, with `with` and `env` evaluated."""
    env = {**workflow.get("env", {}), **workflow["jobs"][job].get("env", {})}
    contexts = {**contexts, "env": env}
    steps = []
    for raw in workflow["jobs"][job]["steps"]:
        if not condition_holds(raw.get("if"), event_name):
            continue
        evaluate = lambda mapping: {  # noqa: E731
            key: evaluate_expressions(str(value), contexts) for key, value in mapping.items()}
        steps.append(Step(raw.get("name", raw.get("uses", "")), raw.get("run"), raw.get("uses"),
                          evaluate(raw.get("with", {})), evaluate(raw.get("env", {}))))
    return steps


def read_env_file(path: Path) -> dict[str, str]:
    """$GITHUB_ENV's NAME=value lines."""
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if line)


def read_path_file(path: Path) -> list[str]:
    """$GITHUB_PATH's lines, the latest first, as the runner prepends them to PATH."""
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in reversed(lines) if line]


# GitLab CI (a job, its `extends` and `rules`, before_script and script in one shell)

GITLAB_RULE = re.compile(r'\$(\w+)\s*==\s*(?:"([^"]*)"|\$(\w+))')


def gitlab_job(pipeline: dict, name: str) -> dict:
    """The job with its `extends` template merged in, and every level's variables."""
    job = pipeline[name]
    template = pipeline[job["extends"]] if "extends" in job else {}
    merged = {**template, **job}
    merged["variables"] = {**pipeline.get("variables", {}), **template.get("variables", {}),
                           **job.get("variables", {})}
    return merged


def gitlab_rule_matches(job: dict, variables: dict[str, str]) -> bool:
    """Whether a job runs: its first `if` rule, `$A == "x"` or `$A == $B` only."""
    condition = job["rules"][0]["if"]
    match = GITLAB_RULE.fullmatch(condition.strip())
    assert match, f"a rule the test does not evaluate: {condition}"
    left = variables.get(match.group(1))
    right = match.group(2) if match.group(2) is not None else variables.get(match.group(3))
    return left is not None and left == right


def gitlab_script(job: dict) -> str:
    """before_script and script as the runner's bash runs them: in one shell, stopping at the
    first failing line."""
    return "\n".join(["set -eo pipefail", *job.get("before_script", []), *job["script"]]) + "\n"


def gitlab_after_script(job: dict) -> str:
    """after_script as the runner runs it once the job's script ended: a shell of its own."""
    return "\n".join(["set -eo pipefail", *job.get("after_script", [])]) + "\n"
