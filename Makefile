# medkd: two commands, each doing its own set-up.
#   make demo   - the whole pipeline on the shipped real data with SmolLM2-135M-Instruct, on CPU
#   make test   - the notebook tests (nbdev-test), including the demo's smoke run
VENV   ?= .venv
# Where the CPU build of torch comes from. Empty: pip's configured index (on the course machines it lies on disk).
# Elsewhere: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.medkd-installed

.PHONY: setup demo test clean-runs
setup: $(STAMP)

# torch first: on a machine without a GPU, the CPU build 2.13.0 (medkd asks only for a range it satisfies),
# so that pip never pulls a multi-GB CUDA build for a CPU-only run.
$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	@if command -v nvidia-smi >/dev/null 2>&1; then echo "GPU found: torch from medkd's range"; \
	 else $(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) || echo "torch==2.13.0 not available here: using medkd's torch range"; fi
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/medkd demo

test: setup
	$(VENV)/bin/nbdev-test --n-workers 2
	@echo "notebooks: $$(ls nbs/*.ipynb | wc -l) passed, 0 failed"

clean-runs:
	rm -rf runs/demo runs/smoke
