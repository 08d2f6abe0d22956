# The Spot Ocean controller behind a corporate proxy with Terraform's Helm provider (v3):
# the vendor's chart and values, and ocean-proxy as the release's post-renderer.
#
# The provider runs Helm 3 as a library, so `binary_path` is looked up on the PATH terraform
# runs with: `pip install ocean_proxy-0.1.0-py3-none-any.whl` (the wheel from the release), or
# the Helm 3 plugin's bin/ (see README.md).

terraform {
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
  }
}

provider "helm" {
  kubernetes = {
    config_path = var.kubeconfig
  }
}

variable "kubeconfig" {
  type    = string
  default = "~/.kube/config"
}

variable "spotinst_account" {
  type = string
}

variable "spotinst_cluster_identifier" {
  type = string
}

variable "spotinst_token" {
  description = "Spot API token, e.g. from TF_VAR_spotinst_token or a secrets manager"
  type        = string
  sensitive   = true
}

variable "spotinst_proxy_url" {
  # A proxy with a user and password: leave this empty and export OCEAN_PROXY_URL where
  # terraform runs (see README.md); a password here stays in helm's record of the values.
  description = "http://proxy:port; empty when OCEAN_PROXY_URL holds a URL with a password"
  type        = string
  sensitive   = true
  default     = ""
}

variable "ca_file" {
  description = "The proxy's CA (PEM, DER or PKCS#7): an absolute path, or relative to where terraform runs"
  type        = string
}

variable "chart_version" {
  description = "The chart version you have tested; null installs the newest"
  type        = string
  default     = null
}

resource "helm_release" "ocean_controller" {
  name             = "ocean-controller"
  repository       = "https://charts.spot.io"
  chart            = "ocean-kubernetes-controller"
  version          = var.chart_version
  namespace        = "spot-system"
  create_namespace = true

  set = [
    {
      name  = "spotinst.account"
      value = var.spotinst_account
    },
    {
      name  = "spotinst.clusterIdentifier"
      value = var.spotinst_cluster_identifier
    },
    # Terraform, not the chart's auto-update Job, upgrades this release: that Job would
    # install another chart version behind Terraform's back (it keeps the proxy and the CA,
    # but the next plan would show the release as drifted).
    {
      name  = "spotinst.disableAutoUpdate"
      value = "true"
    },
  ]

  # Kept out of plans and logs.
  set_sensitive = [
    {
      name  = "spotinst.token"
      value = var.spotinst_token
    },
    {
      name  = "spotinst.proxyUrl"
      value = var.spotinst_proxy_url
    },
  ]

  # Provider v3 syntax (an attribute); v2 wrote it as a block: postrender { ... }.
  postrender = {
    binary_path = "ocean-proxy-post-renderer"
    args = [
      # Validated, then trusted by every container; also fills the chart's own CA Secret.
      "--ca-file=${var.ca_file}",
      # Fail the apply if the chart's auto-update Job is switched back on.
      "--auto-update=refuse",
    ]
  }
}
