"""The command line's grammar: the parsers of ``ocean-proxy`` and of
``ocean-proxy-post-renderer``, and which command each parse runs (``args.handler``).

    args = build_parser().parse_args(["check-bundle", "ca.pem"])
    said = args.handler(args, Outcome())

Kept apart from ``cli``, which only runs a parse and turns its errors into exit codes.
"""

from __future__ import annotations

import argparse

from post_renderer import __version__
from post_renderer.argument_parser import Parser
from post_renderer.commands import Outcome
from post_renderer.render.release.setting_sources import AUTO_UPDATE_POLICIES

_AUTO_UPDATE_HELP = {
    "render": "what to do with the chart's auto-update Job: inject (default) gives it the "
              "proxy and CA; keep leaves it as rendered; refuse fails while it is enabled",
    # chart values have no place for the Job's env: inject and keep write the same files
    "values": "the chart's auto-update Job, which chart values give no proxy or CA: inject "
              "(default) and keep say so and write the values; refuse fails while it is "
              "enabled",
}
_WORKLOAD_HELP = {
    "render": "inject into this workload instead of the detected Spot agents (the Ocean "
              "controller, the metric exporter, the network client); repeatable",
    "values": "the Ocean controller's workload, where it is not detected: the values are the "
              "controller chart's",
}
_STRICT_HELP = ("make the lints errors: insecure TLS next to a CA, settings in objects the "
                "release does not render, a second proxy or CA bundle in what the chart "
                "rendered, NO_PROXY entries ocean-proxy leaves out, your own annotations, "
                "volumes or mounts ocean-proxy would overwrite")
# render's own: values stores no release and writes no Job post-renderer
_STRICT_RENDER_HELP = (", a release too large for helm to store; and have the auto-update "
                       "Job's post-renderer fail the upgrade on a Job it does not recognise")


def _add_render_options(parser: argparse.ArgumentParser, review: bool = True,
                        command: str = "render") -> None:
    parser.add_argument(
        "-f", "--filename", default="-", metavar="FILE",
        help="read manifests from FILE instead of standard input",
    )
    settings = parser.add_argument_group(
        "settings (flags > environment > --config file > what the chart rendered)"
    )
    settings.add_argument(
        "--proxy-url", metavar="URL",
        help="proxy for HTTPS and HTTP, e.g. http://proxy.corp:3128 [OCEAN_PROXY_URL]",
    )
    settings.add_argument(
        "--ca-file", action="append", metavar="FILE",
        help="CA certificate(s) the proxy re-signs with: PEM, DER or PKCS#7; repeatable "
             "[OCEAN_PROXY_CA_FILE, several separated by ':']",
    )
    settings.add_argument(
        "--no-proxy", action="append", metavar="LIST",
        help="comma-separated hosts, domains or CIDRs to reach directly, added to the "
             "in-cluster defaults; repeatable [OCEAN_PROXY_NO_PROXY]",
    )
    settings.add_argument(
        "--config", metavar="FILE",
        help="YAML file with the same settings (proxyUrl, caFiles, noProxy, workloads, "
             "autoUpdate) [OCEAN_PROXY_CONFIG]",
    )
    settings.add_argument(
        "--workload", action="append", metavar="KIND/NAME",
        help=_WORKLOAD_HELP[command],
    )
    settings.add_argument(
        "--auto-update", choices=AUTO_UPDATE_POLICIES, default=None,
        help=f"{_AUTO_UPDATE_HELP[command]} [OCEAN_PROXY_AUTO_UPDATE]",
    )
    own = _STRICT_RENDER_HELP if command == "render" else ""
    parser.add_argument(
        "--strict", action="store_true",
        help=f"{_STRICT_HELP}{own} [OCEAN_PROXY_STRICT=true]",
    )
    _add_cache_option(parser)
    if not review:
        return
    review_group = parser.add_argument_group("review")
    review_group.add_argument(
        "--explain", action="store_true",
        help="describe every change and why on stderr (helm's stderr when run by helm)",
    )
    review_group.add_argument(
        "--plan", action="store_true",
        help="print the planned changes as RFC 6902 JSON patches instead of the manifests",
    )


def _add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache", action="store_true",
        help="turn off the certificate fact cache in helm's cache directory "
             "($OCEAN_PROXY_CACHE_DIR; also OCEAN_PROXY_NO_CACHE=1); the result is the same",
    )


def _add_network_options(parser: Parser) -> None:
    parser.add_argument(
        "--proxy-url", metavar="URL",
        help="the proxy, http://[user:password@]host:port or https://... [OCEAN_PROXY_URL]",
    )
    parser.hidden_aliases["--proxy"] = "--proxy-url"  # what verify and discover-ca said first
    parser.add_argument(
        "--config", metavar="FILE",
        help="the post-renderer's YAML settings file: its proxyUrl (and, for verify, its "
             "caFiles) when the flag and the variable are not given [OCEAN_PROXY_CONFIG]",
    )
    parser.add_argument(
        "--target", default="api.spotinst.io:443", metavar="HOST:PORT",
        help="where to connect through the proxy (default: %(default)s)",
    )
    parser.add_argument(
        "--servername", metavar="NAME", help="TLS server name (default: the target's host)",
    )
    parser.add_argument(
        "--public-roots", metavar="FILE",
        help="PEM bundle of the public roots the pods already trust; a path that verifies "
             "against them is not intercepted (default: $SSL_CERT_FILE and $SSL_CERT_DIR as "
             "OpenSSL reads them, else this machine's default bundle)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS",
        help="timeout of each network step (default: %(default)s)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="print each network step on stderr",
    )


def build_parser(prog: str = "ocean-proxy") -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog,
        description="Run the Spot Ocean Kubernetes Controller behind corporate HTTP proxies.",
    )
    parser.add_argument("--version", action="version", version=f"ocean-proxy {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    render = commands.add_parser(
        "render", help="post-render manifests: inject proxy and trust (what helm runs)",
        description="Read rendered manifests, inject the proxy and the CA trust into the "
                    "Ocean controller's workloads, and write them out.",
    )
    _add_render_options(render)
    render.set_defaults(handler=_run_render)

    _add_check_bundle(commands)
    _add_discover_ca(commands)
    _add_verify(commands)
    _add_values(commands)

    shown = commands.add_parser(
        "help", help="show this help, or a command's ('help render'), as --help does",
        description="Show the help of ocean-proxy, or of one of its commands.")
    named = dict(commands.choices)
    shown.add_argument("topic", nargs="?", choices=list(named), metavar="COMMAND",
                       help=f"the command whose help to show: {', '.join(named)}")
    shown.set_defaults(handler=lambda args, said: _run_help(
        named[args.topic] if args.topic else parser, said))
    return parser


def _add_check_bundle(commands: argparse._SubParsersAction[Parser]) -> None:
    """check-bundle: the CA files to check, and the report's form."""
    check = commands.add_parser(
        "check-bundle", help="validate CA bundle files and report on each certificate",
        description="Validate CA files exactly as the post-renderer does, and report each "
                    "certificate: subject, issuer, validity, CA or not, fingerprint, verdict.",
    )
    check.add_argument(
        "files", nargs="+", metavar="FILE", help="PEM, DER or PKCS#7 file; - for stdin",
    )
    check.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    _add_cache_option(check)
    check.set_defaults(handler=_run_check_bundle)


def _add_discover_ca(commands: argparse._SubParsersAction[Parser]) -> None:
    """discover-ca: the proxy to look through, and where the CA goes."""
    discover = commands.add_parser(
        "discover-ca", help="find the CA a proxy re-signs TLS with",
        description="Connect through the proxy, look at the certificates it presents and "
                    "write the CA to trust (or say that none is needed). The verdict goes to "
                    "stderr, the CA (PEM) to stdout or --output; exit 1 when no usable CA "
                    "is found.",
    )
    _add_network_options(discover)
    discover.add_argument("-o", "--output", metavar="FILE",
                          help="write the CA here, not stdout ('-': stdout)")
    discover.add_argument(
        "--proxy-ca-file", action="append", default=[], metavar="FILE",
        help="for an https:// proxy whose own certificate is not publicly trusted: the CA "
             "that issued it; repeatable",
    )
    discover.set_defaults(handler=_run_discover_ca)


def _add_verify(commands: argparse._SubParsersAction[Parser]) -> None:
    """verify: the proxy to look through, and the CA files the pods will trust."""
    verify = commands.add_parser(
        "verify", help="check a live TLS path through the proxy with the pod's trust",
        description="Open a TLS connection through the proxy trusting exactly what the "
                    "post-rendered pod trusts (the CA files plus the public roots); like the "
                    "log-shipper (OpenSSL), the chain must end at a root. Exit 0 when it "
                    "verifies, 1 with the step that failed and why.",
    )
    _add_network_options(verify)
    verify.add_argument("--ca-file", action="append", default=[], metavar="FILE",
                        help="CA file the pod will trust; repeatable [OCEAN_PROXY_CA_FILE, "
                             "several separated by ':']")
    verify.set_defaults(handler=_run_verify)


def _add_values(commands: argparse._SubParsersAction[Parser]) -> None:
    """values: a render's settings, the user's own values and where the Secrets go."""
    values = commands.add_parser(
        "values", help="write the injection as chart values, for installs without a "
                       "post-renderer",
        description="Read rendered manifests of the ocean-kubernetes-controller chart "
                    "(0.1.4 or later; 0.1.53 or later with a log-shipper) and write the "
                    "proxy and trust injection as a values file for 'helm upgrade -f' to "
                    "stdout, and the Secrets it refers to, to be applied with kubectl, to "
                    "--secrets, owned by the release so that helm adopts them later.",
    )
    _add_render_options(values, review=False, command="values")
    values.add_argument("--values", action="append", default=[], metavar="FILE",
                        help="your own values file: its extraEnv, extraVolumes... entries "
                             "are kept next to ocean-proxy's; repeatable")
    values.add_argument("--secrets", required=True, metavar="FILE",
                        help="write the Secret manifests here")
    values.add_argument("--release", metavar="NAME",
                        help="the helm release the Secrets belong to (helm adopts them into "
                             "it later); default: the manifests' app.kubernetes.io/instance")
    values.add_argument("--namespace", metavar="NAMESPACE",
                        help="the namespace the release is installed in; default: the "
                             "manifests' (what 'helm template --namespace' rendered)")
    values.set_defaults(handler=_run_values)


def _run_help(parser: argparse.ArgumentParser, said: Outcome) -> Outcome:
    """'ocean-proxy help [COMMAND]', as kubectl and helm take it: --help's text on stdout."""
    said.write(parser.format_help().encode("utf-8"))
    return said


def _run_render(args: argparse.Namespace, said: Outcome) -> Outcome:
    from post_renderer.commands.render import run

    return run(args, said)


def _run_check_bundle(args: argparse.Namespace, said: Outcome) -> Outcome:
    from post_renderer.commands.check_bundle import run

    return run(args, said)


def _run_discover_ca(args: argparse.Namespace, said: Outcome) -> Outcome:
    from post_renderer.commands.discover_ca import run

    return run(args, said)


def _run_values(args: argparse.Namespace, said: Outcome) -> Outcome:
    from post_renderer.commands.values import run

    return run(args, said)


def _run_verify(args: argparse.Namespace, said: Outcome) -> Outcome:
    from post_renderer.commands.verify import run

    return run(args, said)


def build_post_renderer_parser(prog: str = "ocean-proxy-post-renderer") -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog,
        description="Helm post-renderer: read rendered manifests on stdin, inject the proxy "
                    "and the CA trust into the Ocean controller's workloads, write them to "
                    "stdout. The same as 'ocean-proxy render'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_render_options(parser)
    parser.set_defaults(handler=_run_render)
    parser.command_of = (build_parser, "render")  # 'check-bundle x.pem' is ocean-proxy's
    return parser
