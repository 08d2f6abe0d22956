{{- define "ocean-network-client.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ocean-network-client.namespace" -}}
{{- default (include "ocean-network-client.name" .) .Values.namespace }}
{{- end }}

{{- define "ocean-network-client.labels" -}}
app: netflowd
app.kubernetes.io/name: {{ include "ocean-network-client.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
