"""Which Spot agent a workload runs, recognised by what it is, whatever it is called."""

from __future__ import annotations

from ruamel.yaml import YAML

from post_renderer.render.release.agents import (
    CONTROLLER,
    NETWORK_CLIENT,
    UNNAMED_AGENT,
    recognise,
)


def deployment(container: str) -> dict:
    """A Deployment without the chart's pod labels, running the one container given."""
    return YAML(typ="safe").load(f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: renamed
spec:
  template:
    metadata:
      labels:
        app: renamed
    spec:
      containers:
{container}""")


def test_a_mirrored_image_under_another_container_name_is_still_the_agent():
    """A registry with a port, a tag and a digest around the image's last part."""
    mirrored = deployment("""\
      - name: main
        image: mirror.corp:5000/spotinst/spot-network-client:1.0.3@sha256:0123abcd
""")
    assert recognise(mirrored, "Deployment") == NETWORK_CLIENT
    tagged = deployment("""\
      - name: main
        image: spotinst/ocean-kubernetes-controller:2.0.59
""")
    assert recognise(tagged, "Deployment") == CONTROLLER


def test_an_image_whose_name_only_starts_like_an_agents_is_not_that_agent():
    lookalike = deployment("""\
      - name: main
        image: corp/ocean-kubernetes-controller-dashboard:1.0
""")
    assert recognise(lookalike, "Deployment") is None


def test_a_container_reading_the_spot_token_from_a_secret_is_a_spot_agent():
    """Failing its name, image and labels, the env tells a Spot agent: it talks to the Spot
    API with the token. A token written as a plain value, or another Secret key, does not."""
    reads_token = deployment("""\
      - name: main
        image: corp/agent:1
        env:
        - name: SPOTINST_TOKEN
          valueFrom:
            secretKeyRef: {name: spot, key: token}
""")
    assert recognise(reads_token, "Deployment") == UNNAMED_AGENT
    plain = deployment("""\
      - name: main
        image: corp/agent:1
        env:
        - name: SPOTINST_TOKEN
          value: not-from-a-secret
""")
    assert recognise(plain, "Deployment") is None
    other = deployment("""\
      - name: main
        image: corp/agent:1
        env:
        - name: DATABASE_PASSWORD
          valueFrom:
            secretKeyRef: {name: db, key: password}
""")
    assert recognise(other, "Deployment") is None
