"""The names of the Secrets written for a workload, built in one place."""

from post_renderer.render.release.owned_names import OwnedNames


def test_every_owned_secret_is_named_after_the_workload_and_distinct():
    names = OwnedNames("spot-ctl")
    assert names.all() == ("spot-ctl-ca-bundle", "spot-ctl-ocean-proxy",
                           "spot-ctl-ocean-proxy-ca", "spot-ctl-ocean-proxy-values")
    assert len(set(names.all())) == 4


def test_the_secret_beside_a_configmap_is_named_after_the_configmap():
    assert OwnedNames.shared_proxy("spot-cm") == "spot-cm-ocean-proxy"
