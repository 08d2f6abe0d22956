// yamltojson reads YAML as helm and kubectl read a manifest (sigs.k8s.io/yaml, a YAML 1.1
// reader) and prints the JSON they make of it: the tests' oracle for what Kubernetes tools
// read from ocean-proxy's output. Standard input holds documents separated by NUL bytes; each
// gives one line, its JSON or "error: " and the reader's message.
package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"

	"sigs.k8s.io/yaml"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, doc := range bytes.Split(data, []byte{0}) {
		if len(doc) == 0 {
			continue
		}
		converted, err := yaml.YAMLToJSON(doc)
		if err != nil {
			out.WriteString("error: " + strconv.Quote(err.Error()) + "\n")
			continue
		}
		out.Write(converted)
		out.WriteByte('\n')
	}
}
