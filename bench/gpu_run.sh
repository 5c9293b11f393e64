#!/usr/bin/env bash
# The one-GPU figure in one command (one process on one GPU; it does not measure training on
# several GPUs). On a CUDA machine, from a clone of the repository:
#
#   bash bench/gpu_run.sh                 # chapter 11's recipe and FastNet 64-256-256, 5 seeds
#                                         # each; writes bench/results/gpu.json and a table
#   bash bench/gpu_run.sh --seeds 3 --compile
#   bash bench/gpu_run.sh --smoke         # anywhere, on the CPU: a short test on a subset
#
# It sets up what is missing (a virtual environment with the pinned torch, numpy, pillow and
# tqdm of requirements.txt, and cnnviz itself), prints the GPU that nvidia-smi sees, then runs
# bench/bench_gpu.py with the arguments given (see its docstring). The data: CNNVIZ_DATA_DIR
# (a folder holding CIFAR-10), else ../shared/data when it exists, else cnnviz downloads it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "setting up $VENV (torch, numpy, pillow, tqdm from requirements.txt)"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    grep -E '^(torch|numpy|pillow|tqdm)==' requirements.txt >"$VENV/bench-requirements.txt"
    "$VENV/bin/python" -m pip install -q -r "$VENV/bench-requirements.txt"
fi
if ! "$VENV/bin/python" -c "import cnnviz.train" 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q --no-deps -e .
fi
if [ -z "${CNNVIZ_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
    CNNVIZ_DATA_DIR=$(cd ../shared/data && pwd)
    export CNNVIZ_DATA_DIR
fi
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
exec "$VENV/bin/python" bench/bench_gpu.py "$@"
