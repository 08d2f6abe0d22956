#!/bin/sh
# Installs the ocean-proxy plugin into Helm 3: `helm ocean-proxy <command>`, and in the plugin's
# bin/ the ocean-proxy-post-renderer executable that Helm 3's --post-renderer finds on PATH.
# Its install hook sets up the plugin's own Python environment from the wheels in the tarball.
set -eu

HELM=${HELM:-helm}
OCEAN_PROXY_VERSION=${OCEAN_PROXY_VERSION:-0.1.0}
: "${OCEAN_PROXY_RELEASE_URL:?set it to where the ocean-proxy release tarballs are (a release page or your mirror)}"

# Another version installed (a CI cache, an earlier run) is replaced: OCEAN_PROXY_VERSION says
# which release runs. Helm keeps a tarball in its data directory, whatever HELM_PLUGINS lists,
# so that is looked at too (the install itself tells you if HELM_PLUGINS lacks it).
data_plugins="$("$HELM" env HELM_DATA_HOME)/plugins"
case ":${HELM_PLUGINS:-$data_plugins}:" in
    *":$data_plugins:"*) lookup=${HELM_PLUGINS:-$data_plugins} ;;
    *) lookup="$HELM_PLUGINS:$data_plugins" ;;
esac

# The directory of a copy of plugin $1 that the user put by hand in a directory of their
# HELM_PLUGINS (not helm's data directory): not helm's to uninstall (Helm 4 cannot, Helm 3
# would delete the user's own files), so it is named, not replaced.
placed_by_hand() {
    saved_ifs=$IFS
    IFS=:
    set -f
    for dir in $lookup; do
        IFS=$saved_ifs
        set +f
        [ "$dir" != "$data_plugins" ] || continue
        for manifest in "$dir"/*/plugin.yaml; do
            found=$(awk '$1 == "name:" { gsub(/["\047]/, "", $2); print $2; exit }' \
                "$manifest" 2>/dev/null) || continue
            if [ "$found" = "$1" ]; then
                echo "${manifest%/plugin.yaml}"
                return 0
            fi
        done
    done
    IFS=$saved_ifs
    set +f
}

say_placed_by_hand() {  # $1: the plugin, $2: the directory it is in
    echo "ocean-proxy: error: the $1 plugin in $2 was put there by hand (a directory of HELM_PLUGINS, not helm's), so it is not replaced with $OCEAN_PROXY_VERSION" >&2
    echo "ocean-proxy: hint: remove that directory or move it out of HELM_PLUGINS, then run this script again" >&2
}
url="$OCEAN_PROXY_RELEASE_URL/ocean-proxy-$OCEAN_PROXY_VERSION-helm3.tgz"
scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT

# Installs the tarball, with helm's directories in the environment $@ gives; its messages are
# said on failure. Helm 3 installs a tarball only from a URL served as application/gzip (see
# plugins/README.md): any other answer, a 404 included, it takes for a git URL, and says only
# "Cannot detect VCS".
install_from_url() {
    if ! env "$@" "$HELM" plugin install "$url" >"$scratch/out" 2>"$scratch/said"; then
        cat "$scratch/said" >&2
        if grep -q "Cannot detect VCS" "$scratch/said"; then
            echo "ocean-proxy: hint: the server did not answer Content-Type: application/gzip for the tarball, so Helm 3 took its URL for a git one: serve the tarball as application/gzip (a mirror, an artifact store; python3 -m http.server does not), or unpack it into a directory you keep and 'helm plugin install' that directory; or it has no $url (a 404, which Helm 3 says alike): check OCEAN_PROXY_RELEASE_URL and OCEAN_PROXY_VERSION" >&2
        fi
        return 1
    fi
}

installed=$(HELM_PLUGINS="$lookup" "$HELM" plugin list |
    awk '$1 == "ocean-proxy" { print $2 }')
if [ "$installed" = "$OCEAN_PROXY_VERSION" ]; then
    echo "ocean-proxy: the Helm 3 plugin $installed is already installed"
    exit 0
elif [ -n "$installed" ]; then
    copy=$(placed_by_hand ocean-proxy)
    if [ -n "$copy" ]; then
        say_placed_by_hand ocean-proxy "$copy"
        exit 1
    fi
    # The new release installed first into helm directories of its own: one that cannot be
    # had (a version misspelt, a mirror without it) stops here, the installed plugin left.
    if ! install_from_url HELM_DATA_HOME="$scratch/data" HELM_CONFIG_HOME="$scratch/config" \
        HELM_CACHE_HOME="$scratch/cache" HELM_PLUGINS="$scratch/data/plugins"; then
        echo "ocean-proxy: the Helm 3 plugin $installed stays installed" >&2
        exit 1
    fi
    echo "ocean-proxy: replacing the Helm 3 plugin $installed with $OCEAN_PROXY_VERSION"
    HELM_PLUGINS="$data_plugins" "$HELM" plugin uninstall ocean-proxy
fi
install_from_url || exit 1
cat "$scratch/out"
cat "$scratch/said" >&2
