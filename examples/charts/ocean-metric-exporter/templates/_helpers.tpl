{{/* Chart name, nameOverride-aware. */}}
{{- define "ocean-metric-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ocean-metric-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{ include "ocean-metric-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ocean-metric-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ocean-metric-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* oceanController.namespace, else the release namespace, kube-system for "default". */}}
{{- define "ocean-metric-exporter.namespace" -}}
{{- if .Values.oceanController.namespace }}
{{- .Values.oceanController.namespace }}
{{- else if eq .Release.Namespace "default" }}
{{- "kube-system" }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{- define "ocean-metric-exporter.standaloneSecret" -}}
{{- if or .Values.spotinst.token .Values.spotinst.account }}true{{ end }}
{{- end }}

{{- define "ocean-metric-exporter.standaloneConfigMap" -}}
{{- if .Values.spotinst.clusterIdentifier }}true{{ end }}
{{- end }}

{{/* Standalone: our own Secret. Otherwise the controller's (the v1 controller's name by default). */}}
{{- define "ocean-metric-exporter.secretName" -}}
{{- if include "ocean-metric-exporter.standaloneSecret" . }}
{{- default (include "ocean-metric-exporter.name" .) .Values.secretName }}
{{- else }}
{{- default "spotinst-kubernetes-cluster-controller" .Values.oceanController.secretName }}
{{- end }}
{{- end }}

{{- define "ocean-metric-exporter.configMapName" -}}
{{- if include "ocean-metric-exporter.standaloneConfigMap" . }}
{{- default (include "ocean-metric-exporter.name" .) .Values.configMapName }}
{{- else }}
{{- default "spotinst-kubernetes-cluster-controller-config" .Values.oceanController.configMapName }}
{{- end }}
{{- end }}

{{- define "ocean-metric-exporter.caBundleSecretName" -}}
{{- default (include "ocean-metric-exporter.name" .) (default .Values.caBundleSecretName .Values.oceanController.caBundleSecretName) }}
{{- end }}
