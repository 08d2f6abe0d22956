#!/bin/sh
# make demo: the vendor's documented install command for the Ocean controller, behind a
# TLS-inspecting proxy, plus one flag: --post-renderer ocean-proxy-post-renderer.
# Renders the bundled stand-in chart with helm 3 and says what changed and why, then
# shows it as a diff.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# Run by hand, not by make demo: say what to run, not 'helm3: not found' halfway through.
for needed in python helm3 ocean-proxy-post-renderer ocean-proxy; do
    if ! command -v "$needed" >/dev/null 2>&1; then
        echo "demo.sh: $needed is not on PATH: run 'make demo' in the checkout" \
            "($(cd "$here/../.." && pwd)), which installs what the demo needs" >&2
        exit 1
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python "$here/make_ca.py" "$work/corp-ca.pem"
# The stand-in's proxy and CA alone: settings of yours (an OCEAN_PROXY_URL with the password,
# as the README advises) would replace them, and the diff below would print your proxy Secret.
for name in $(env | sed -n 's/^\(OCEAN_PROXY_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$name"
done
export HELM_CACHE_HOME="$work/helm" HELM_CONFIG_HOME="$work/helm" \
    HELM_DATA_HOME="$work/helm"

# The vendor's command; then the same with the post-renderer, which appends its messages
# (and, with --explain, every change and why) to helm's stderr.
vendor() {
    helm3 template ocean-controller "$here/../charts/ocean-kubernetes-controller" \
        --namespace spot-system \
        --set spotinst.account=act-12345678 \
        --set spotinst.clusterIdentifier=demo-cluster \
        --set spotinst.token=demo-token \
        --set spotinst.proxyUrl=http://proxy.corp.example:3128 \
        --set caBundleSecret.create=true \
        --set-file caBundleSecret.data="$work/corp-ca.pem" "$@"
}
vendor >"$work/chart.yaml"
# helm's stderr goes to a file that the trap removes: on a failure, say what it holds.
if ! vendor --post-renderer ocean-proxy-post-renderer --post-renderer-args --explain \
    >"$work/rendered.yaml" 2>>"$work/summary.txt"; then  # >>: ocean-proxy appends to helm's stderr
    cat "$work/summary.txt" >&2
    exit 1
fi

echo "=== The vendor's command plus one flag (run here as helm template, on a stand-in chart) ==="
echo "helm upgrade --install ocean-controller spot/ocean-kubernetes-controller \\"
echo "  --namespace spot-system --set spotinst.token=... --set spotinst.proxyUrl=... \\"
echo "  --set caBundleSecret.create=true --set-file caBundleSecret.data=corp-ca.pem \\"
echo "  --post-renderer ocean-proxy-post-renderer"
echo
echo "=== What ocean-proxy changed, and why ==="
cat "$work/summary.txt"
echo
echo "=== The same, as a diff: helm template without and with the post-renderer ==="
echo "(The ConfigMap holds the auto-update Job as text, which ocean-proxy writes back whole: its"
echo "script shows as replaced, re-indented, with one new line, the one that sources prepare.sh,"
echo "and ocean-proxy's arguments, \"\${OCEAN_PROXY_ARGS[@]}\", at the end of its helm upgrade.)"
# (long lines, the base64 of the Secrets, shortened)
diff -u "$work/chart.yaml" "$work/rendered.yaml" | sed -e '1,2d' \
    -e 's/^\(.\{157\}\).\{4,\}$/\1.../' || true
echo
echo "=== The CA it validated (ocean-proxy check-bundle) ==="
# From the work directory: the report names corp-ca.pem, as the command above does, not a
# temporary path that is gone once the demo ends.
(cd "$work" && ocean-proxy check-bundle corp-ca.pem)
echo
echo "=== Next ==="
echo "Install the post-renderer for your helm (README.md, 'Quick start'), then add"
echo "--post-renderer ocean-proxy-post-renderer to your own helm upgrade."
