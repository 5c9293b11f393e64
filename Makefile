# Two commands a newcomer needs: `make book` and `make test`. Each sets up .venv first.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
JOBS    ?= 2

# Real data beside the project (CI and this machine); readers online download instead.
ifneq ($(wildcard ../shared/data),)
export CNNVIZ_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: setup book test lint unit lab bench bench-cifar10 clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

book: setup
	$(VENV)/bin/jupyter-book build . -W --keep-going

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint .github/workflows/*.yml

# Unit tests, doctests, nbval over every notebook and the browser test of the built book,
# in one pytest run (exit code 5, "no tests collected", fails like any other error).
# Training chapters run their short mode (CNNVIZ_FAST=1) unless you set CNNVIZ_FAST=0 yourself.
test: export CNNVIZ_FAST ?= 1
test: lint book
	$(PY) -m pytest -n $(JOBS) --dist loadscope \
		--doctest-modules cnnviz tests \
		--nbval notebooks --nbval-current-env --nbval-sanitize-with .nbval-sanitize.cfg

unit: setup
	$(PY) -m pytest -n $(JOBS) --doctest-modules cnnviz tests --deselect tests/test_browser.py

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

bench: setup
	$(PY) bench/bench_ops.py
	$(PY) bench/bench_widgets.py

bench-cifar10: setup  # about 30 minutes on 2 cores; needs the data (CNNVIZ_DATA_DIR or a download)
	$(PY) bench/bench_cifar10.py --throughput
	$(PY) bench/bench_cifar10.py --sweep
	$(PY) bench/bench_cifar10.py

clean:
	rm -rf _build .pytest_cache .hypothesis
