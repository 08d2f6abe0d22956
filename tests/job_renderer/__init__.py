"""The auto-update Job's own post-renderer, alone: bash builtins and the real helm 3 and 4, and
the oldest helm 3 at hand, 3.4.2.

Its files are taken from the Secret ocean-proxy really writes, laid out as the kubelet
mounts them (atomic-writer links, the wrapper's mode 0555). It is run with ``PATH`` holding
nothing but ``helm``, on the release each helm really hands a post-renderer (helm 4
re-serialises it), as the Job's ``helm upgrade`` runs it:

- the next Job gets exactly the edit ocean-proxy gave the first one, and every other byte of
  the release passes through;
- whatever it does not recognise leaves the release byte-identical (exit 0) and says why in
  the Job's log; with ``--strict`` it fails instead, so helm applies nothing.

The Job's sandbox and the releases it is run on are in job_sandbox; each test runs on every
helm of the ``helm`` fixture (conftest).
"""
