"""A real Kubernetes API server for the tests: etcd and kube-apiserver on 127.0.0.1.

``start_cluster(workdir, kubectl=...)`` starts etcd and kube-apiserver (built by ``make
tools`` into .tools/bin from tools/cluster/go.mod) on free loopback ports with their own PKI
(see pki.py), waits for ``/readyz``, and returns an ``ApiServer``; ``stop()`` ends both by
PID and removes their data. There is no controller-manager, scheduler or node: objects are
validated, admitted and stored, and nothing ever runs (a Deployment never gets a ReplicaSet,
a Namespace never finishes deleting, so tests use a fresh namespace each and leave it).
Privileged containers are allowed, as on EKS and GKE (the network client's DaemonSet is one).

    server = start_cluster(tmp_path, kubectl=Path(".tools/bin/kubectl"))
    server.kubectl("create", "namespace", "demo")
    server.get("configmap", "kube-root-ca.crt", "demo")  # None: no controller makes it
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conftest import Run, clean_env, run_command
from .pki import ClusterPki, kubeconfig, make_cluster_pki

SERVICE_CIDR = "10.96.0.0/12"  # its first address, 10.96.0.1, is kubelet_view's API server
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 20.0
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: the kernel sends SIGTERM when the test process dies, even by SIGKILL."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Server:
    """One server process, its log file, and how to end it."""

    name: str
    process: subprocess.Popen
    log_file: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


def _spawn(name: str, argv: list[str], workdir: Path) -> Server:
    log_file = workdir / f"{name}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   cwd=workdir, env=clean_env(), preexec_fn=_die_with_parent)
    return Server(name, process, log_file)


@dataclass
class ApiServer:
    """A running API server: its URL, an admin kubeconfig, and kubectl to read and write."""

    url: str
    kubeconfig: Path
    pki: ClusterPki
    kubectl_binary: Path
    workdir: Path
    servers: list[Server] = field(default_factory=list, repr=False)

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment whose helm and kubectl talk to this server."""
        return clean_env(KUBECONFIG=str(self.kubeconfig), **extra)

    def kubectl(self, *args: str | os.PathLike, stdin: bytes = b"", check: bool = True) -> Run:
        run = run_command([self.kubectl_binary, *args], stdin=stdin, env=self.env())
        if check:
            assert run.returncode == 0, f"kubectl {' '.join(map(str, args))}: {run.stderr}"
        return run

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """The object as the server stores it, or None when there is none."""
        run = self.kubectl("get", kind, name, "-n", namespace, "-o", "json",
                           "--ignore-not-found", check=True)
        return json.loads(run.text) if run.stdout.strip() else None

    def list(self, kinds: str, namespace: str) -> list[dict[str, Any]]:
        """Every object of these kinds (``"deployments,secrets"``) in the namespace."""
        run = self.kubectl("get", kinds, "-n", namespace, "-o", "json")
        return json.loads(run.text)["items"]

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                content_type: str = "application/json") -> dict[str, Any]:
        """One REST call as the admin (for emulating what controllers would write)."""
        data = json.dumps(body).encode() if body is not None else None
        call = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                      headers={"Content-Type": content_type})
        with urllib.request.urlopen(call, context=_admin_context(self.pki), timeout=30) as answer:
            return json.loads(answer.read())

    def create_namespace(self, name: str) -> str:
        self.kubectl("create", "namespace", name)
        return name

    def stop(self) -> None:
        """End both servers by PID (the API server first) and remove their data."""
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _etcd(etcd: Path, workdir: Path) -> tuple[Server, str]:
    client, peer = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    server = _spawn("etcd", [
        str(etcd), "--name", "test", "--data-dir", str(workdir / "etcd-data"),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", f"test={peer}", "--log-level", "warn",
        "--unsafe-no-fsync",  # test data: an fsync per write only costs time
    ], workdir)
    return server, client


def _apiserver_argv(binary: Path, pki: ClusterPki, etcd_url: str, port: int,
                    workdir: Path) -> list[str]:
    return [
        str(binary), "--etcd-servers", etcd_url,
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
        "--endpoint-reconciler-type", "none",  # it refuses a loopback address, nodes need none
        "--secure-port", str(port), "--cert-dir", str(workdir / "certs"),
        "--tls-cert-file", str(pki.server_cert_file),
        "--tls-private-key-file", str(pki.server_key_file),
        "--client-ca-file", str(pki.ca_file),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file", str(pki.service_account_public_file),
        "--service-account-signing-key-file", str(pki.service_account_key_file),
        "--service-cluster-ip-range", SERVICE_CIDR,
        "--authorization-mode", "RBAC", "--profiling=false",
        "--allow-privileged=true",  # as EKS and GKE run it: the network client is privileged
        "--enable-priority-and-fairness=false",  # one client at a time: nothing to be fair to
    ]


def _admin_context(pki: ClusterPki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    context.load_cert_chain(pki.admin_cert_file, pki.admin_key_file)
    return context


def _ready(url: str, pki: ClusterPki) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", context=_admin_context(pki),
                                    timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_ready(api: ApiServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not _ready(api.url, api.pki):
        for server in api.servers:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n"
                                   f"{server.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"kube-apiserver not ready in {READY_TIMEOUT:.0f} s:\n"
                               f"{api.servers[-1].log_tail()}")
        time.sleep(0.25)


def start_cluster(workdir: Path, *, kubectl: Path, etcd: Path,
                  kube_apiserver: Path) -> ApiServer:
    """Start etcd and kube-apiserver under ``workdir``; stopped by ``stop()`` or at exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    etcd, kube_apiserver = etcd.resolve(), kube_apiserver.resolve()  # they run in workdir
    pki = make_cluster_pki(workdir / "pki")
    port = free_port()
    api = ApiServer(url=f"https://127.0.0.1:{port}", kubeconfig=workdir / "admin.kubeconfig",
                    pki=pki, kubectl_binary=kubectl, workdir=workdir)
    api.kubeconfig.write_text(kubeconfig(pki, api.url))
    api.kubeconfig.chmod(0o600)
    atexit.register(api.stop)
    try:
        etcd_server, etcd_url = _etcd(etcd, workdir)
        api.servers.append(etcd_server)
        api.servers.append(_spawn("kube-apiserver", _apiserver_argv(
            kube_apiserver, pki, etcd_url, port, workdir), workdir))
        _wait_ready(api)
    except BaseException:
        with contextlib.suppress(Exception):
            api.stop()
        raise
    return api
