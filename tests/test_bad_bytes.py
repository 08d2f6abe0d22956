"""Bytes that are not UTF-8, wherever a user can put them: in an argument, in an
``OCEAN_PROXY_*`` variable, or in a file the command reads. The real commands run as helm and
shells run them (bytes in argv and in the environment, no decoding of our own first), and
each case ends in success, or in one error line and its hint on stderr, nothing on stdout,
never a traceback or an internal error.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import certs
from .conftest import VENV_BIN, Run, clean_env

# Bytes UTF-8 never has, or has only in a sequence: a lone continuation byte, a cut sequence,
# an encoded surrogate, an overlong form, a byte over F4.
BAD = [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf5\x80\x80\x80",
       b"\xfe\xfe"]
ARGUMENT_FLAGS = ["--proxy-url", "--ca-file", "--no-proxy", "--config", "--workload",
                  "--auto-update", "--filename", ""]
VARIABLES = ["OCEAN_PROXY_URL", "OCEAN_PROXY_CA_FILE", "OCEAN_PROXY_NO_PROXY",
             "OCEAN_PROXY_CONFIG", "OCEAN_PROXY_AUTO_UPDATE", "OCEAN_PROXY_STRICT",
             "OCEAN_PROXY_NO_CACHE", "OCEAN_PROXY_CACHE_DIR", "OCEAN_PROXY_CACHE_KEY_FILE",
             "OCEAN_PROXY_MESSAGES"]
# What a value may look like around the bad bytes: where a proxy URL's parts, a path or a
# list entry would be.
SHAPES = [b"http://u:p%s@proxy.corp:3128", b"http://proxy%s.corp:3128", b"/tmp/ca%s.pem",
          b"a.example,%s.corp", b"Deployment/x%s", b"%s", b"inject%s"]
FILES = {
    "config": (b"proxyUrl: http://u:p%s@proxy.corp:3128\nnoProxy: [a.example]\n",
               b"noProxy: [\"%s\"]\n", b"# %s\ncaFiles: [ca.pem]\n"),
    "ca": (b"-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", b"%s"),
    "manifests": (),  # the chart's render with bad bytes in its documents
    "values": (b"extraEnv:\n  - name: X\n    value: \"%s\"\n", b"%s: 1\n"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-bytes")


def run(argv: list[bytes], env: dict, stdin: bytes, script: str = "ocean-proxy-post-renderer"):
    """The command with ``argv`` as bytes, as the kernel hands them over, in a folder of its
    own (a relative cache directory is made there)."""
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([bytes(VENV_BIN / script), *argv], input=stdin, env=env,
                              cwd=cwd, capture_output=True, timeout=60, check=False)
    return Run(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def assert_one_line_or_success(done) -> None:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    if done.returncode == 0:
        return
    assert done.returncode in (1, 2), done.stderr
    assert done.stdout == b""
    errors = [line for line in done.stderr.splitlines() if line.startswith("ocean-proxy: error:")]
    assert len(errors) == 1, done.stderr
    assert "ocean-proxy: hint:" in done.stderr


def value(shape: bytes, bad: bytes) -> bytes:
    return shape.replace(b"%s", bad)


common = settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])


@common
@given(flag=st.sampled_from(ARGUMENT_FLAGS), shape=st.sampled_from(SHAPES),
       bad=st.sampled_from(BAD), glued=st.booleans())
def test_bad_bytes_in_an_argument(manifests, flag, shape, bad, glued):
    text = value(shape, bad)
    argv = ([text] if not flag else [flag.encode() + b"=" + text] if glued
            else [flag.encode(), text])
    assert_one_line_or_success(run(argv, clean_env(), manifests))


@common
@given(name=st.sampled_from(VARIABLES), shape=st.sampled_from(SHAPES), bad=st.sampled_from(BAD))
def test_bad_bytes_in_an_environment_variable(manifests, name, shape, bad):
    env = {key.encode(): item.encode() for key, item in clean_env().items()}
    env[name.encode()] = value(shape, bad)
    assert_one_line_or_success(run([], env, manifests))


@common
@given(kind=st.sampled_from(sorted(FILES)), which=st.integers(0, 2), bad=st.sampled_from(BAD),
       where=st.integers(0, 10**6))
def test_bad_bytes_in_a_file(manifests, folder, kind, which, bad, where):
    path = folder / f"{kind}.bin"
    shapes = FILES[kind]
    if kind == "manifests":
        cut = where % len(manifests)
        path.write_bytes(manifests[:cut] + bad + manifests[cut:])
    else:
        path.write_bytes(value(shapes[which % len(shapes)], bad))
    (folder / "ca.pem").write_bytes(certs.root("Bad Bytes Root CA").pem)
    argv, stdin, script = {
        "config": ([b"--config", bytes(path)], manifests, "ocean-proxy-post-renderer"),
        "ca": ([b"--ca-file", bytes(path)], manifests, "ocean-proxy-post-renderer"),
        "manifests": ([b"--filename", bytes(path)], b"", "ocean-proxy-post-renderer"),
        "values": ([b"values", b"--values", bytes(path), b"--secrets",
                    bytes(folder / "secrets.yaml")], manifests, "ocean-proxy"),
    }[kind]
    assert_one_line_or_success(run(argv, clean_env(), stdin, script))


def test_check_bundle_names_a_file_with_bad_bytes_in_one_line(folder):
    path = bytes(folder) + b"/ca\xff.pem"
    done = run([b"check-bundle", path], clean_env(), b"", "ocean-proxy")
    assert done.returncode == 1
    assert_one_line_or_success(done)
    (error,) = [line for line in done.stderr.splitlines() if "error:" in line]
    # the file is named: its folder, and its name around the byte that is not UTF-8
    assert f"{folder}/ca" in error and ".pem does not exist" in error, error
