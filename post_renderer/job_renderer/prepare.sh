# ocean-proxy's step in the auto-update Job, sourced by the Job's script between
# 'helm get values' and 'helm upgrade'. It sets OCEAN_PROXY_ARGS, which the script passes to
# 'helm upgrade':
#   --values /tmp/ocean-proxy-values.yaml  ocean-proxy's chart values merged with the
#                                          release's (values/, rendered by this helm)
#   --post-renderer ...                    ocean-proxy-job-renderer, which gives the Job of
#                                          the chart version being installed this step again
# Helm 3 runs a post-renderer by its path; Helm 4 only as a postrenderer/v1 plugin, found
# through HELM_PLUGINS. Bash builtins and helm only. What the post-renderer did is printed
# when the Job ends.
OCEAN_PROXY_ARGS=()
ocean_proxy_job=${BASH_SOURCE[0]%/*}
export OCEAN_PROXY_JOB_LOG=/tmp/ocean-proxy-job.log
: > "$OCEAN_PROXY_JOB_LOG"
# a failed upgrade (helm's error just above) did not install what the post-renderer prepared
trap 'ocean_proxy_status=$?
while IFS= read -r ocean_proxy_line; do printf "%s\n" "$ocean_proxy_line"; done < "$OCEAN_PROXY_JOB_LOG"
if [[ $ocean_proxy_status != 0 ]]; then
  printf "ocean-proxy: the auto-update failed (exit %s, helm says why above): what ocean-proxy-job-renderer prepared for it may not be in the cluster\n" "$ocean_proxy_status"
fi' EXIT
helm template ocean-proxy-overlay "$ocean_proxy_job/values" --values /tmp/values.yaml \
  > /tmp/ocean-proxy-values.yaml && OCEAN_PROXY_ARGS+=(--values /tmp/ocean-proxy-values.yaml) && {
  case $(helm version --short 2>/dev/null) in
    v3.0.*)
      printf 'ocean-proxy-job-renderer: not run: helm %s has no --post-renderer (3.1 and later do); the next auto-update Job has no proxy\n' \
        "$(helm version --short)" >> "$OCEAN_PROXY_JOB_LOG" ;;
    v3.*)
      OCEAN_PROXY_ARGS+=(--post-renderer "$ocean_proxy_job/plugins/ocean-proxy-job-renderer/ocean-proxy-job-renderer") ;;
    *)
      export HELM_PLUGINS=$ocean_proxy_job/plugins
      OCEAN_PROXY_ARGS+=(--post-renderer ocean-proxy-job-renderer) ;;
  esac
}
