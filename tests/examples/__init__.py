"""Every integration example in examples/ does what a user relies on: run as written, with the
real helm 3 and helm 4 and the plugins installed from the release, it gives the controller's
containers the proxy and the validated CA.

helmfile runs for real (``make tools`` builds it). What cannot run here (Terraform, Argo CD,
the GitHub and GitLab runners) is replaced by the helm command line, environment or shell steps
that tool derives from the example's file (tests/example_tools.py), and the file is checked
against the tool's published schema where one is to be had offline. Only the outside world is
substituted, and each substitution is named where it is made: the release tarballs and
charts.spot.io are served from 127.0.0.1 (the release ``make dist`` builds, the stand-in chart),
and the CA is a real one made here.

One module per example (test_helm, test_helmfile, test_terraform, test_argocd, test_ci_github,
test_ci_gitlab); the outside world served on 127.0.0.1 is in conftest, the user who follows
an example and what they must get in user.
"""
