"""Write a throw-away corporate CA for the demo: what a TLS-inspecting proxy re-signs with."""

import datetime as dt
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Example Corp TLS Inspection Root CA"),
])
now = dt.datetime.now(dt.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(key, hashes.SHA256())
)
if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
    sys.exit("usage: make_ca.py OUTPUT.pem  (writes a self-signed CA certificate there)")
with open(sys.argv[1], "wb") as out:
    out.write(cert.public_bytes(serialization.Encoding.PEM))
