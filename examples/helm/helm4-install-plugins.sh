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
# OCEAN_PROXY_VERIFY=false says so. Asked for only when there is something to install. A
# keyring that is not there is named here, before helm downloads anything: otherwise the
# first install fails, and this script's word for that (cannot be installed from the release
# page) sends the user to the page and the version, not to the keyring.
verify_flag() {
    if [ -n "${OCEAN_PROXY_KEYRING:-}" ]; then
        if ! [ -f "$OCEAN_PROXY_KEYRING" ] || ! [ -r "$OCEAN_PROXY_KEYRING" ]; then
            what="is not there"
            [ ! -e "$OCEAN_PROXY_KEYRING" ] || what="is not a file this script can read"
            echo "ocean-proxy: error: OCEAN_PROXY_KEYRING names $OCEAN_PROXY_KEYRING, which $what, so the release tarballs cannot be verified: nothing was installed or removed" >&2
            echo "ocean-proxy: hint: fetch the release's public key (ocean-proxy-release.pubring.gpg, on the release page) to that path, or point OCEAN_PROXY_KEYRING at where you keep it" >&2
            return 1
        fi
        echo "--keyring=$OCEAN_PROXY_KEYRING"
    elif [ "${OCEAN_PROXY_VERIFY:-}" = false ]; then
        echo --verify=false
    else
        echo "ocean-proxy: error: OCEAN_PROXY_KEYRING is not set, so the release tarballs cannot be verified" >&2
        echo "ocean-proxy: hint: set it to the release's public key (ocean-proxy-release.pubring.gpg); for an unsigned build of your own, OCEAN_PROXY_VERIFY=false" >&2
        return 1
    fi
}

# Another version installed (a CI cache, an earlier run) is replaced: OCEAN_PROXY_VERSION says
# which release runs. Helm keeps a tarball in its data directory, whatever HELM_PLUGINS lists,
# so that is looked at too (the install itself tells you if HELM_PLUGINS lacks it); Helm 4's
# uninstall, too, finds it only there, not through a list.
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

listed=$(HELM_PLUGINS="$lookup" "$HELM" plugin list)
installed_version() {
    printf '%s\n' "$listed" | awk -v name="$1" '$1 == name { print $2 }'
}
by_hand=0  # each said, and nothing changed
for name in ocean-proxy-post-renderer ocean-proxy; do
    installed=$(installed_version "$name")
    if [ -n "$installed" ] && [ "$installed" != "$OCEAN_PROXY_VERSION" ]; then
        copy=$(placed_by_hand "$name")
        if [ -n "$copy" ]; then
            say_placed_by_hand "$name" "$copy"
            by_hand=1
        fi
    fi
done
[ "$by_hand" = 0 ] || exit 1

# The new release's plugins that replace others are installed first into helm directories of
# their own: one that cannot be had (a version misspelt, a mirror without it, a tarball that
# fails its verification) stops here, the installed plugins left.
scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT
for name in ocean-proxy-post-renderer ocean-proxy; do
    installed=$(installed_version "$name")
    [ -n "$installed" ] && [ "$installed" != "$OCEAN_PROXY_VERSION" ] || continue
    verify=$(verify_flag) || exit 1
    if ! HELM_DATA_HOME="$scratch/data" HELM_CONFIG_HOME="$scratch/config" \
        HELM_CACHE_HOME="$scratch/cache" HELM_PLUGINS="$scratch/data/plugins" \
        "$HELM" plugin install "$verify" "$OCEAN_PROXY_RELEASE_URL/$name-$OCEAN_PROXY_VERSION.tgz" \
        >/dev/null 2>"$scratch/said"; then
        cat "$scratch/said" >&2
        echo "ocean-proxy: error: the $name plugin $OCEAN_PROXY_VERSION cannot be installed from $OCEAN_PROXY_RELEASE_URL: the installed plugins stay as they are" >&2
        echo "ocean-proxy: hint: check OCEAN_PROXY_RELEASE_URL, OCEAN_PROXY_VERSION and OCEAN_PROXY_KEYRING against the release page" >&2
        exit 1
    fi
done

for name in ocean-proxy-post-renderer ocean-proxy; do
    installed=$(installed_version "$name")
    if [ "$installed" = "$OCEAN_PROXY_VERSION" ]; then
        echo "ocean-proxy: the $name plugin $installed is already installed"
        continue
    fi
    verify=$(verify_flag) || exit 1
    if [ -n "$installed" ]; then
        echo "ocean-proxy: replacing the $name plugin $installed with $OCEAN_PROXY_VERSION"
        HELM_PLUGINS="$data_plugins" "$HELM" plugin uninstall "$name"
    fi
    "$HELM" plugin install "$verify" "$OCEAN_PROXY_RELEASE_URL/$name-$OCEAN_PROXY_VERSION.tgz"
done
