"""How large a CA bundle helm can store with ocean-proxy, measured with the real parts.

For each helm major, against a real kube-apiserver: ``helm upgrade --install
--post-renderer ocean-proxy-post-renderer`` of the example chart with the vendor's flags (the
cluster tests' ``vendor_flags``, auto-update on as by default) and a bundle of N distinct
RSA-2048 roots, each N in a fresh namespace. It prints, per N, whether helm refused
("Too long"), whether ocean-proxy warned, the bytes helm stored (``data.release`` of the
release Secret, decoded) and ocean-proxy's estimate, then the smallest N helm refuses
(N_fail) and the smallest N ocean-proxy warns at (N_warn)::

    PYTHONPATH=. .venv/bin/python -m tests.cluster.measure_release_size
    PYTHONPATH=. .venv/bin/python -m tests.cluster.measure_release_size --helm helm4 --at 170 180
    PYTHONPATH=. .venv/bin/python -m tests.cluster.measure_release_size --ca-file-flag

A minute or two a major (a cluster, the plugin tarballs, ~220 RSA keys, ~20 installs);
tests/cluster/test_release_size.py checks the boundary it finds in ``make test``.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from post_renderer.render.release_record import RECORD_LIMIT

from .. import certs
from ..conftest import FIXTURE_CHART, tool
from ..plugin_harness import build_release
from .helm_users import MAJORS, POST_RENDERER, HelmUser, HelmUsers
from .release import ControllerRelease, vendor_flags
from .server import ApiServer, start_cluster

WARNED = "as helm stores it"
REFUSED = "Too long: may not be more than"  # the API server's words (the warning quotes less)


@dataclass(frozen=True)
class Outcome:
    n: int
    refused: bool
    warned: bool
    stored: int | None  # bytes of data.release, when helm stored the release
    estimate: int  # ocean-proxy's estimate of the same

    def row(self) -> str:
        stored = "-" if self.stored is None else f"{self.stored:>8}"
        return (f"{self.n:>4}  {'refused' if self.refused else 'stored ':7}  "
                f"{'warned' if self.warned else 'silent':6}  {stored:>8}  {self.estimate:>8}  "
                f"{self.estimate - self.stored if self.stored else '':>7}")


class Bundles:
    """Bundles of the first N of one list of distinct RSA-2048 roots."""

    def __init__(self, directory: Path) -> None:
        self._directory, self._pems = directory, []

    def get(self, n: int) -> Path:
        while len(self._pems) < n:
            self._pems.append(certs.root(f"Root CA {len(self._pems)}",
                                         key=certs.new_key("rsa")).pem)
        path = self._directory / f"roots-{n}.pem"
        path.write_bytes(b"".join(self._pems[:n]))
        return path


def estimate(user: HelmUser, release: ControllerRelease, bundle: Path) -> int:
    """ocean-proxy's estimate of the record: the same render through ``helm template``."""
    from post_renderer.render.release_record import stored_size

    rendered = user.helm("template", release.name, FIXTURE_CHART, "--namespace",
                         release.namespace, *release.flags, *POST_RENDERER,
                         *(arg for given in release.renderer_args
                           for arg in ("--post-renderer-args", given)))
    assert rendered.returncode == 0, rendered.stderr
    # the chart's value holds the bundle; ocean-proxy's --ca-file is in no value helm stores
    return stored_size([rendered.stdout], [] if release.renderer_args else [bundle.read_bytes()])


def stored_size(api: ApiServer, release: ControllerRelease) -> int | None:
    secret = api.get("secret", f"sh.helm.release.v1.{release.name}.v1", release.namespace)
    return None if secret is None else len(base64.b64decode(secret["data"]["release"]))


def measure(api: ApiServer, user: HelmUser, bundles: Bundles, n: int,
            ca_file_flag: bool = False) -> Outcome:
    """One install of N roots: the CA as the chart's value (the vendor's flags), or with
    ``ca_file_flag`` as ocean-proxy's ``--ca-file`` (the chart's CA Secret off)."""
    namespace = api.create_namespace(f"m{n}-{user.major}{'-f' if ca_file_flag else ''}")
    release = ControllerRelease(api, namespace, namespace.replace("-", ""),
                                vendor_flags(bundles.get(n)))
    if ca_file_flag:  # helm takes --set-file over --set: the CA's flags go, not overridden
        start = release.flags.index("caBundleSecret.create=true") - 1
        del release.flags[start:start + 4]
        release.renderer_args = [f"--ca-file={bundles.get(n)}"]
    run = release.upgrade(user)
    refused = run.returncode != 0 and REFUSED in run.stderr
    assert refused or run.returncode == 0, run.stderr
    return Outcome(n, refused, WARNED in run.stderr, stored_size(api, release),
                   estimate(user, release, bundles.get(n)))


def smallest(low: int, high: int, holds: Callable[[int], bool]) -> int:
    """The smallest n in (low, high] where ``holds`` (false at low, true at high)."""
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if holds(middle) else (middle, high)
    return high


def boundaries(api: ApiServer, user: HelmUser, bundles: Bundles, low: int, high: int,
               also: list[int], ca_file_flag: bool) -> None:
    seen: dict[int, Outcome] = {}

    def at(n: int) -> Outcome:
        if n not in seen:
            seen[n] = measure(api, user, bundles, n, ca_file_flag)
            print(f"  {seen[n].row()}", flush=True)
        return seen[n]

    print(f"{user.major}: limit {RECORD_LIMIT} bytes\n     N  helm     ocean   stored  "
          "estimate  est-stored", flush=True)
    for n in also:
        at(n)
    assert not at(low).refused and not at(low).warned, "start lower (--range)"
    assert at(high).refused and at(high).warned, "end higher (--range)"
    n_fail = smallest(low, high, lambda n: at(n).refused)
    n_warn = smallest(low, high, lambda n: at(n).warned)
    at(n_fail - 1), at(n_warn - 1)
    print(f"{user.major}: N_fail {n_fail}, N_warn {n_warn}: "
          + ("helm refuses while ocean-proxy is silent for N in "
             f"[{n_fail}, {n_warn - 1}]" if n_warn > n_fail else
             f"warned {n_fail - n_warn} N before helm refuses"), flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helm", nargs="+", default=list(MAJORS), choices=MAJORS)
    parser.add_argument("--range", nargs=2, type=int, default=(140, 220),
                        metavar=("LOW", "HIGH"), help="N that installs silently, N refused")
    parser.add_argument("--at", nargs="*", type=int, default=[], help="N to measure as well")
    parser.add_argument("--ca-file-flag", action="store_true",
                        help="the CA as --post-renderer-args --ca-file=, not the chart's value")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="release-size-") as work:
        work_dir = Path(work)
        api = start_cluster(work_dir / "cluster", kubectl=tool("kubectl"), etcd=tool("etcd"),
                            kube_apiserver=tool("kube-apiserver"))
        try:
            users = HelmUsers(api, build_release(work_dir / "shared"), work_dir / "helm")
            (work_dir / "bundles").mkdir()
            bundles = Bundles(work_dir / "bundles")
            for major in args.helm:
                boundaries(api, users.get(major), bundles, *args.range, args.at,
                           args.ca_file_flag)
        finally:
            api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
