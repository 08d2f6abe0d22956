"""The command line's grammar: the parsers of ``ocean-proxy`` and of
``ocean-proxy-post-renderer``, and which command each parse runs (``args.handler``).

    args = build_parser().parse_args(["check-bundle", "ca.pem"])
    said = args.handler(args, Outcome())

Kept apart from ``cli`` so that a post-renderer run without arguments (how helm runs it)
needs neither argparse nor building a parser: ``cli`` knows what they would say.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from post_renderer import TYPE_CHECKING, __version__
from post_renderer.commands import Outcome
from post_renderer.errors import UsageError, shown
from post_renderer.render.setting_sources import AUTO_UPDATE_POLICIES

if TYPE_CHECKING:
    from typing import Any, NoReturn


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal's width: argparse asks shutil, an import every
    run would pay (add_argument makes a formatter), though only --help needs the width."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _terminal_columns() - 2)


def _terminal_columns() -> int:
    """What shutil.get_terminal_size() says: $COLUMNS, else the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    stream = sys.__stdout__
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80 if stream else 80
    except (ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes as UsageError instead of exiting by itself.

    Abbreviated options are off: a future option must not change what an existing
    abbreviation means. Before argparse, each argument is read as users and helm write them:
    an old spelling (a hidden alias) becomes today's, one argument ``"--ca-file ca.pem"`` (as
    one ``--post-renderer-args`` passes it) becomes a flag and its value, and an unknown flag is
    refused with the closest known one. A message never repeats a value: it may hold a proxy
    password.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # ArgumentParser's, passed on
        kwargs["allow_abbrev"] = False
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self.hidden_aliases: dict[str, str] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"run '{self.prog} --help' for the options")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        arguments = list(sys.argv[1:] if args is None else args)
        start, parser = self._command_parser(arguments)
        read = self.read_arguments(arguments[:start]) + parser.read_arguments(arguments[start:])
        parsed, extras = self.parse_known_args(read, namespace)
        if extras:
            flags = [extra for extra in extras if extra.startswith("-")]
            if flags:
                raise parser.unknown_flag(flags[0])
            raise UsageError("unexpected argument with no flag before it (not shown: it may "
                             "hold a secret)", hint=f"run '{parser.prog} --help' for the options")
        return parsed

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if action.choices is None or value in action.choices:
            return
        import difflib  # only for a mistake: not on every run

        choices = [str(choice) for choice in action.choices]
        close = difflib.get_close_matches(str(value), choices, 1) if "@" not in str(value) else []
        raise argparse.ArgumentError(
            action, f"invalid choice {shown(str(value))} (choose from {', '.join(choices)})"
            + (f"; did you mean {close[0]}?" if close else ""))

    def _get_value(self, action: argparse.Action, arg_string: str) -> object:
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError:  # argparse's own message quotes the value
            kind = getattr(action.type, "__name__", "value")
            raise argparse.ArgumentError(
                action, f"invalid {kind} value {shown(arg_string)}") from None

    def _command_parser(self, arguments: list[str]) -> tuple[int, _Parser]:
        """Where the command's own arguments start, and the command's parser (else this one)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for position, argument in enumerate(arguments):
                    if argument in action.choices:
                        return position + 1, action.choices[argument]
        return len(arguments), self

    def read_arguments(self, arguments: list[str]) -> list[str]:
        read: list[str] = []
        for position, argument in enumerate(arguments):
            if argument == "--":
                return read + arguments[position:]
            read += self._read_argument(argument)
        return read

    def _read_argument(self, argument: str) -> list[str]:
        if not argument.startswith("--"):
            return [argument]
        written = re.split(r"[\s=]", argument, maxsplit=1)[0]
        flag, rest = self.hidden_aliases.get(written, written), argument[len(written):]
        if flag not in self._option_string_actions:
            raise self.unknown_flag(argument)
        if not rest[:1].isspace():
            return [flag + rest]
        value = rest.strip()
        if not re.search(r"\s", value):
            return [flag, *self.read_arguments([value])]
        import shlex  # only for this rare spelling: every run would pay for its import

        try:
            pieces = shlex.split(value)
        except ValueError:
            raise UsageError(f"cannot read the value of {flag} in one argument with spaces and "
                             "an unbalanced quote", hint=_SEPARATE_ARGUMENTS) from None
        return self._read_argument(flag) + self.read_arguments(pieces)

    def unknown_flag(self, argument: str) -> UsageError:
        """The flag as written (never its value), with the closest known flag if any."""
        # Only the flag's name: a flag glued to its value (--proxy-urlhttp://u:p@h) would
        # otherwise print the value, whatever quotes or spaces it holds.
        name = re.match(r"-*[A-Za-z0-9_-]{0,40}", argument)
        flag = name.group(0) if name else ""
        known = [option for option in self._option_string_actions if option.startswith("--")]
        completions = [option for option in known if option.startswith(flag)]
        import difflib  # only for a mistake: not on every run

        glued = sorted((option for option in known if flag.startswith(option)), key=len)[-1:]
        close = (glued or completions if len(completions) == 1 or glued
                 else difflib.get_close_matches(flag, known, 1))
        message = f"unknown flag {flag}" + (f"; did you mean {close[0]}?" if close else "")
        if re.search(r"\s", argument):
            return UsageError(message + " (read from one argument with a space)",
                              hint=_SEPARATE_ARGUMENTS)
        return UsageError(message, hint=f"run '{self.prog} --help' for the options")


_SEPARATE_ARGUMENTS = ("pass each flag and each value as an argument of its own; under helm: "
                       "--post-renderer-args --ca-file --post-renderer-args ca.pem")


def _add_render_options(parser: argparse.ArgumentParser, review: bool = True) -> None:
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
        help="inject into this workload instead of the detected Spot agents (the Ocean "
             "controller, the metric exporter, the network client); repeatable",
    )
    settings.add_argument(
        "--auto-update", choices=AUTO_UPDATE_POLICIES, default=None,
        help="what to do with the chart's auto-update Job: inject (default) gives it the "
             "proxy and CA; keep leaves it as rendered; refuse fails while it is enabled "
             "[OCEAN_PROXY_AUTO_UPDATE]",
    )
    parser.add_argument(
        "--strict", action="store_true",
        help="make the lints errors: insecure TLS next to a CA, settings in objects the "
             "release does not render, your own annotations or volumes ocean-proxy would "
             "overwrite [OCEAN_PROXY_STRICT=true]",
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
        help="turn off both caches in helm's cache directory (certificate facts and whole "
             "runs; $OCEAN_PROXY_CACHE_DIR; also OCEAN_PROXY_NO_CACHE=1); the result is the "
             "same",
    )


def _add_network_options(parser: _Parser) -> None:
    parser.add_argument(
        "--proxy-url", required=True, metavar="URL",
        help="the proxy, http://[user:password@]host:port or https://...",
    )
    parser.hidden_aliases["--proxy"] = "--proxy-url"  # what verify and discover-ca said first
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
    parser = _Parser(
        prog=prog,
        description="Run the Spot Ocean Kubernetes Controller behind corporate HTTP proxies.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    render = commands.add_parser(
        "render", help="post-render manifests: inject proxy and trust (what helm runs)",
        description="Read rendered manifests, inject the proxy and the CA trust into the "
                    "Ocean controller's workloads, and write them out.",
    )
    _add_render_options(render)
    render.set_defaults(handler=_run_render)

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

    discover = commands.add_parser(
        "discover-ca", help="find the CA a proxy re-signs TLS with",
        description="Connect through the proxy, look at the certificates it presents and "
                    "write the CA to trust (or say that none is needed). The verdict goes to "
                    "stderr, the CA (PEM) to stdout or --output; exit 1 when no usable CA "
                    "is found.",
    )
    _add_network_options(discover)
    discover.add_argument("-o", "--output", metavar="FILE", help="write the CA here, not stdout")
    discover.add_argument(
        "--proxy-ca-file", action="append", default=[], metavar="FILE",
        help="for an https:// proxy whose own certificate is not publicly trusted: the CA "
             "that issued it; repeatable",
    )
    discover.set_defaults(handler=_run_discover_ca)

    verify = commands.add_parser(
        "verify", help="check a live TLS path through the proxy with the pod's trust",
        description="Open a TLS connection through the proxy trusting exactly what the "
                    "post-rendered pod trusts (the CA files plus the public roots); like the "
                    "log-shipper (OpenSSL), the chain must end at a root. Exit 0 when it "
                    "verifies, 1 with the step that failed and why.",
    )
    _add_network_options(verify)
    verify.add_argument("--ca-file", action="append", default=[], metavar="FILE",
                        help="CA file the pod will trust; repeatable")
    verify.set_defaults(handler=_run_verify)

    values = commands.add_parser(
        "values", help="write the injection as chart values, for installs without a "
                       "post-renderer",
        description="Read rendered manifests of the ocean-kubernetes-controller chart "
                    "(0.1.4 or later; 0.1.53 or later with a log-shipper) and write the "
                    "proxy and trust injection as a values file for 'helm upgrade -f' to "
                    "stdout, and the Secrets it refers to, to be applied with kubectl, to "
                    "--secrets, owned by the release so that helm adopts them later.",
    )
    _add_render_options(values, review=False)
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
    return parser


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
    parser = _Parser(
        prog=prog,
        description="Helm post-renderer: read rendered manifests on stdin, inject the proxy "
                    "and the CA trust into the Ocean controller's workloads, write them to "
                    "stdout. The same as 'ocean-proxy render'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_render_options(parser)
    parser.set_defaults(handler=_run_render)
    return parser
