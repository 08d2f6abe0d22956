#!/bin/sh
# Installs ocean-proxy into Helm 4 as its two plugins: the postrenderer/v1 plugin that
# `--post-renderer ocean-proxy-post-renderer` names, and the command plugin for
# `helm ocean-proxy <command>` (Helm 4 gives a plugin one type only).
# Their install hooks set up the plugins' own Python environments from the wheels in the tarballs.
set -eu

HELM=${HELM:-helm}
OCEAN_PROXY_VERSION=${OCEAN_PROXY_VERSION:-0.1.0}
: "${OCEAN_PROXY_RELEASE_URL:?set it to where the ocean-proxy release tarballs are (a release page or your mirror)}"

# A release is signed: OCEAN_PROXY_KEYRING=<ocean-proxy-release.pubring.gpg> verifies each
# tarball against its .prov. Only a build of your own, unsigned, goes without:
# OCEAN_PROXY_VERIFY=false says so. Asked for only when there is something to install.
verify_flag() {
    if [ -n "${OCEAN_PROXY_KEYRING:-}" ]; then
        echo "--keyring=$OCEAN_PROXY_KEYRING"
    elif [ "${OCEAN_PROXY_VERIFY:-}" = false ]; then
        echo --verify=false
    else
        echo "ocean-proxy: error: OCEAN_PROXY_KEYRING is not set, so the release tarballs cannot be verified" >&2
        echo "ocean-proxy: hint: set it to the release's public key (ocean-proxy-release.pubring.gpg); for an unsigned build of your own, OCEAN_PROXY_VERIFY=false" >&2
        return 1
    fi
}

installed=$("$HELM" plugin list)
for name in ocean-proxy-post-renderer ocean-proxy; do
    version=$(printf '%s\n' "$installed" | awk -v name="$name" '$1 == name { print $2 }')
    if [ "$version" = "$OCEAN_PROXY_VERSION" ]; then
        echo "ocean-proxy: the $name plugin $version is already installed"
        continue
    fi
    verify=$(verify_flag) || exit 1
    if [ -n "$version" ]; then
        # helm installs no plugin over one of its name: another release's goes first. A
        # tarball lives in helm's data directory, which Helm 4's uninstall must be told alone
        # when HELM_PLUGINS is a list (see the main README).
        echo "ocean-proxy: replacing the $name plugin $version with $OCEAN_PROXY_VERSION"
        HELM_PLUGINS="$("$HELM" env HELM_DATA_HOME)/plugins" "$HELM" plugin uninstall "$name"
    fi
    "$HELM" plugin install "$verify" "$OCEAN_PROXY_RELEASE_URL/$name-$OCEAN_PROXY_VERSION.tgz"
done
