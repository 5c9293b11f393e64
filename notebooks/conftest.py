"""nbval setup: chapters that read the real datasets skip when the data is absent.

Tests never download. A chapter that calls ``load_fashion_mnist`` or ``load_cifar10`` needs
``CNNVIZ_DATA_DIR`` (CI and ``make`` set it from ``../shared/data``).
"""

import os
from pathlib import Path

import pytest

DATA_CALLS = ("load_fashion_mnist", "load_cifar10")


def _needs_data(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(call in text for call in DATA_CALLS)


def _have_data() -> bool:
    value = os.environ.get("CNNVIZ_DATA_DIR")
    return bool(value) and Path(value).is_dir()


def pytest_collection_modifyitems(config, items):
    if _have_data():
        return
    reason = "real data absent: set CNNVIZ_DATA_DIR (CI sets it from ../shared/data)"
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" and _needs_data(path):
            item.add_marker(pytest.mark.skip(reason=reason))
