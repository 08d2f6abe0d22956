"""The Helm plugin as users get it: installed, used, updated and uninstalled with real Helm 3 and 4.

Each scenario starts from empty helm directories, installs from a fresh clone of the checkout or
from the tarballs ``make dist`` builds, and runs helm from a shell whose PATH holds no project
virtualenv (/usr/local/bin:/usr/bin:/bin, plus on Helm 3 the plugin's bin/ as the README says).
Uninstall must leave the helm directories, HOME and the checkout exactly as they were, the
caches a render keeps in helm's cache and config directories included.

A scenario is a class: its install is a class fixture, its last test uninstalls. ``make test``
runs pytest with ``--dist loadscope``, which keeps a class on one xdist worker, in order.

One module per thing the user does: install from a checkout (test_from_checkout), from the
release tarballs (test_from_tarball), update (test_update); what every install must then do is
used_like_a_user.UsedLikeAUser, the machine it runs on installed.Installed.
"""
