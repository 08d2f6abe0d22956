"""The kubelet's view of a container: env resolution and Secret files, as Kubernetes does it."""

from __future__ import annotations

import base64
import doctest

import pytest

from . import kubelet_view
from .kubelet_view import (
    SERVICE_ENV,
    ContainerCannotStart,
    FileNotMounted,
    NotEmulated,
    container_view,
    expand,
)


def secret(name: str, **data: bytes) -> dict:
    return {"kind": "Secret", "metadata": {"name": name},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


def configmap(name: str, **data: str) -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def pod(*env: dict, mounts: tuple = (), volumes: tuple = (), env_from: tuple = ()) -> dict:
    container = {"name": "app", "env": list(env), "volumeMounts": list(mounts)}
    if env_from:
        container["envFrom"] = list(env_from)
    return {"spec": {"containers": [container], "volumes": list(volumes)}}


def env_of(docs: list[dict], template: dict) -> dict[str, str]:
    return container_view(docs, template, "app", namespace="ns").env


def test_docstring_example_holds():
    assert doctest.testmod(kubelet_view).failed == 0


@pytest.mark.parametrize(("value", "expanded"), [
    ("$(KUBERNETES_SERVICE_HOST),.svc", "10.96.0.1,.svc"),
    ("$$(KUBERNETES_SERVICE_HOST)", "$(KUBERNETES_SERVICE_HOST)"),
    ("$(UNDEFINED)", "$(UNDEFINED)"),
    ("$(A", "$(A"),
    ("cost: 5$", "cost: 5$"),
    ("$x$$", "$x$"),
])
def test_dependent_variables_expand_as_in_kubernetes(value, expanded):
    assert expand(value, SERVICE_ENV) == expanded


def test_a_value_sees_earlier_variables_not_later_ones():
    env = env_of([], pod({"name": "A", "value": "a"}, {"name": "B", "value": "$(A)-$(C)"},
                         {"name": "C", "value": "c"}))

    assert env["B"] == "a-$(C)"


def test_the_container_may_override_a_service_variable():
    env = env_of([], pod({"name": "KUBERNETES_SERVICE_HOST", "value": "mine"},
                         {"name": "X", "value": "$(KUBERNETES_SERVICE_HOST)"}))

    assert env["X"] == "mine" and env["KUBERNETES_SERVICE_HOST"] == "mine"


def test_key_refs_read_the_rendered_objects_and_optional_missing_ones_are_skipped():
    docs = [secret("s", token=b"T"), configmap("c", url="http://p:1")]
    env = env_of(docs, pod(
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}},
        {"name": "URL", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "url"}}},
        {"name": "GONE", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "nope",
                                                           "optional": True}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}))

    assert (env["TOKEN"], env["URL"], env["POD"]) == ("T", "http://p:1", "ns")
    assert "GONE" not in env


def test_a_required_missing_key_stops_the_container():
    with pytest.raises(ContainerCannotStart, match="s/token"):
        env_of([], pod({"name": "T", "valueFrom": {"secretKeyRef": {"name": "s",
                                                                     "key": "token"}}}))


def test_of_two_entries_of_a_name_the_last_is_given():
    """The chart's USER_ENV_CERTIFICATES and an extraEnv one after it: the API server keeps
    both (and warns that the second "hides previous definition"); the kubelet sets each in
    turn, so the container gets the last."""
    docs = [secret("ca", pem=b"chart")]
    env = env_of(docs, pod(
        {"name": "CA", "valueFrom": {"secretKeyRef": {"name": "ca", "key": "pem"}}},
        {"name": "CA", "value": "extra-env"}))

    assert env["CA"] == "extra-env"


def test_a_later_optional_reference_to_nothing_leaves_the_earlier_value():
    """The kubelet passes over an optional reference to a missing key: it sets nothing, so
    the entry before it stands."""
    env = env_of([configmap("c")], pod(
        {"name": "CA", "value": "extra-env"},
        {"name": "CA", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "pem",
                                                         "optional": True}}}))

    assert env["CA"] == "extra-env"


def test_env_from_comes_first_and_env_wins():
    docs = [configmap("c", A="from-configmap", B="b")]
    env = env_of(docs, pod({"name": "A", "value": "from-env"},
                           env_from=({"configMapRef": {"name": "c"}},)))

    assert (env["A"], env["B"]) == ("from-env", "b")


def test_secret_volume_items_pick_keys_and_a_missing_subpath_is_an_empty_directory():
    docs = [secret("s", a=b"A", b=b"B")]
    volume = {"name": "v", "secret": {"secretName": "s", "items": [{"key": "a", "path": "x/a"}]}}
    view = container_view(docs, pod(mounts=({"name": "v", "mountPath": "/etc/v"},),
                                    volumes=(volume,)), "app", namespace="ns")

    assert dict(view.secret_mounts[0].files) == {"x/a": b"A"}
    # the container starts, with an empty directory where the file was meant to be: said
    # unless the caller takes such a view
    missing = pod(mounts=({"name": "v", "mountPath": "/etc/b", "subPath": "b"},),
                  volumes=(volume,))
    with pytest.raises(FileNotMounted, match="/etc/b"):
        container_view(docs, missing, "app", namespace="ns")
    taken = container_view(docs, missing, "app", namespace="ns", empty_directories_ok=True)
    assert taken.empty_directories == ["/etc/b"]
    assert view.empty_directories == []


def test_other_volumes_under_etc_are_refused_elsewhere_left_out():
    volumes = ({"name": "cfg", "configMap": {"name": "c"}}, {"name": "tmp", "emptyDir": {}})
    view = container_view([], pod(mounts=({"name": "tmp", "mountPath": "/tmp"},),
                                  volumes=volumes), "app", namespace="ns")
    assert view.secret_mounts == ()

    with pytest.raises(NotEmulated, match="/etc/ssl/certs/x"):
        container_view([], pod(mounts=({"name": "cfg", "mountPath": "/etc/ssl/certs/x"},),
                               volumes=volumes), "app", namespace="ns")
