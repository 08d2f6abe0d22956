"""``ocean-proxy values --values FILE`` reads the user's values file as helm does, and refuses
what it cannot copy as the chart reads it, in one line naming the key and the file.

What helm accepts (a repeated key, several documents that agree for helm 3 and helm 4) is
accepted; a string or a mapping where the chart has a list, an alias bomb, an alias inside
itself and documents that helm 3 and helm 4 read differently are refused, with nothing
written and nothing of the value quoted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import ocean_proxy, run_command
from .test_adversarial import laughs
from .test_secrets_file import ENCODED, PROXY, assert_refused, manifests

__all__ = ["manifests"]  # the fixture, shared with test_secrets_file

SECRET_VALUE = "S3cr3t-Pa55-in-values"


def values_with(manifests: Path, tmp_path: Path, text: str):
    user = tmp_path / "my-values.yaml"
    user.write_text(text)
    secrets = tmp_path / "secrets.yaml"
    run = ocean_proxy("values", "--proxy-url", PROXY, "--filename", manifests,
                      "--values", user, "--secrets", secrets)
    return run, secrets


def refused(manifests: Path, tmp_path: Path, text: str, fragment: str) -> None:
    run, secrets = values_with(manifests, tmp_path, text)
    assert_refused(run, fragment)
    assert SECRET_VALUE not in run.stderr
    assert not secrets.exists()


@pytest.mark.parametrize("key, text", [
    ("extraEnv", f'extraEnv: "{SECRET_VALUE}"\n'),
    ("extraEnv", f"extraEnv: {{a: {SECRET_VALUE}}}\n"),
    ("extraEnv", "extraEnv: !!binary UzNjcjN0LVBhNTUtaW4tdmFsdWVz\n"),
    ("extraVolumes", "extraVolumes: ocean\n"),
    ("extraVolumeMounts", "extraVolumeMounts: 3\n"),
    ("logShipping.extraEnv", f"logShipping:\n  extraEnv: {SECRET_VALUE}\n"),
    ("logShipping.extraVolumeMounts", "logShipping:\n  extraVolumeMounts: {a: b}\n"),
])
def test_a_list_given_as_anything_else_is_refused_not_split(manifests, tmp_path, key, text):
    refused(manifests, tmp_path, text, f"{key} in {tmp_path / 'my-values.yaml'} is not a list")


@pytest.mark.parametrize("key, text", [
    ("podAnnotations", "podAnnotations: [a, b]\n"),
    ("podAnnotations", f"podAnnotations: {SECRET_VALUE}\n"),
    ("logShipping", "logShipping: on\n"),
])
def test_a_mapping_given_as_anything_else_is_refused(manifests, tmp_path, key, text):
    refused(manifests, tmp_path, text,
            f"{key} in {tmp_path / 'my-values.yaml'} is not a mapping")


def test_an_entry_that_is_not_a_mapping_is_refused(manifests, tmp_path):
    refused(manifests, tmp_path, f"extraEnv:\n- name: A\n  value: b\n- {SECRET_VALUE}\n",
            "extraEnv in " + str(tmp_path / "my-values.yaml") + ": entry 2 is not a mapping")


@pytest.mark.parametrize("text, says", [
    ("extraEnv:\n- name: [A]\n  value: b\n",
     "extraEnv in {f}: the name of entry 1 is not a string"),
    ("extraVolumeMounts:\n- {mountPath: {a: b}, name: v}\n",
     "extraVolumeMounts in {f}: the mountPath of entry 1 is not a string"),
    ("podAnnotations:\n  1: one\n  true: two\n", "podAnnotations in {f} has a key that is not"),
], ids=["env name a list", "mount path a mapping", "annotation keys 1 and true"])
def test_what_kubernetes_reads_as_a_string_must_be_one(manifests, tmp_path, text, says):
    """Names compared with ours, and annotation keys (1 and true are one key to Python)."""
    refused(manifests, tmp_path, text, says.format(f=tmp_path / "my-values.yaml"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    "laughs:\n" + laughs("  ") + "extraEnv:\n- name: LAUGHS\n  value: *lol9\n",
    "laughs:\n" + laughs("  ") + "podAnnotations:\n  laughs: *lol9\n",
    "laughs:\n" + laughs("  ") + "logShipping:\n  extraVolumeMounts:\n  - {name: a, x: *lol9}\n",
], ids=["extraEnv", "podAnnotations", "logShipping"])
def test_an_alias_bomb_where_the_values_are_copied_is_one_error(manifests, tmp_path, text):
    """Ten levels of ten aliases: 10**10 strings once expanded; helm refuses it too."""
    refused(manifests, tmp_path, text, "is too large to copy")


def test_an_alias_inside_itself_is_one_error(manifests, tmp_path):
    refused(manifests, tmp_path, "extraEnv: &env\n- name: A\n  valueFrom: *env\n",
            "an alias inside itself")


@pytest.mark.timeout(60)
def test_an_alias_bomb_the_values_do_not_copy_is_left_alone(manifests, tmp_path):
    run, secrets = values_with(manifests, tmp_path, "laughs:\n" + laughs("  ", levels=30)
                               + "extraEnv:\n- name: CORP_TRACE\n  value: 'on'\n")
    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout)["extraEnv"][0] == {"name": "CORP_TRACE", "value": "on"}
    assert ENCODED in secrets.read_text()


def helm_reads(helm: Path, tmp_path: Path, text: str) -> dict:
    """The values helm gives a chart's templates for ``text`` as a values file."""
    chart = tmp_path / "echo"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: echo\nversion: 0.1.0\n")
    (chart / "templates" / "values.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n"
        "  values: {{ toJson .Values | quote }}\n")
    values = tmp_path / "read-by-helm.yaml"
    values.write_text(text)
    run = run_command([helm, "template", "t", chart, "-f", values])
    assert run.returncode == 0, run.stderr
    return yaml.safe_load(yaml.safe_load(run.text)["data"]["values"])


REPEATED_KEY = ("extraEnv:\n- name: FIRST\n  value: one\n"
                "extraEnv:\n- name: LAST\n  value: two\n")
AGREEING_DOCUMENTS = ("extraEnv:\n- name: FIRST_DOC\n  value: one\n---\n# nothing here\n"
                      "---\nreplicaCount: 2\n")


LOG_SHIPPING_UNCOPIED = ("extraEnv:\n- name: FIRST_DOC\n  value: one\n---\n"
                         "logShipping:\n  enabled: false\n")


# go-yaml reads a plain '=' or '<<' value as its text; YAML 1.1 types it as 'value' or 'merge'
PLAIN_SIGNS = "extraEnv:\n- name: SEPARATOR\n  value: =\n- name: HEREDOC\n  value: <<\n"


@pytest.mark.parametrize("text", [REPEATED_KEY, AGREEING_DOCUMENTS, LOG_SHIPPING_UNCOPIED,
                                  PLAIN_SIGNS],
                         ids=["repeated key", "documents both helms agree on",
                              "a later logShipping key that is not copied",
                              "a plain '=' or '<<' value"])
def test_what_helm_3_and_4_both_accept_is_read_as_they_read_it(
        manifests, tmp_path, helm3, helm4, text):
    run, _ = values_with(manifests, tmp_path, text)

    assert run.returncode == 0, run.stderr
    helms = [helm_reads(helm, tmp_path, text)["extraEnv"] for helm in (helm3, helm4)]
    names = {entry["name"] for entry in helms[0]}
    ours = [entry for entry in yaml.safe_load(run.stdout)["extraEnv"] if entry["name"] in names]
    assert ours == helms[0] == helms[1]


# annotation names a YAML 1.1 reader, as helm is, takes for a boolean, a number or a time
# when written plain: quoted in the user's file, they must stay names in ocean-proxy's
YAML11_NAMES = {"y": "1", "on": "2", "No": "3", "1_000": "4", "12:30": "5", "0o17": "6"}


def test_annotation_names_helm_reads_as_booleans_or_numbers_stay_names(manifests, tmp_path,
                                                                       helm3, helm4):
    text = "podAnnotations:\n" + "".join(f'  "{name}": "{value}"\n'
                                         for name, value in YAML11_NAMES.items())
    assert helm_reads(helm3, tmp_path, text)["podAnnotations"] == YAML11_NAMES

    run, _ = values_with(manifests, tmp_path, text)

    assert run.returncode == 0, run.stderr
    for helm in (helm3, helm4):
        annotations = helm_reads(helm, tmp_path, run.text)["podAnnotations"]
        assert {name: annotations.get(name) for name in YAML11_NAMES} == YAML11_NAMES
        assert all(name.startswith("checksum/") for name in set(annotations) - set(YAML11_NAMES))
    # the file a user reviews and commits quotes those names only, not every key
    assert set(re.findall(r'^ *(?:- )?"([^"]*)":', run.text, re.MULTILINE)) == set(YAML11_NAMES)


def test_documents_helm_3_and_4_read_differently_are_refused(manifests, tmp_path, helm3,
                                                              helm4):
    text = "extraEnv:\n- name: A\n  value: one\n---\nextraEnv:\n- name: B\n  value: two\n"
    assert helm_reads(helm3, tmp_path, text) != helm_reads(helm4, tmp_path, text)

    refused(manifests, tmp_path, text, "extraEnv in " + str(tmp_path / "my-values.yaml")
            + " is set in document 2: helm 3 reads only the first document")



def test_a_values_file_larger_than_any_chart_s_is_refused_not_read_cut_short(manifests,
                                                                           tmp_path):
    """Cut at the limit, the settings past it would be lost without a word."""
    padding = "# " + "x" * 1021 + "\n"  # 1 KiB a line
    refused(manifests, tmp_path, padding * (16 * 1024) + "extraEnv: []\n",
            f"values file {tmp_path / 'my-values.yaml'} is larger than 16 MiB")


@pytest.mark.parametrize("text, line", [
    ("spotinst:\n  clusterIdentifier: prod\nextraEnv:\n\t- name: CORP_TRACE\n", 4),
    ("extraEnv:\n  - name: CORP_TRACE\n\t  value: 'on'\n", 3),
], ids=["tab before an entry", "tab before a key"])
def test_a_tab_that_helm_refuses_is_named_with_its_line(manifests, tmp_path, helm3, helm4,
                                                        text, line):
    """The values file the user gives helm with -f: saying it is not the one they give helm
    sends them looking for another file; the tab, and where, is what they must fix."""
    for helm in (helm3, helm4):  # the same file helm refuses: the message says so
        values = tmp_path / "read-by-helm.yaml"
        values.write_text(text)
        chart = tmp_path / "echo"
        (chart / "templates").mkdir(parents=True, exist_ok=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: echo\nversion: 0.1.0\n")
        assert run_command([helm, "template", "t", chart, "-f", values]).returncode != 0

    run, secrets = values_with(manifests, tmp_path, text)

    assert_refused(run, f"values file {tmp_path / 'my-values.yaml'} has a tab at line {line}, "
                        "column 1, where YAML allows only spaces")
    assert run.stderr.splitlines()[-1].endswith("indent with spaces: YAML does not read tabs "
                                                "there, and helm refuses the file too")
    assert not secrets.exists()


def test_other_broken_yaml_is_named_with_its_line(manifests, tmp_path):
    refused(manifests, tmp_path, f"extraEnv: [{{name: A, value: {SECRET_VALUE}}}\nother: 1\n",
            f"values file {tmp_path / 'my-values.yaml'} is not valid YAML at line 2")


def test_a_values_file_not_in_utf8_is_told_to_be_saved_as_utf8(manifests, tmp_path, helm3,
                                                                helm4):
    """A Latin-1 'é' in an annotation: helm refuses the file too; the hint said to give 'the
    values file you pass to helm', which this is."""
    text = "podAnnotations:\n  owner: \"Ren\xe9\"\n"
    chart = tmp_path / "echo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: echo\nversion: 0.1.0\n")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(text.encode("latin-1"))
    for helm in (helm3, helm4):
        assert run_command([helm, "template", "t", chart, "-f", latin1]).returncode != 0

    user = tmp_path / "my-values.yaml"
    user.write_bytes(text.encode("latin-1"))
    run = ocean_proxy("values", "--proxy-url", PROXY, "--filename", manifests,
                      "--values", user, "--secrets", tmp_path / "secrets.yaml")
    assert_refused(run, f"values file {user} is not UTF-8 text (byte 29)")
    assert run.stderr.splitlines()[-1].endswith("hint: save it as UTF-8: helm refuses it too")
