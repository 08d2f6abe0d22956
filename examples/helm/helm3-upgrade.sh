#!/bin/sh
# The vendor's documented install of the Spot Ocean controller behind a proxy, on Helm 3, plus
# one flag: --post-renderer ocean-proxy-post-renderer.
# DRY_RUN=1 runs `helm template` with exactly the same flags instead of the upgrade.
set -eu

HELM=${HELM:-helm}
CA_FILE=${CA_FILE:-./userEnvCertificates.pem}
SPOT_CHARTS_URL=${SPOT_CHARTS_URL:-https://charts.spot.io}
: "${SPOTINST_ACCOUNT:?}" "${SPOTINST_CLUSTER_IDENTIFIER:?}" "${SPOTINST_TOKEN:?}" "${SPOTINST_PROXY_URL:?}"

# Helm installs a tarball into its data directory whatever HELM_PLUGINS (perhaps a list) says,
# but finds plugins only through HELM_PLUGINS: a list of your own that lacks that directory
# gets it added here. Helm 3 looks the post-renderer up on PATH: the plugin keeps it in its bin/.
# (With `pip install ocean_proxy-0.1.0-py3-none-any.whl`, the wheel from the release, it is on
# PATH already, and `ocean-proxy` replaces `helm ocean-proxy`.)
data_plugins="$("$HELM" env HELM_DATA_HOME)/plugins"
case ":${HELM_PLUGINS:-$data_plugins}:" in
    *":$data_plugins:"*) ;;
    *) HELM_PLUGINS="$HELM_PLUGINS:$data_plugins"; export HELM_PLUGINS ;;
esac
PATH="$data_plugins/ocean-proxy/bin:$PATH"

# A report per certificate; stops here if the file is not a usable CA (a server certificate,
# an expired one, a key, a truncated block). The post-renderer checks it again, but says less.
"$HELM" ocean-proxy check-bundle "$CA_FILE" >&2

"$HELM" repo add spot "$SPOT_CHARTS_URL" --force-update >&2

if [ -n "${DRY_RUN:-}" ]; then set -- template; else set -- upgrade --install; fi
"$HELM" "$@" --wait ocean-controller spot/ocean-kubernetes-controller \
    --namespace spot-system --create-namespace \
    --set spotinst.account="$SPOTINST_ACCOUNT" \
    --set spotinst.clusterIdentifier="$SPOTINST_CLUSTER_IDENTIFIER" \
    --set spotinst.token="$SPOTINST_TOKEN" \
    --set spotinst.proxyUrl="$SPOTINST_PROXY_URL" \
    --set caBundleSecret.create=true \
    --set-file caBundleSecret.data="$CA_FILE" \
    --post-renderer ocean-proxy-post-renderer
