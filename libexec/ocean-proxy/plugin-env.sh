# Sourced by bin/ocean-proxy, bin/ocean-proxy-post-renderer and libexec/ocean-proxy/bootstrap.
# Given $plugin_dir (the plugin directory as helm or PATH names it, symlinks not resolved), sets
# $venv (the plugin's private Python environment) and $sources (what it is built from).
#
# A release tarball installs into a directory helm owns: the environment lives inside it and
# helm plugin uninstall removes both. `helm plugin install <dir>` instead makes
# $HELM_PLUGINS/<dir name> a symlink to the user's own directory, which must stay untouched: the
# environment lives beside the symlink, as $HELM_PLUGINS/.<dir name>.venv, and the delete hook
# in every plugin.yaml removes it (helm runs that hook after the plugin directory is gone).
# So does a git install's: `helm plugin update` runs `git clean -x -d -f -f` in the clone before
# the update hook, which would take the environment with it, offline or not.

if [ -L "$plugin_dir" ] || [ -e "$plugin_dir/.git" ]; then
    venv=${plugin_dir%/*}/.${plugin_dir##*/}.venv
else
    venv=$plugin_dir/.venv
fi
if [ -d "$plugin_dir/wheelhouse" ]; then
    sources=$plugin_dir/wheelhouse
else
    sources=$plugin_dir/libexec/..   # a source checkout: libexec may be a symlink into it
fi

# Makes sure $venv is ready, bootstrapping it on first use or after the checkout's setup.cfg
# changed; the post-renderer's stderr is hidden by helm, so messages go to helm's stderr then.
ensure_venv() {
    if [ -x "$venv/bin/python" ] && [ -f "$venv/ocean-proxy.stamp" ] &&
        ! [ "$sources/setup.cfg" -nt "$venv/ocean-proxy.stamp" ]; then
        return 0
    fi
    if ! [ -L "$plugin_dir" ] && [ "$sources" != "$plugin_dir/wheelhouse" ] &&
        [ "${HELM_PLUGIN_DIR:-}" != "$plugin_dir" ]; then
        echo "ocean-proxy: error: $plugin_dir is a source checkout, not an installed plugin" >&2
        say_how_to_install_a_checkout >&2
        return 1
    fi
    case ${OCEAN_PROXY_MESSAGES:-auto}:$(cat "/proc/$PPID/comm" 2>/dev/null) in
        stderr:*) ;;  # only 'stderr' keeps them here, as the commands read it
        *:helm*)
            if [ -w "/proc/$PPID/fd/2" ] && ! [ "/proc/$PPID/fd/2" -ef /dev/stderr ]; then
                helms_stderr_gets_the_set_up
                return
            fi ;;
    esac
    # Our own stderr as it is (a command plugin's is helm's): not opened again, which would
    # write a log opened with '>' at its end, over which the command's own lines then go.
    "$plugin_dir/libexec/ocean-proxy/bootstrap" >&2
}

helms_stderr_gets_the_set_up() {
    if ! written_at_helms_offset; then  # a terminal, a pipe, a log opened with '>>'
        "$plugin_dir/libexec/ocean-proxy/bootstrap" >>"/proc/$PPID/fd/2" 2>&1
        return
    fi
    # A log the shell opened with '>' (a CI job's '2> helm.log'): helm writes from its own
    # offset, over lines appended now, its error over the set-up's. They go in just after helm
    # has exited, after its own, as the post-renderer's do (post_renderer/helm_stderr.py).
    said=$("$plugin_dir/libexec/ocean-proxy/bootstrap" 2>&1)
    status=$?
    [ -z "$said" ] || append_when_helm_exits "$said"
    return $status
}

written_at_helms_offset() {  # helm's stderr is a regular file not opened for appending ('2>')
    [ -f "/proc/$PPID/fd/2" ] || return 1
    flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$PPID/fdinfo/2" 2>/dev/null)
    [ -n "$flags" ] && [ $((0$flags & 02000)) -eq 0 ]  # O_APPEND
}

# $1: the lines. A detached process holding none of helm's pipes (helm waits for their end)
# appends them once helm, the parent, has exited: its start time tells it from a process that
# takes its id later.
append_when_helm_exits() {
    helm=$PPID
    started=$(running_since "$helm") || return 0
    (
        # GNU tail sees helm's exit within 20 ms and starts no process to look; else a poll
        tail --pid="$helm" -s 0.02 -f /dev/null 2>/dev/null ||
            while [ "$(running_since "$helm")" = "$started" ]; do
                sleep 0.1 2>/dev/null || sleep 1
            done
        printf '%s\n' "$1" >&3
    ) 3>>"/proc/$helm/fd/2" </dev/null >/dev/null 2>&1 &
}

running_since() {  # $1: a process id; its start time while it runs (not once it is a zombie)
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    set -- ${stat##*) }  # from the state on: the fields after the command's name
    [ "$1" != Z ] || return 1
    shift 19
    echo "$1"
}

# The install that gives this checkout's commands. Helm 4's post-renderer plugin has a manifest
# Helm 3 cannot read: installed into Helm 3, it breaks every Helm 3 plugin command, so a Helm 3
# user (who runs --post-renderer by path) is sent to the clone's root, the command plugin.
say_how_to_install_a_checkout() {
    root=$(CDPATH='' cd -P -- "$sources" && pwd) || root=$sources
    if [ "$root" = "$(CDPATH='' cd -P -- "$plugin_dir" && pwd)" ]; then
        echo "ocean-proxy: hint: install it: 'helm plugin install $root' (on Helm 3, then put the bin/ it prints on PATH), or 'pip install $root'"
    else
        echo "ocean-proxy: hint: this is Helm 4's post-renderer plugin: 'helm plugin install $plugin_dir' on Helm 4, then --post-renderer ocean-proxy-post-renderer; on Helm 3 install the command plugin instead, 'helm plugin install $root', whose bin/ has the post-renderer"
    fi
}

# A directory as standard input ('... check-bundle - < certs/') stops Python before any of
# ocean-proxy runs ('Fatal Python error: init_sys_streams'): said here as ocean-proxy says errors.
# $1: the hint, in the words of the command that was run.
refuse_a_directory_on_stdin() {
    [ -d /dev/stdin ] || return 0
    echo "ocean-proxy: error: standard input is a directory" >&2
    echo "ocean-proxy: hint: $1" >&2
    return 2
}
