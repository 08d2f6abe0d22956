#!/bin/sh
# make demo: the vendor's documented install command for the Ocean controller, behind a
# TLS-inspecting proxy, plus one flag: --post-renderer ocean-proxy-post-renderer.
# Renders the bundled stand-in chart with helm 3, prints the result, then what changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python "$here/make_ca.py" "$work/corp-ca.pem"
export HELM_CACHE_HOME="$work/helm" HELM_CONFIG_HOME="$work/helm" \
    HELM_DATA_HOME="$work/helm"

helm3 template ocean-controller "$here/../charts/ocean-kubernetes-controller" \
    --namespace spot-system \
    --set spotinst.account=act-12345678 \
    --set spotinst.clusterIdentifier=demo-cluster \
    --set spotinst.token=demo-token \
    --set spotinst.proxyUrl=http://proxy.corp.example:3128 \
    --set caBundleSecret.create=true \
    --set-file caBundleSecret.data="$work/corp-ca.pem" \
    --post-renderer ocean-proxy-post-renderer \
    --post-renderer-args --explain \
    >"$work/rendered.yaml" 2>>"$work/summary.txt"  # >>: ocean-proxy appends to helm's stderr

cat "$work/rendered.yaml"
echo
echo "=== What ocean-proxy changed, and why ==="
cat "$work/summary.txt"
echo
echo "=== The CA it validated (ocean-proxy check-bundle) ==="
ocean-proxy check-bundle "$work/corp-ca.pem"
