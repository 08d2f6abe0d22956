#!/bin/sh
# Every Spot agent of the cluster behind the proxy, in dependency order: the controller, then
# the agents that read its ConfigMap and Secrets. Needs: SPOTINST_ACCOUNT, SPOTINST_TOKEN,
# CLUSTER_ID, PROXY_URL, and ca.pem (from 'ocean-proxy discover-ca').
# HELM (default helm), CHARTS (default spot: the repo added with 'helm repo add spot
# https://charts.spot.io'), NS (default spot-system) and CA_FILE (default ca.pem) can be set.
set -eu
HELM=${HELM:-helm}
CHARTS=${CHARTS:-spot}
NS=${NS:-spot-system}
CA_FILE=${CA_FILE:-ca.pem}
RELEASE=ocean-controller
FULLNAME=$RELEASE-ocean-kubernetes-controller

# The token and the proxy URL (its password) go in through stdin (--values -) and the
# environment (OCEAN_PROXY_URL), not as arguments: every user of the machine sees a command
# line in ps for as long as the command runs. printf is the shell's own: no process of its own.
printf 'spotinst:\n  token: "%s"\n  proxyUrl: "%s"\n' "$SPOTINST_TOKEN" "$PROXY_URL" |
"$HELM" upgrade --install "$RELEASE" "$CHARTS/ocean-kubernetes-controller" --namespace "$NS" \
  --set spotinst.account="$SPOTINST_ACCOUNT" --set spotinst.clusterIdentifier="$CLUSTER_ID" \
  --values - \
  --set caBundleSecret.create=true --set-file caBundleSecret.data="$CA_FILE" \
  --post-renderer ocean-proxy-post-renderer

"$HELM" upgrade --install ocean-metric-exporter "$CHARTS/ocean-metric-exporter" --namespace "$NS" \
  --set oceanController.namespace="$NS" \
  --set oceanController.configMapName="$FULLNAME" \
  --set oceanController.secretName="$FULLNAME" \
  --set oceanController.caBundleSecretName="$FULLNAME-ca-bundle" \
  --post-renderer ocean-proxy-post-renderer

OCEAN_PROXY_URL=$PROXY_URL \
"$HELM" upgrade --install ocean-network-client "$CHARTS/ocean-network-client" --namespace "$NS" \
  --set namespace="$NS" \
  --set oceanController.secretName="$FULLNAME" \
  --set oceanController.configMapName="$FULLNAME" \
  --post-renderer ocean-proxy-post-renderer --post-renderer-args --ca-file="$CA_FILE"
