"""The chart's CA values read off helm's command line, merged as helm merges them: the values
files in order, then the --set flags (--set-json first), in helm's order."""

from __future__ import annotations

import os
import threading

import pytest

from post_renderer.commands.helm_values import ca_value_without_create

CHART = ["upgrade", "--install", "r", "spot/ocean-kubernetes-controller"]


@pytest.mark.parametrize(("flags", "said"), [
    ([], False),
    (["--set-file", "caBundleSecret.data=ca.pem"], True),
    (["--set-file=caBundleSecret.data=ca.pem"], True),
    (["--set", "spotinst.proxyUrl=http://p:3128,caBundleSecret.data=PEM"], True),
    (["--set-string", "caBundleSecret.data=PEM", "--set", "caBundleSecret.create=true"], False),
    (["--set", "caBundleSecret.create=true,caBundleSecret.data=PEM"], False),
    (["--set", "caBundleSecret.data="], False),
    (["--post-renderer-args", "--set caBundleSecret.data=PEM"], False),  # ocean-proxy's own
    # helm reads no pairs in --set-literal, nor past an escaped comma: the rest is the CA's
    (["--set-literal", "caBundleSecret.data=PEM,caBundleSecret.create=true"], True),
    (["--set", r"caBundleSecret.data=PEM\,caBundleSecret.create=true"], True),
])
def test_a_ca_value_without_create_true_is_found_in_the_set_flags(flags, said):
    assert ca_value_without_create([*CHART, *flags]) is said


def test_values_files_are_read_in_order_and_the_set_flags_win(tmp_path):
    data = tmp_path / "ca.yaml"
    data.write_text("caBundleSecret:\n  data: |\n    -----BEGIN CERTIFICATE-----\n")
    create = tmp_path / "create.yaml"
    create.write_text("caBundleSecret:\n  create: true\n")
    off = tmp_path / "off.yaml"
    off.write_text("caBundleSecret:\n  create: false\n")

    assert ca_value_without_create([*CHART, "-f", str(data)])
    assert ca_value_without_create([*CHART, f"-f{data}"])
    assert not ca_value_without_create([*CHART, f"--values={data},{create}"])
    assert ca_value_without_create([*CHART, "-f", str(data), "-f", str(create), "-f", str(off)])
    assert ca_value_without_create([*CHART, "-f", str(create), "--set-file",
                                    "caBundleSecret.data=ca.pem", "--set",
                                    "caBundleSecret.create=false"])


@pytest.mark.parametrize(("flags", "said"), [
    (["--set-json", 'caBundleSecret={"data": "PEM"}'], True),
    (["--set-json=caBundleSecret.data=\"PEM\""], True),
    (["--set-json", 'spotinst.proxyUrl="http://p:3128",caBundleSecret.data="a,b"'], True),
    (["--set-json", 'caBundleSecret={"data": "PEM", "create": true}'], False),
    (["--set-json", "caBundleSecret.create=true", "--set-file", "caBundleSecret.data=ca.pem"],
     False),
    # a JSON object replaces the whole map: the create=true of a values file before it is gone
    (["--set-json", 'caBundleSecret={"data": "PEM"}', "--set", "caBundleSecret.create=true"],
     False),
    (["--set-json", 'caBundleSecret.data= "PEM"'], True),
    (["--set-json", "caBundleSecret.data=null"], False),
    (["--set-json", "caBundleSecret.data=not json"], False),  # helm refuses it before this
])
def test_a_ca_value_given_as_json_is_found(flags, said):
    """--set-json (helm 3.10 and later, 4): key=JSON pairs, separated by commas outside the
    JSON; a CA given so and not create=true reaches no pod, as with --set."""
    assert ca_value_without_create([*CHART, *flags]) is said


@pytest.mark.parametrize(("flags", "said"), [
    # helm applies --set, then --set-string, then --set-file, whatever order they were typed in
    (["--set-file", "caBundleSecret.data=ca.pem", "--set", "caBundleSecret.data="], True),
    (["--set-file", "caBundleSecret.data=ca.pem", "--set-string", "caBundleSecret.data="], True),
    (["--set-literal", "caBundleSecret.data=", "--set-file", "caBundleSecret.data=ca.pem"],
     False),
    (["--set", "caBundleSecret.create=true", "--set-json", "caBundleSecret.create=false",
      "--set-file", "caBundleSecret.data=ca.pem"], False),
])
def test_the_set_flags_are_merged_in_helms_order_not_the_typed_one(flags, said):
    assert ca_value_without_create([*CHART, *flags]) is said


@pytest.mark.parametrize("content", [b"caBundleSecret: [1, 2\n", b"\xff\xfe", b"- a list\n"])
def test_a_values_file_this_cannot_read_says_nothing(tmp_path, content):
    broken = tmp_path / "values.yaml"
    broken.write_bytes(content)
    assert not ca_value_without_create([*CHART, "-f", str(broken), "-f", str(tmp_path / "gone")])


def test_a_values_file_that_is_a_fifo_helm_has_read_is_not_waited_on(tmp_path):
    """'helm upgrade -f FIFO': helm reads the FIFO, its writer is gone; opened again here, it
    waited for another writer for ever, and helm with it."""
    fifo = tmp_path / "values.yaml"
    os.mkfifo(fifo)
    said: list[bool] = []
    reader = threading.Thread(target=lambda: said.append(ca_value_without_create(
        [*CHART, "-f", str(fifo), "--set-file", "caBundleSecret.data=ca.pem"])), daemon=True)
    reader.start()
    reader.join(timeout=10)
    waited = reader.is_alive()
    if waited:  # let the waiting open return, so the thread ends
        with open(fifo, "wb"):
            pass
        reader.join(timeout=10)
    assert not waited
    assert said == [True]


@pytest.mark.parametrize("content, said", [
    # go-yaml, helm's reader, takes a repeated key's last value
    ("caBundleSecret: {data: CA, create: false}\ncaBundleSecret: {data: CA, create: true}\n",
     False),
    ("caBundleSecret: {data: CA, create: true}\ncaBundleSecret: {data: CA}\n", True),
    # and a plain '=' as text, where YAML 1.1's 'value' type has no constructor in ruamel
    ("caBundleSecret: {data: CA}\npodAnnotations: {a: =}\n", True),
    # helm 3 reads the first document
    ("caBundleSecret: {data: CA}\n---\ncaBundleSecret: {create: true}\n", True),
])
def test_a_values_file_is_read_as_helm_reads_it(tmp_path, content, said):
    values = tmp_path / "values.yaml"
    values.write_text(content)
    assert ca_value_without_create(["upgrade", "r", "chart", "-f", str(values)]) is said
