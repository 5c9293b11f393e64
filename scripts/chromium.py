"""Debian's Chromium for Playwright: one list of flags and one lookup, for tests, bench, scripts.

Never ``playwright install`` (it downloads a browser): Playwright drives the Chromium that
Debian's ``chromium`` package puts on the PATH.
"""

import shutil

#: No sandbox (root in a container), no GPU, and nothing that reaches the network by itself.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    """The path of the first Chromium on the PATH, or None."""
    return next(filter(None, map(shutil.which, NAMES)), None)
