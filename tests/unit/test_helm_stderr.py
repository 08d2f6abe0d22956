"""open_helm_stderr, under a parent named helm: it hands over helm's stderr only when this
process's own stderr is not already that very file or pipe (a command plugin's is)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The parent: a Python named "helm" (its /proc comm is "helm"), which starts
# the child with its own stderr inherited, or with a pipe of its own as the child's stderr.
PARENT = r"""
import subprocess, sys
child = [sys.argv[1], "-c", "from post_renderer.helm_stderr import open_helm_stderr; "
         "print('none' if open_helm_stderr() is None else 'helm')"]
stderr = None if sys.argv[2] == "inherited" else subprocess.PIPE
print(subprocess.run(child, stderr=stderr, stdout=subprocess.PIPE, text=True).stdout.strip())
"""


def _child_sees(stderr: str, tmp_path: Path, name: str = "helm") -> str:
    parent = tmp_path / name
    parent.symlink_to(sys.executable)
    with (tmp_path / "helms-stderr").open("w") as helms:  # not a terminal: a file
        run = subprocess.run([parent, "-c", PARENT, sys.executable, stderr], stderr=helms,
                             capture_output=False, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                             check=True, timeout=60)
    return run.stdout.strip()


def test_a_child_that_writes_to_helms_own_stderr_is_not_handed_it_again(tmp_path):
    assert _child_sees("inherited", tmp_path) == "none"


def test_a_child_whose_stderr_helm_captures_is_handed_helms(tmp_path):
    assert _child_sees("captured", tmp_path) == "helm"


def test_helm_under_another_name_is_helm_and_helmfile_is_not(tmp_path):
    """helm installed as helm3 or helm-3.17 runs post-renderers; helmfile and helmsman run
    helm, and a tool they start themselves is no post-renderer of theirs."""
    for name, seen in (("helm3", "helm"), ("helm-3.17", "helm"), ("helmfile", "none"),
                       ("helmsman", "none")):
        (tmp_path / name).mkdir()
        assert _child_sees("captured", tmp_path / name, name) == seen, name


# A parent named helm that runs a wrapper script (bash, not exec'ing: "; :" keeps it) with
# its stdout a pipe of helm's, as helm runs a post-renderer; the child says what it sees.
WRAPPER = r"""
import subprocess, sys
child = (f"{sys.argv[1]} -c 'from post_renderer.helm_stderr import helm_reads_stdout; "
         f"import sys; sys.stderr.write(str(helm_reads_stdout()))'")
script = f"{child} {sys.argv[2]}; :"
run = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
print(run.stderr.strip())
"""


def _wrapped_child_sees(redirect: str, tmp_path: Path) -> str:
    parent = tmp_path / "helm"
    parent.symlink_to(sys.executable)
    run = subprocess.run([parent, "-c", WRAPPER, sys.executable, redirect],
                         stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                         check=True, timeout=60)
    return run.stdout.strip()


def test_a_wrapper_script_passing_helms_pipe_on_is_read_by_helm(tmp_path):
    assert _wrapped_child_sees("", tmp_path) == "True"


def test_a_wrapper_script_sending_our_output_elsewhere_is_not(tmp_path):
    """'> plan.json' inside a script helm runs: that file is the user's, not helm's."""
    assert _wrapped_child_sees("> plan.json", tmp_path) == "False"


def test_a_borrowed_descriptor_that_cannot_be_written_as_a_stream_is_given_back(
        tmp_path, monkeypatch):
    """What the kernel lent but a stream cannot use (here a directory) was kept open, helm's
    file held by a descriptor nothing would ever close."""
    from post_renderer import helm_stderr

    lent = os.open(tmp_path, os.O_RDONLY)
    monkeypatch.setattr(helm_stderr, "_borrow_stderr", lambda helm: lent)
    assert helm_stderr._borrowed(os.getppid()) is None
    assert not os.path.exists(f"/proc/self/fd/{lent}")
