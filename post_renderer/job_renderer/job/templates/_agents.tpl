{{- /*
ocean-proxy's edit of a Spot agent the controller chart renders beside the controller (the
metric exporter, the network client), for edit.yaml. No value of the chart gives them the
proxy or the CA, so the edit ocean-proxy's render made (.agent: kind, name, namespace,
container, env, volumeMounts, volumes, annotations; see overlay/agents.py) is made again here, as whole
lines in the agent's document of .lines (the release):

- env: an entry of a name the container has replaces that entry's lines (unless equal);
  others go after
  its env list (an "env:" key is added when it has none), as do volumeMounts;
- volumes go after the pod's volumes list (a "volumes:" key before "containers:" when none);
- annotations go after the pod template's annotations ("annotations:" after its
  "metadata:" when none).

Then proven: the document parsed must equal the old one parsed with exactly that edit made.
Prints JSON: {"reason": why not}, {"absent": true} (no such document: nothing to give), or
{"from": <first line>, "to": <last line>, "block": [lines]}, indices into .lines.
*/ -}}

{{- /* Where "key:" with a block sequence is among .lines[.from..=.to] at .indent:
"<dash indent> <index of its last line> <index of the key>", "none", or "many". */ -}}
{{- define "ojr.keyList" -}}
{{- $lines := .lines -}}{{- $found := list -}}
{{- range $i, $line := $lines -}}
{{- if and (ge $i $.from) (le $i $.to) (regexMatch (printf "^ {%d}%s: *$" (int $.indent) $.key) $line) -}}
{{- $found = append $found $i -}}
{{- end -}}
{{- end -}}
{{- if eq (len $found) 0 -}}none
{{- else if gt (len $found) 1 -}}many
{{- else -}}
{{- $list := include "ojr.list" (dict "lines" $lines "at" (first $found)) -}}
{{- if $list -}}{{- printf "%s %d" $list (first $found) -}}{{- else -}}many{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The lines of the YAML of each of .items as block sequence entries at .dash, as JSON
{"lines": [...]}: an object, for helm 3.1's fromJson (fromJsonArray came after). */ -}}
{{- define "ojr.entries" -}}
{{- $out := list -}}
{{- range .items -}}
{{- range toYaml (list .) | splitList "\n" -}}{{- $out = append $out (printf "%s%s" (repeat (int $.dash) " ") .) -}}{{- end -}}
{{- end -}}
{{- toJson (dict "lines" $out) -}}
{{- end -}}

{{- /* The last index of the block under .lines[.at]: lines blank or indented deeper. */ -}}
{{- define "ojr.blockEnd" -}}
{{- $in := include "ojr.indent" (index .lines .at) | atoi -}}
{{- $last := .at -}}{{- $open := true -}}
{{- range $i, $line := .lines -}}
{{- if and $open (gt $i $.at) -}}
{{- if eq (trimAll " " $line) "" -}}
{{- else if gt (include "ojr.indent" $line | atoi) $in -}}{{- $last = $i -}}
{{- else -}}{{- $open = false -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $last -}}
{{- end -}}

{{- define "ojr.agent" -}}
{{- $lines := .lines -}}{{- $a := .agent -}}{{- $reason := "" -}}
{{- /* 1. its document: the one of its kind and name */ -}}
{{- $starts := list 0 -}}{{- $ends := list -}}
{{- range $i, $line := $lines -}}
{{- if or (eq $line "---") (hasPrefix "--- " $line) -}}{{- $ends = append $ends $i -}}{{- $starts = append $starts (add1 $i) -}}{{- end -}}
{{- end -}}
{{- $ends = append $ends (len $lines) -}}
{{- $docs := list -}}
{{- range $d, $d0 := $starts -}}
{{- $docLines := slice $lines $d0 (index $ends $d) -}}
{{- if has (printf "kind: %s" $a.kind) $docLines -}}
{{- $doc := printf "%s\n" (join "\n" $docLines) | fromYaml -}}
{{- if and (eq (get $doc "kind") $a.kind) (eq (toString (get (get $doc "metadata" | default dict) "name")) $a.name) -}}
{{- $docs = append $docs (dict "at" $d0 "lines" $docLines "doc" $doc) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if gt (len $docs) 1 -}}{{- /* a namesake in another namespace: the render's is the one */ -}}
{{- $here := list -}}
{{- range $docs -}}
{{- if eq (toString (get (get .doc "metadata" | default dict) "namespace")) (toString (get $a "namespace")) -}}{{- $here = append $here . -}}{{- end -}}
{{- end -}}
{{- if eq (len $here) 1 -}}{{- $docs = $here -}}{{- end -}}
{{- end -}}
{{- if gt (len $docs) 1 -}}
{{- $reason = printf "the release has %d documents %s/%s" (len $docs) $a.kind $a.name -}}
{{- end -}}
{{- $L := list -}}{{- $doc := dict -}}{{- $d0 := 0 -}}
{{- if eq (len $docs) 1 -}}{{- $L = (first $docs).lines -}}{{- $doc = (first $docs).doc -}}{{- $d0 = (first $docs).at -}}{{- end -}}
{{- $after := dict -}}{{- $drop := dict -}}
{{- $expected := deepCopy $doc -}}
{{- $template := dict -}}{{- $pod := dict -}}{{- $c := dict -}}
{{- if and (not $reason) $L -}}
{{- $template = (($expected.spec | default dict).template | default dict) -}}
{{- $pod = $template.spec | default dict -}}
{{- $named := list -}}
{{- range ($pod.containers | default list) -}}{{- if eq .name $a.container -}}{{- $named = append $named . -}}{{- end -}}{{- end -}}
{{- if ne (len $named) 1 -}}
{{- $reason = printf "it has no one container %s" $a.container -}}
{{- else -}}{{- $c = first $named -}}
{{- end -}}
{{- end -}}

{{- /* 2. the container's lines: "- name: <container>" once */ -}}
{{- $at := 0 -}}{{- $ci := 0 -}}{{- $ce := 0 -}}
{{- if and (not $reason) $L -}}
{{- $hits := list -}}
{{- range $i, $line := $L -}}{{- if eq (trimAll " " $line) (printf "- name: %s" $a.container) -}}{{- $hits = append $hits $i -}}{{- end -}}{{- end -}}
{{- if ne (len $hits) 1 -}}
{{- $reason = printf "it has %d '- name: %s' lines, not one" (len $hits) $a.container -}}
{{- else -}}
{{- $at = first $hits -}}
{{- $ci = add (include "ojr.indent" (index $L $at) | atoi) 2 -}}
{{- $ce = include "ojr.blockEnd" (dict "lines" $L "at" $at) | atoi -}}
{{- end -}}
{{- end -}}

{{- /* 3. env: replaced in place or added; volumeMounts added */ -}}
{{- if and (not $reason) $L $a.env -}}
{{- $env := $c.env | default list -}}{{- $names := list -}}
{{- range $env -}}{{- $names = append $names .name -}}{{- end -}}
{{- $where := include "ojr.keyList" (dict "lines" $L "from" (add1 $at) "to" $ce "indent" $ci "key" "env") -}}
{{- $added := list -}}
{{- range $a.env -}}{{- if not (has .name $names) -}}{{- $added = append $added . -}}{{- end -}}{{- end -}}
{{- if eq $where "many" -}}
{{- $reason = "its container's env is not one block list" -}}
{{- else if eq $where "none" -}}
{{- if $env -}}{{- $reason = "its container's env is not a block list" -}}{{- end -}}
{{- $_ := set $after (toString $at) (concat (get $after (toString $at) | default list) (list (printf "%senv:" (repeat (int $ci) " "))) (include "ojr.entries" (dict "items" $added "dash" $ci) | fromJson).lines) -}}
{{- else -}}
{{- $w := splitList " " $where -}}
{{- $dash := index $w 0 | atoi -}}{{- $last := index $w 1 | atoi -}}{{- $key := index $w 2 | atoi -}}
{{- $items := list -}}
{{- range $i, $line := $L -}}{{- if and (gt $i $key) (le $i $last) (eq (include "ojr.indent" $line | atoi) $dash) (hasPrefix "- " (trimAll " " $line | printf "%s ")) -}}{{- $items = append $items $i -}}{{- end -}}{{- end -}}
{{- if ne (len $items) (len $env) -}}
{{- $reason = "its container's env lines are not one entry per line group" -}}
{{- else -}}
{{- range $a.env -}}
{{- $e := . -}}
{{- range $k, $n := $names -}}
{{- if and (eq $n $e.name) (ne (toJson $e) (index $env $k | toJson)) -}}
{{- $s := index $items $k -}}{{- $t := $last -}}
{{- if lt (add1 $k) (len $items) -}}{{- $t = sub (index $items (add1 $k)) 1 -}}{{- end -}}
{{- range $i, $line := $L -}}{{- if and (ge $i $s) (le $i $t) -}}{{- $_ := set $drop (toString $i) true -}}{{- end -}}{{- end -}}
{{- $_ := set $after (toString $t) (concat (get $after (toString $t) | default list) (include "ojr.entries" (dict "items" (list $e) "dash" $dash) | fromJson).lines) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $after (toString $last) (concat (get $after (toString $last) | default list) (include "ojr.entries" (dict "items" $added "dash" $dash) | fromJson).lines) -}}
{{- end -}}
{{- end -}}
{{- $replaced := list -}}
{{- range $env -}}
{{- $e := . -}}{{- $new := $e -}}
{{- range $a.env -}}{{- if eq .name $e.name -}}{{- $new = . -}}{{- end -}}{{- end -}}
{{- $replaced = append $replaced $new -}}
{{- end -}}
{{- $_ := set $c "env" (concat $replaced $added) -}}
{{- end -}}
{{- if and (not $reason) $L $a.volumeMounts -}}
{{- $paths := list -}}{{- range ($c.volumeMounts | default list) -}}{{- $paths = append $paths .mountPath -}}{{- end -}}
{{- range $a.volumeMounts -}}{{- if has .mountPath $paths -}}{{- $reason = printf "its container already mounts %s" .mountPath -}}{{- end -}}{{- end -}}
{{- $where := include "ojr.keyList" (dict "lines" $L "from" (add1 $at) "to" $ce "indent" $ci "key" "volumeMounts") -}}
{{- if eq $where "many" -}}
{{- $reason = "its container's volumeMounts is not one block list" -}}
{{- else if eq $where "none" -}}
{{- if $c.volumeMounts -}}{{- $reason = "its container's volumeMounts is not a block list" -}}{{- end -}}
{{- $_ := set $after (toString $at) (concat (get $after (toString $at) | default list) (list (printf "%svolumeMounts:" (repeat (int $ci) " "))) (include "ojr.entries" (dict "items" $a.volumeMounts "dash" $ci) | fromJson).lines) -}}
{{- else -}}
{{- $w := splitList " " $where -}}
{{- $_ := set $after (index $w 1) (concat (get $after (index $w 1) | default list) (include "ojr.entries" (dict "items" $a.volumeMounts "dash" (index $w 0 | atoi)) | fromJson).lines) -}}
{{- end -}}
{{- $_ := set $c "volumeMounts" (concat ($c.volumeMounts | default list) $a.volumeMounts) -}}
{{- end -}}

{{- /* 4. the pod's volumes: "containers:" above the container tells the pod spec's indent */ -}}
{{- $cs := -1 -}}{{- $ps := 0 -}}{{- $pe := 0 -}}
{{- if and (not $reason) $L -}}
{{- range $i, $line := $L -}}{{- if and (lt $i $at) (regexMatch "^ *containers: *$" $line) -}}{{- $cs = $i -}}{{- end -}}{{- end -}}
{{- if lt $cs 0 -}}{{- $reason = "no 'containers:' line above its container" -}}
{{- else -}}
{{- $ps = include "ojr.indent" (index $L $cs) | atoi -}}
{{- $specAt := -1 -}}
{{- range $i, $line := $L -}}{{- if and (lt $i $cs) (lt (include "ojr.indent" $line | atoi) $ps) (ne (trimAll " " $line) "") -}}{{- $specAt = $i -}}{{- end -}}{{- end -}}
{{- if or (lt $specAt 0) (not (regexMatch "^ *spec: *$" (index $L $specAt))) -}}
{{- $reason = "its pod spec is not a 'spec:' block" -}}
{{- else -}}
{{- $pe = include "ojr.blockEnd" (dict "lines" $L "at" $specAt) | atoi -}}
{{- if $a.volumes -}}
{{- $vols := list -}}{{- range ($pod.volumes | default list) -}}{{- $vols = append $vols .name -}}{{- end -}}
{{- range $a.volumes -}}{{- if has .name $vols -}}{{- $reason = printf "its pod already has volume %s" .name -}}{{- end -}}{{- end -}}
{{- $where := include "ojr.keyList" (dict "lines" $L "from" (add1 $specAt) "to" $pe "indent" $ps "key" "volumes") -}}
{{- if eq $where "many" -}}
{{- $reason = "its pod's volumes is not one block list" -}}
{{- else if eq $where "none" -}}
{{- if $pod.volumes -}}{{- $reason = "its pod's volumes is not a block list" -}}{{- end -}}
{{- $k := toString (sub $cs 1) -}}
{{- $_ := set $after $k (concat (get $after $k | default list) (list (printf "%svolumes:" (repeat (int $ps) " "))) (include "ojr.entries" (dict "items" $a.volumes "dash" $ps) | fromJson).lines) -}}
{{- else -}}
{{- $w := splitList " " $where -}}
{{- $_ := set $after (index $w 1) (concat (get $after (index $w 1) | default list) (include "ojr.entries" (dict "items" $a.volumes "dash" (index $w 0 | atoi)) | fromJson).lines) -}}
{{- end -}}
{{- $_ := set $pod "volumes" (concat ($pod.volumes | default list) $a.volumes) -}}
{{- end -}}

{{- /* 5. the pod template's annotations: "metadata:" beside its "spec:" */ -}}
{{- if and (not $reason) $a.annotations -}}
{{- $ts := include "ojr.indent" (index $L $specAt) | atoi -}}
{{- $templateAt := -1 -}}
{{- range $i, $line := $L -}}{{- if and (lt $i $specAt) (lt (include "ojr.indent" $line | atoi) $ts) (ne (trimAll " " $line) "") -}}{{- $templateAt = $i -}}{{- end -}}{{- end -}}
{{- $te := $pe -}}
{{- if ge $templateAt 0 -}}{{- $te = include "ojr.blockEnd" (dict "lines" $L "at" $templateAt) | atoi -}}{{- end -}}
{{- $metaAt := -1 -}}{{- $metas := 0 -}}
{{- range $i, $line := $L -}}{{- if and (gt $i $templateAt) (le $i $te) (regexMatch (printf "^ {%d}metadata: *$" $ts) $line) -}}{{- $metaAt = $i -}}{{- $metas = add1 $metas -}}{{- end -}}{{- end -}}
{{- $old := ($template.metadata | default dict).annotations | default dict -}}
{{- range $key, $_ := $a.annotations -}}{{- if hasKey $old $key -}}{{- $reason = printf "its pod already has annotation %s" $key -}}{{- end -}}{{- end -}}
{{- if or (lt $templateAt 0) (ne $metas 1) -}}
{{- if not $reason -}}{{- $reason = "its pod template has no 'metadata:' line beside its 'spec:'" -}}{{- end -}}
{{- else -}}
{{- $me := include "ojr.blockEnd" (dict "lines" $L "at" $metaAt) | atoi -}}
{{- $mi := add $ts 2 -}}
{{- if lt $metaAt $me -}}{{- $mi = include "ojr.indent" (index $L (add1 $metaAt)) | atoi -}}{{- end -}}
{{- $annAt := -1 -}}{{- $count := 0 -}}
{{- range $i, $line := $L -}}{{- if and (gt $i $metaAt) (le $i $me) (regexMatch (printf "^ {%d}annotations: *$" $mi) $line) -}}{{- $annAt = $i -}}{{- $count = add1 $count -}}{{- end -}}{{- end -}}
{{- $pad := repeat (int (add $mi 2)) " " -}}{{- $k := toString $metaAt -}}{{- $head := list (printf "%sannotations:" (repeat (int $mi) " ")) -}}
{{- if $old -}}
{{- if ne $count 1 -}}{{- $reason = "its pod's annotations are not one block mapping" -}}
{{- else -}}
{{- $ae := include "ojr.blockEnd" (dict "lines" $L "at" $annAt) | atoi -}}
{{- if lt $annAt $ae -}}{{- $pad = repeat (include "ojr.indent" (index $L (add1 $annAt)) | atoi | int) " " -}}{{- end -}}
{{- $k = toString $ae -}}{{- $head = list -}}
{{- end -}}
{{- else if ne $count 0 -}}{{- $reason = "its pod's annotations are not a block mapping" -}}
{{- end -}}
{{- $new := list -}}
{{- range $key, $value := $a.annotations -}}{{- $new = append $new (printf "%s%s" $pad (toYaml (dict $key $value))) -}}{{- end -}}
{{- $_ := set $after $k (concat (get $after $k | default list) $head $new) -}}
{{- $meta := $template.metadata | default dict -}}
{{- $_ := set $meta "annotations" (merge (deepCopy $old) $a.annotations) -}}
{{- $_ := set $template "metadata" $meta -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* 6. the new lines, and their proof */ -}}
{{- if $reason -}}{{- toJson (dict "reason" $reason) -}}
{{- else if not $L -}}{{- toJson (dict "absent" true) -}}
{{- else -}}
{{- $newLines := list -}}{{- $from := -1 -}}{{- $to := -1 -}}{{- $block := list -}}
{{- range $i, $line := $L -}}
{{- $k := toString $i -}}
{{- if or (hasKey $drop $k) (hasKey $after $k) -}}{{- if lt $from 0 -}}{{- $from = $i -}}{{- end -}}{{- $to = $i -}}{{- end -}}
{{- if not (hasKey $drop $k) -}}{{- $newLines = append $newLines $line -}}{{- end -}}
{{- $newLines = concat $newLines (get $after $k | default list) -}}
{{- end -}}
{{- if ne (printf "%s\n" (join "\n" $newLines) | fromYaml | toJson) (toJson $expected) -}}
{{- toJson (dict "reason" "the edited document did not parse to the document plus exactly ocean-proxy's changes") -}}
{{- else -}}
{{- range $i, $line := $L -}}
{{- if and (ge $i $from) (le $i $to) -}}
{{- if not (hasKey $drop (toString $i)) -}}{{- $block = append $block $line -}}{{- end -}}
{{- $block = concat $block (get $after (toString $i) | default list) -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "from" (add $d0 $from) "to" (add $d0 $to) "block" $block) -}}
{{- end -}}
{{- end -}}
{{- end -}}
