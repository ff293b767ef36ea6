# Two commands matter: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch lies on local disk; an unpinned torch would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.hubtools-installed
DEMO_HOME ?= $(CURDIR)/.demo

.PHONY: demo test browser web lint style quality clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(STAMP) web
	HUBTOOLS_HOME=$(DEMO_HOME) $(BIN)/hubtools release demo --version v0.1.0 --hub local $(if $(DEMO_SERVE),--serve)

test: $(STAMP) browser web
	$(BIN)/ruff check .
	$(BIN)/pytest

# The browser tests drive Debian's Chromium (no browser download); they skip, saying why, without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium is not installed: the browser tests will be skipped"

# The static chat Space's npm packages (transformers.js, onnxruntime-web), pinned by its package-lock.json;
# install scripts are skipped (onnxruntime-node's would download binaries; only the web files are used).
web:
	@command -v npm >/dev/null 2>&1 && (cd spaces/web-chat && npm ci --ignore-scripts --no-audit --no-fund --silent) || \
		echo "npm is not installed: the static Space cannot be deployed and its tests will be skipped"

lint quality: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

style: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-demo:
	rm -rf $(DEMO_HOME)
