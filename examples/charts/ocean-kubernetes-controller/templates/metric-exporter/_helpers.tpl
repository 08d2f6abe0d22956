{{/*
The metric exporter this chart renders in its own release with
ocean-metric-exporter.deployChart=true (as the vendor's chart does in its 0.1.2x-0.1.3x line):
named after the release, in the release namespace, reading the controller's objects.
*/}}
{{- define "ocean-metric-exporter.name" -}}
{{- default "ocean-metric-exporter" (index .Values "ocean-metric-exporter").name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ocean-metric-exporter.fullname" -}}
{{- $exporter := index .Values "ocean-metric-exporter" }}
{{- $name := default (include "ocean-metric-exporter.name" .) $exporter.nameOverride }}
{{- if $exporter.fullnameOverride }}
{{- $exporter.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ocean-metric-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ocean-metric-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ocean-metric-exporter.labels" -}}
helm.sh/chart: {{ include "ocean-kubernetes-controller.chart" . }}
{{ include "ocean-metric-exporter.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
