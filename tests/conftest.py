"""Shared test setup: a headless matplotlib backend and the local data directory."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (``CNNVIZ_DATA_DIR``); tests that need them skip when absent."""
    value = os.environ.get("CNNVIZ_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip(
            "real data absent: set CNNVIZ_DATA_DIR to a folder with FashionMNIST/raw/ "
            "and cifar10-jpeg.tar.gz (CI sets it from ../shared/data)"
        )
    return Path(value)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
