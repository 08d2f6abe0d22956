{{- /*
Helpers over the Job's text as a list of lines. Each prints its result, which the caller
reads back with atoi or splitList: Go templates have no functions of their own.
*/ -}}

{{- /* The number of leading spaces of a line. */ -}}
{{- define "ojr.indent" -}}
{{- len (regexFind "^ *" .) -}}
{{- end -}}

{{- /*
The block sequence under the key line .at ("env:", "volumeMounts:", "volumes:") of .lines:
"<indent of its dashes> <index of its last line>", or nothing when the key is not followed
by a block sequence.
*/ -}}
{{- define "ojr.list" -}}
{{- $lines := .lines -}}{{- $at := .at -}}
{{- $keyIndent := include "ojr.indent" (index $lines $at) | atoi -}}
{{- $first := "" -}}
{{- if lt (add1 $at) (len $lines) -}}{{- $first = index $lines (add1 $at) -}}{{- end -}}
{{- $dash := include "ojr.indent" $first | atoi -}}
{{- if and (ge $dash $keyIndent) (hasPrefix "- " (trimAll " " $first | printf "%s ")) -}}
{{- $last := add1 $at -}}{{- $open := true -}}
{{- range $i, $line := $lines -}}
{{- if and $open (gt $i (add1 $at)) -}}
{{- $body := trimAll " " $line -}}
{{- $in := include "ojr.indent" $line | atoi -}}
{{- if eq $body "" -}}
{{- else if or (gt $in $dash) (and (eq $in $dash) (hasPrefix "- " $body)) -}}
{{- $last = $i -}}
{{- else -}}
{{- $open = false -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- printf "%d %d" $dash $last -}}
{{- end -}}
{{- end -}}
