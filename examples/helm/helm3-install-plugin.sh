#!/bin/sh
# Installs the ocean-proxy plugin into Helm 3: `helm ocean-proxy <command>`, and in the plugin's
# bin/ the ocean-proxy-post-renderer executable that Helm 3's --post-renderer finds on PATH.
# Its install hook sets up the plugin's own Python environment from the wheels in the tarball.
set -eu

HELM=${HELM:-helm}
OCEAN_PROXY_VERSION=${OCEAN_PROXY_VERSION:-0.1.0}
: "${OCEAN_PROXY_RELEASE_URL:?set it to where the ocean-proxy release tarballs are (a release page or your mirror)}"

version=$("$HELM" plugin list | awk '$1 == "ocean-proxy" { print $2 }')
if [ "$version" = "$OCEAN_PROXY_VERSION" ]; then
    echo "ocean-proxy: the Helm 3 plugin $version is already installed"
    exit 0
fi
if [ -n "$version" ]; then  # helm installs no plugin over one of its name
    echo "ocean-proxy: replacing the Helm 3 plugin $version with $OCEAN_PROXY_VERSION"
    "$HELM" plugin uninstall ocean-proxy
fi
# Helm 3 installs a tarball only from a URL served as application/gzip (see plugins/README.md).
"$HELM" plugin install "$OCEAN_PROXY_RELEASE_URL/ocean-proxy-$OCEAN_PROXY_VERSION-helm3.tgz"
