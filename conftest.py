"""Shared pytest setup for tests/ and for nbval over notebooks/.

- A headless matplotlib backend for the unit tests (notebooks choose their own with %matplotlib).
- ``browser``: one headless Chromium (Debian's, driven by Playwright; never ``playwright
  install``) per module for the browser tests. It skips when Chromium or Playwright is
  missing, unless ``CNNVIZ_REQUIRE_BROWSER=1`` (CI), where it fails.
- The real datasets come from ``CNNVIZ_DATA_DIR``; tests never download. Tests and chapters that
  need the data skip with a reason when it is absent (CI and ``make`` set it from ../shared/data).
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from scripts.chromium import CHROMIUM_FLAGS, NAMES, find_chromium  # noqa: E402

DATA_CALLS = ("load_fashion_mnist", "load_cifar10", "cifar10_tensors", "prepare_cifar10")
NO_DATA = "real data absent: set CNNVIZ_DATA_DIR (CI sets it from ../shared/data)"


def _have_data() -> bool:
    value = os.environ.get("CNNVIZ_DATA_DIR")
    return bool(value) and Path(value).is_dir()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (``CNNVIZ_DATA_DIR``); tests that need them skip when absent."""
    if not _have_data():
        pytest.skip(NO_DATA)
    return Path(os.environ["CNNVIZ_DATA_DIR"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _needs_data(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(call in text for call in DATA_CALLS)


def pytest_collection_modifyitems(config, items):
    """Chapters that read the real datasets skip when the data is absent."""
    if _have_data():
        return
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" and _needs_data(path):
            item.add_marker(pytest.mark.skip(reason=NO_DATA))


REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"


def _unavailable(reason):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}, and CNNVIZ_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (Playwright's sync API)."""
    executable = find_chromium()
    if executable is None:
        _unavailable(f"no Chromium found (looked for {', '.join(NAMES)})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def one_torch_thread():
    """One torch thread per test: under ``pytest -n 2`` two workers share two cores, and two
    OpenMP threads each would spin waiting for one another (measured: several times slower).
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
