{{/*
The network client this chart renders in its own release with
ocean-network-client.deployChart=true: named after the release, in the release namespace (not
the standalone chart's kube-system), reading the controller's Secret and ConfigMap.
*/}}
{{- define "ocean-network-client.name" -}}
{{- default "ocean-network-client" (index .Values "ocean-network-client").name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ocean-network-client.fullname" -}}
{{- $client := index .Values "ocean-network-client" }}
{{- $name := default (include "ocean-network-client.name" .) $client.nameOverride }}
{{- if $client.fullnameOverride }}
{{- $client.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ocean-network-client.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ocean-network-client.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ocean-network-client.labels" -}}
helm.sh/chart: {{ include "ocean-kubernetes-controller.chart" . }}
{{ include "ocean-network-client.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
