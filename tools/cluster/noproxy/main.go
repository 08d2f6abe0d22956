// noproxy says which hosts a NO_PROXY entry sends around the proxy, as Go programs read it
// (golang.org/x/net/http/httpproxy, what net/http's ProxyFromEnvironment is built on): the
// tests' oracle for the entries ocean-proxy refuses. Each line of standard input is one
// NO_PROXY value; each gives one line: for every URL given as an argument, "direct" or "proxy".
package main

import (
	"bufio"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

func main() {
	var targets []*url.URL
	for _, arg := range os.Args[1:] {
		target, err := url.Parse(arg)
		if err != nil {
			os.Exit(2)
		}
		targets = append(targets, target)
	}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		config := httpproxy.Config{HTTPProxy: "http://proxy.invalid:3128",
			HTTPSProxy: "http://proxy.invalid:3128", NoProxy: in.Text()}
		proxyFor := config.ProxyFunc()
		words := make([]string, 0, len(targets))
		for _, target := range targets {
			proxy, err := proxyFor(target)
			if err != nil {
				os.Exit(1)
			}
			if proxy == nil {
				words = append(words, "direct")
			} else {
				words = append(words, "proxy")
			}
		}
		out.WriteString(strings.Join(words, " ") + "\n")
	}
}
