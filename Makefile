# Two commands a newcomer needs: `make book` and `make test`. Each sets up .venv first.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
JOBS    ?= 2
# Colab's ipywidgets, installed beside the main environment (not replacing it) for one test run.
WIDGETS7 := $(VENV)/ipywidgets-7.7.1

# Real data beside the project (CI and this machine); readers online download instead.
ifneq ($(wildcard ../shared/data),)
export CNNVIZ_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: setup book test test-widgets7 lint unit lab bench bench-cifar10 clean

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
	$(MAKE) test-widgets7

# The ipywidgets explorers again, under the ipywidgets that Colab ships (7.7.1).
test-widgets7: $(WIDGETS7)/.stamp
	PYTHONPATH=$(WIDGETS7) CNNVIZ_EXPECT_IPYWIDGETS=7.7.1 $(PY) -m pytest -p no:cacheprovider \
		-W ignore::DeprecationWarning \
		tests/test_widgets.py

$(WIDGETS7)/.stamp: $(STAMP)
	$(PY) -m pip install -q --no-deps --target $(WIDGETS7) ipywidgets==7.7.1 ipython_genutils==0.2.0
	touch $@

unit: setup
	$(PY) -m pytest -n $(JOBS) --doctest-modules cnnviz tests --deselect tests/test_browser.py

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

bench: setup
	$(PY) bench/bench_ops.py
	$(PY) bench/bench_widgets.py
	$(PY) bench/bench_explorers.py

# The CIFAR-10 benchmark of chapter 11, about 25 minutes on 2 cores (throughput ~4, sweep ~8,
# benchmark ~14); needs the data (CNNVIZ_DATA_DIR or a download). Each mode rewrites its own
# section of bench/results/cifar10.json, which chapter 11 renders: re-run the chapter after it.
bench-cifar10: setup
	$(PY) bench/bench_cifar10.py --throughput
	$(PY) bench/bench_cifar10.py --sweep
	$(PY) bench/bench_cifar10.py
	@echo "bench/results/cifar10.json written; now re-run notebooks/11_cifar10_gpu.ipynb"

clean:
	rm -rf _build .pytest_cache .hypothesis
