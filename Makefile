# referral-router — build, run and test.
#
#   make run         the demo: embedded broker, sample region, synthetic traffic, status page on :8080
#   make test        every test suite (unit, calendar reference, integration against the mock cluster)
#   make check-config  validate config/steering and print coverage
#   make bench       decision-core and pipeline benchmarks

SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
APT_PACKAGES := librdkafka-dev libmimalloc-dev pkg-config

.PHONY: deps browser-deps py-deps build run test check-config route-examples bench clean

# Installs the system packages the build needs, when they are missing.
deps:
	@if ! pkg-config --exists rdkafka 2>/dev/null || ! dpkg -s librdkafka-dev libmimalloc-dev >/dev/null 2>&1; then \
		echo "Installing $(APT_PACKAGES) ..."; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

# Debian's chromium, for the status page's browser test (skipped, not failed, when it cannot be installed).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing chromium for the browser test ..."; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
			|| ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1) \
			|| echo "chromium could not be installed: the browser test will be skipped"; \
	fi

# The contract and deploy checks' Python packages, in a virtual environment under .build (Debian 12's
# python3-jsonschema is older than the 4.18 they need). Installs python3-venv when it is missing.
PYENV := .build/pyenv
py-deps:
	@if ! $(PYENV)/bin/python -c 'import jsonschema, referencing, yaml' 2>/dev/null; then \
		if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then \
			echo "Installing python3-venv ..."; \
			SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-venv; \
		fi; \
		echo "Installing jsonschema and PyYAML into $(PYENV) ..."; \
		rm -rf $(PYENV) && python3 -m venv $(PYENV) && $(PYENV)/bin/pip install -q 'jsonschema>=4.18' 'PyYAML>=6'; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

run: deps
	$(SWIFT) run $(SWIFT_FLAGS) referral-router demo

test: deps browser-deps py-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build
	$(PYENV)/bin/python tools/contracts/validate.py --router .build/debug/referral-router
	$(PYENV)/bin/python tools/deploy/check.py

check-config: deps
	$(SWIFT) run referral-router check-config config/steering

route-examples: deps
	$(SWIFT) run referral-router route --explain config/examples/requests.ndjson

# Built as production builds it (deploy/Dockerfile): the Swift runtime and Foundation linked statically. The
# dynamic runtime cost the single-thread processor run a third more CPU (docs/performance.md).
bench: deps
	$(SWIFT) build -c release --product referral-router --static-swift-stdlib
	mkdir -p artifacts
	.build/release/referral-router bench --records 500000 --partitions 32 --rounds 3 --output artifacts/bench.json
	$(SWIFT) package --package-path Benchmarks benchmark

clean:
	rm -rf .build
