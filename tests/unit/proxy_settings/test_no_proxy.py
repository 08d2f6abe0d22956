"""NO_PROXY: the in-cluster defaults first, then the user's entries, checked and sorted."""

from __future__ import annotations

import pytest

from post_renderer.errors import ConfigError
from post_renderer.proxy_settings.no_proxy import (
    DEFAULT_NO_PROXY,
    idna_form,
    no_proxy_entries,
    parse_no_proxy,
)


def test_entries_are_split_trimmed_lower_cased_and_normalised():
    assert parse_no_proxy(["Corp.Example, 10.1.2.3/8 ,", "[::1]", "*.svc.corp:8443"], "x") == \
        ("corp.example", "10.0.0.0/8", "::1", "*.svc.corp:8443")


def test_user_entries_follow_the_defaults_sorted_and_without_repeats():
    entries = no_proxy_entries(["b.example", ".svc", "a.example", "b.example"])
    assert entries == (*DEFAULT_NO_PROXY, "a.example", "b.example")


def test_without_additions_the_in_cluster_traffic_stays_direct():
    """The API server (by the variable Kubernetes sets), Services, loopback by name and by
    address, and the cloud's metadata address: the pods reach none of them through the proxy."""
    assert no_proxy_entries([]) == ("$(KUBERNETES_SERVICE_HOST)", ".svc", ".cluster.local",
                                    "localhost", "127.0.0.1", "169.254.169.254")


def test_the_order_the_user_gives_does_not_matter():
    assert no_proxy_entries(["b", "a"]) == no_proxy_entries(["a", "b"])


@pytest.mark.parametrize("entry, words", [
    ("*", "would send nothing through the proxy"),
    ("http://corp.example", "an entry is a URL"),
    ("10.0.0.0/99", "is not a valid CIDR"),
    ("bad_host!", "is not a NO_PROXY entry"),
])
def test_unusable_entries_are_refused_naming_the_source(entry, words):
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    assert caught.value.message.startswith("--no-proxy: ") and words in caught.value.message


def test_a_service_name_with_an_underscore_is_an_entry_as_the_proxy_url_takes_it():
    """Compose and Swarm service names (my_db), which the proxy URL takes as hosts, are hosts
    Go's NO_PROXY sends direct too (test_no_proxy_go checks it): refusing them left a host the
    user must reach directly going through the proxy."""
    assert parse_no_proxy(["My_DB.corp.internal, .corp_int, squid_proxy:3128"], "x") == \
        ("my_db.corp.internal", ".corp_int", "squid_proxy:3128")


@pytest.mark.parametrize("value, message, hint", [
    ("*.corp.example;10.*;<local>",
     "'*.corp.example;10.*;<local>' separates entries by ';', as Windows' proxy bypass list does",
     "separate them by commas: *.corp.example,10.0.0.0/8; list by name the hosts '<local>' "
     "meant"),
    ("10.*", "'10.*' is a wildcard address, which NO_PROXY does not read",
     "give the network as a CIDR: 10.0.0.0/8"),
    ("192.168.*.*", "'192.168.*.*' is a wildcard address, which NO_PROXY does not read",
     "give the network as a CIDR: 192.168.0.0/16"),
    ("172.16.5.*", "'172.16.5.*' is a wildcard address, which NO_PROXY does not read",
     "give the network as a CIDR: 172.16.5.0/24"),
    ("<local>", "'<local>' (Windows' bypass of names without a dot) has no NO_PROXY form",
     "list those hosts by name, or their domain as .domain"),
])
def test_a_windows_proxy_bypass_list_is_told_its_no_proxy_form(value, message, hint):
    """A corporate bypass list copied from Windows' proxy settings: each form was only 'not a
    NO_PROXY entry', and the hint said nothing of ';', '10.*' or '<local>'."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "--no-proxy")
    assert (raised.value.message, raised.value.hint) == (f"--no-proxy: {message}", hint)


@pytest.mark.parametrize(("value", "hint"), [
    ("a.corp;b.corp", "separate them by commas: a.corp,b.corp"),
    ("192.168.*; .Corp.Example;172.16.5.*",
     "separate them by commas: 192.168.0.0/16,.corp.example,172.16.5.0/24"),
    ("10.*;api.spotinst.io", "separate them by commas: NO_PROXY is a comma-separated list, "
     "with each network as a CIDR (10.0.0.0/8, not 10.*)"),
    ("10.*;api.spotinst.io;<local>", "separate them by commas: NO_PROXY is a comma-separated "
     "list, with each network as a CIDR (10.0.0.0/8, not 10.*); list by name the hosts "
     "'<local>' meant"),
    ("<local>;", "separate them by commas: NO_PROXY is a comma-separated list; list by name "
     "the hosts '<local>' meant"),
    # a list too long to repeat in a hint line is told how, not written out
    (";".join(f"build-agent-{n}.corp.example" for n in range(10)),
     "separate them by commas: NO_PROXY is a comma-separated list"),
])
def test_a_list_separated_by_semicolons_is_told_whole_as_no_proxy_reads_it(value, hint):
    """The hint gives the list to write, each entry in its NO_PROXY form: said only 'separate
    them by commas', the user met '10.*' and then '<local>' one error at a time."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "--no-proxy")
    assert raised.value.hint == hint
    if "," in hint.partition(": ")[2] and "list" not in hint:
        assert parse_no_proxy([hint.partition(": ")[2]], "--no-proxy")  # the hint is taken


def test_the_cidr_a_wildcard_address_is_told_to_be_is_taken_as_that_network():
    assert parse_no_proxy(["10.0.0.0/8,192.168.0.0/16"], "x") == ("10.0.0.0/8", "192.168.0.0/16")


@pytest.mark.parametrize("value", ["10.*", "192.168.*.*", "0.*", "255.255.255.*", "300.5.*",
                                   "10.256.*", "010.*", "192.168.01.*"])
def test_a_wildcard_address_is_given_a_cidr_only_when_that_cidr_is_taken(value):
    """'300.5.*' was told 'give the network as a CIDR: 300.5.0.0/16', which is then refused
    as not a valid CIDR: a hint that fails when followed. One with no network to give is
    refused as any entry that is none."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "--no-proxy")
    cidr = raised.value.hint.partition("give the network as a CIDR: ")[2]
    if cidr:
        assert parse_no_proxy([cidr], "--no-proxy") == (cidr,)  # the hint, followed
    else:
        assert raised.value.message == f"--no-proxy: '{value}' is not a NO_PROXY entry"
    assert bool(cidr) == (value in ("10.*", "192.168.*.*", "0.*", "255.255.255.*"))


@pytest.mark.parametrize("value, listed", [
    (".corp.example\n10.0.0.0/8", ".corp.example,10.0.0.0/8"),
    ("  .corp.example   Intranet.Local ", ".corp.example,intranet.local"),
    ("10.0.0.0/8 # office", None),
])
def test_a_list_separated_by_spaces_or_lines_is_told_to_use_commas(value, listed):
    """A CI variable written one entry a line was 'is not a NO_PROXY entry', the line break
    shown as a space, with nothing said of what was wrong; the hint's list, followed, is
    taken."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "OCEAN_PROXY_NO_PROXY")
    assert raised.value.message.endswith(
        "holds a space or a line break: NO_PROXY separates its entries by commas only")
    if listed is None:
        assert raised.value.hint == "separate them by commas, with no spaces"
    else:
        assert raised.value.hint == f"separate them by commas: {listed}"
        assert ",".join(parse_no_proxy([listed], "x")) == listed


@pytest.mark.parametrize("value", ['"*.corp.example"', "'.corp.example'",
                                   '".corp.example,10.0.0.0/8"'])
def test_quotes_kept_from_a_dotenv_file_are_told_to_be_dropped(value):
    """docker's --env-file and YAML quoted twice keep the quotes: the message showed the entry
    in quotes of its own ('\'.corp.example\''), and said only that it was no entry."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "OCEAN_PROXY_NO_PROXY")
    assert "has quotes in it, which NO_PROXY would read as part of the name" in \
        raised.value.message
    assert raised.value.hint.startswith("drop the quotes")
    assert parse_no_proxy([value.replace('"', "").replace("'", "")], "x")


@pytest.mark.parametrize("value", ["corp..example.", "-corp.example.", "corp.example.."])
def test_a_trailing_dot_is_not_what_is_said_of_an_entry_wrong_without_it(value):
    """'drop the dot' is said only where the entry without it is one: after 'corp..example.'
    it named 'corp..example', which the next run refused in turn."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "--no-proxy")
    assert raised.value.message == f"--no-proxy: '{value}' is not a NO_PROXY entry"
    assert "dot" not in raised.value.hint


def test_a_long_list_on_lines_is_told_to_use_commas_in_a_short_hint():
    """A NO_PROXY of forty entries, one a line: the hint does not write the whole list out
    again (the error is one line the user reads, not the list)."""
    entries = [f".team{n}.corp.example" for n in range(40)]
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy(["\n".join(entries)], "OCEAN_PROXY_NO_PROXY")
    assert raised.value.hint == "separate them by commas, with no spaces"
    assert parse_no_proxy([",".join(entries)], "x") == tuple(entries)


@pytest.mark.parametrize(("entry", "written"), [
    ("[fe80::1%eth0]:8080", "[fe80::1%eth0]:8080"),
    ("[fe80::1%eth0]", "fe80::1%eth0"),
    ("[2001:DB8::1]", "2001:db8::1"),
])
def test_brackets_are_taken_off_an_ipv6_address_only_around_all_of_it(entry, written):
    """An address with a zone and a port keeps its brackets and port, as written; only an
    entry wholly in brackets is an address without them."""
    assert parse_no_proxy([entry], "--no-proxy") == (written,)


@pytest.mark.parametrize("entry, form", [
    ("bücher.example", "xn--bcher-kva.example"),
    ("Bücher.Example", "xn--bcher-kva.example"),
    (".bücher.example", ".xn--bcher-kva.example"),
    ("*.bücher.example", "*.xn--bcher-kva.example"),
    ("münchen.de:8443", "xn--mnchen-3ya.de:8443"),
    ("日本.example", "xn--wgv71a.example"),
])
def test_a_name_not_in_ascii_is_told_its_idna_form_which_is_taken(entry, form):
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    message = caught.value.message
    assert message.startswith("--no-proxy: ") and "is a name not in ASCII" in message
    assert caught.value.hint == f"write it as {form}"
    assert parse_no_proxy([form], "--no-proxy") == (form,)  # the hint, followed


@pytest.mark.parametrize("entry", [
    "straße.example",  # the Python codec (IDNA 2003) maps ß to ss; Go keeps it: xn--strae-oqa
    "ς.example",
    "ü" * 70 + ".example",  # no label is that long: the codec cannot encode it
    "straße.example:0",  # no form to check the rest on
    "bücher.example:123456",  # no port, no form: as 'corp.example:123456' is no entry
])
def test_a_name_not_in_ascii_without_an_idna_form_ocean_proxy_takes_is_told_to_use_one(entry):
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    assert "not in ASCII" in caught.value.message
    assert caught.value.hint == ("write the name in its IDNA 2008 (punycode) form, xn--..., as "
                                 "Go looks it up")


@pytest.mark.parametrize("entry", ["STRAẞE.example", "Straße.example"])
def test_a_rendered_name_in_capitals_that_go_spells_apart_is_given_no_idna_form(entry):
    """A rendered NO_PROXY entry comes as written: 'ẞ' is 'ß' in lower case, which Go keeps
    (xn--strae-oqa) and Python's codec makes 'ss'; no form is offered for it."""
    assert idna_form(entry) is None


@pytest.mark.parametrize("entry, message, hint", [
    ("bücher.example.", "'bücher.example.' ends with a dot", "drop the dot: xn--bcher-kva.example"),
    ("bücher.example.:8443", "'bücher.example.:8443' ends with a dot",
     "drop the dot: xn--bcher-kva.example:8443"),
    ("bücher.example:0", "'bücher.example:0' names port 0, and a port is 1 to 65535",
     "write the host's port, or leave the port out to cover every port, and the name in its "
     "IDNA form: xn--bcher-kva.example"),
    ("*bücher.example:08443", "'*bücher.example:08443' names port '08443'",
     "write the port as 8443, and the name in its IDNA form: xn--bcher-kva.example"),
    ("*bücher.example", "'*bücher.example' is not a NO_PROXY entry: a wildcard is written '*.'",
     "write *.xn--bcher-kva.example for the names below xn--bcher-kva.example, or "
     "xn--bcher-kva.example for it and them"),
    ("ａｐｉ.spotinst.io", "'ａｐｉ.spotinst.io' would send the Spot API (api.spotinst.io) around "
     "the proxy", "list only the hosts and networks to reach directly"),
])
def test_a_name_not_in_ascii_with_another_mistake_is_told_that_one_first(entry, message, hint):
    """Told only 'write the name in its IDNA form', the user wrote the form and was refused
    again for the dot, the port or the wildcard: one round, the entry as written."""
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    assert caught.value.message.startswith(f"--no-proxy: {message}")
    assert caught.value.hint == hint


@pytest.mark.parametrize("entry, hint", [
    ("*corp.example", "write *.corp.example for the names below corp.example, or corp.example "
                      "for it and them"),
    ("*corp.example:8443", "write *.corp.example:8443 for the names below corp.example, or "
                           "corp.example:8443 for it and them"),
    ("*api.spotinst.io", "write *.api.spotinst.io for the names below api.spotinst.io"),
    ("*spotinst.io", "leave it out: as *.spotinst.io it would send the Spot API around the "
                     "proxy"),
    ("*10.0.0.1", "write 10.0.0.1 for that address"),
    ("*10.0.0.1:8443", "write 10.0.0.1:8443 for that address"),
])
def test_a_wildcard_without_its_dot_is_told_the_forms_that_are_taken(entry, hint):
    """An address has no names below it: '*.10.0.0.1', taken, covers no host Go connects to."""
    with pytest.raises(ConfigError) as caught:
        parse_no_proxy([entry], "--no-proxy")
    assert caught.value.message == (f"--no-proxy: '{entry}' is not a NO_PROXY entry: a "
                                    "wildcard is written '*.' before a domain")
    assert caught.value.hint == hint
    for form in hint.removeprefix("write ").split(", or "):
        if not hint.startswith("leave"):
            taken = form.partition(" for ")[0]
            assert parse_no_proxy([taken], "--no-proxy") == (taken,)  # the hint, followed


@pytest.mark.parametrize("value, quoted", [
    ("$(MY_HOST),.corp.example", "'$(MY_HOST)' is not a NO_PROXY entry"),
    ("Bad_Host!", "'Bad_Host!' is not a NO_PROXY entry"),
    ("API.Spotinst.IO", "'API.Spotinst.IO' would send the Spot API"),
])
def test_a_refused_entry_is_quoted_as_the_user_wrote_it(value, quoted):
    """Entries are compared lower-cased, and the error quoted them so: '$(my_host)', which the
    user searching the command line for it does not find."""
    with pytest.raises(ConfigError) as raised:
        parse_no_proxy([value], "--no-proxy")
    assert raised.value.message.startswith(f"--no-proxy: {quoted}"), raised.value.message
