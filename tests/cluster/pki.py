"""The test cluster's own PKI, made with cryptography and written to a directory.

A cluster CA signs the API server's serving certificate (127.0.0.1, localhost and the
in-cluster names) and an admin client certificate in the ``system:masters`` group, which
RBAC lets do anything; an EC key pair signs service-account tokens. The kubeconfig embeds the
CA and the admin's certificate and key, as ``kubeadm``'s admin.conf does.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ADMIN_USER = "ocean-proxy-test-admin"
SERVER_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local")
SERVER_ADDRESSES = ("127.0.0.1", "10.96.0.1")
VALID_FOR = dt.timedelta(days=2)


@dataclass(frozen=True)
class ClusterPki:
    """The files the servers and clients are started with."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def server_cert_file(self) -> Path:
        return self.directory / "apiserver.crt"

    @property
    def server_key_file(self) -> Path:
        return self.directory / "apiserver.key"

    @property
    def admin_cert_file(self) -> Path:
        return self.directory / "admin.crt"

    @property
    def admin_key_file(self) -> Path:
        return self.directory / "admin.key"

    @property
    def service_account_key_file(self) -> Path:
        return self.directory / "sa.key"

    @property
    def service_account_public_file(self) -> Path:
        return self.directory / "sa.pub"


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization \
        else []
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey, *, issuer: x509.Name,
           issuer_key: ec.EllipticCurvePrivateKey,
           extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + VALID_FOR))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_extensions(usage: x509.ObjectIdentifier) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False,
                       crl_sign=False, encipher_only=False, decipher_only=False), True),
        (x509.ExtendedKeyUsage([usage]), False),
    ]


def make_cluster_pki(directory: Path) -> ClusterPki:
    """A fresh CA, serving and admin certificates, and the service-account key pair."""
    pki = ClusterPki(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_name = ec.generate_private_key(ec.SECP256R1()), _name("ocean-proxy-test-cluster-ca")
    ca = _issue(ca_name, ca_key, issuer=ca_name, issuer_key=ca_key, extensions=[
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                       crl_sign=True, encipher_only=False, decipher_only=False), True),
        (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
    ])
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    server = _issue(_name("kube-apiserver"), server_key, issuer=ca_name, issuer_key=ca_key,
                    extensions=[*_leaf_extensions(ExtendedKeyUsageOID.SERVER_AUTH),
                                (x509.SubjectAlternativeName(alt_names), False)])
    admin_key = ec.generate_private_key(ec.SECP256R1())
    admin = _issue(_name(ADMIN_USER, "system:masters"), admin_key, issuer=ca_name,
                   issuer_key=ca_key, extensions=_leaf_extensions(ExtendedKeyUsageOID.CLIENT_AUTH))
    service_account_key = ec.generate_private_key(ec.SECP256R1())
    files = {
        pki.ca_file: _pem(ca),
        pki.server_cert_file: _pem(server), pki.server_key_file: _key_pem(server_key),
        pki.admin_cert_file: _pem(admin), pki.admin_key_file: _key_pem(admin_key),
        pki.service_account_key_file: _key_pem(service_account_key),
        pki.service_account_public_file: service_account_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    for path, content in files.items():
        path.write_bytes(content)
        path.chmod(0o600)
    return pki


def kubeconfig(pki: ClusterPki, server_url: str, namespace: str = "default") -> str:
    """An admin kubeconfig for the server, credentials embedded (JSON is YAML)."""

    def data(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {
            "server": server_url, "certificate-authority-data": data(pki.ca_file)}}],
        "users": [{"name": ADMIN_USER, "user": {
            "client-certificate-data": data(pki.admin_cert_file),
            "client-key-data": data(pki.admin_key_file)}}],
        "contexts": [{"name": "test", "context": {
            "cluster": "test", "user": ADMIN_USER, "namespace": namespace}}],
    }, indent=2) + "\n"
