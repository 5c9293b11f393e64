"""Screenshots of the built book for the README (run `make book` first)."""

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

here = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(here))
from scripts.chromium import CHROMIUM_FLAGS, find_chromium  # noqa: E402

root = here / "_build" / "html"
out = here / "docs" / "screenshots"
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}"
with sync_playwright() as p:
    b = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
    page = b.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/notebooks/02_convolution.html", wait_until="networkidle")
    page.wait_for_timeout(1500)
    page.locator(".cnnviz-arith").first.screenshot(path=str(out / "arithmetic_explorer.png"))
    w = page.locator(".jupyter-widgets.widget-vbox, .widget-vbox").first
    w.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    w.screenshot(path=str(out / "conv_explorer.png"))
    imgs = page.locator("div.cell_output img")
    imgs.nth(int(sys.argv[1]) if len(sys.argv) > 1 else 0).screenshot(
        path=str(out / "conv_step.png")
    )
    page.goto(f"{base}/notebooks/02_convolution.html", wait_until="networkidle")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.screenshot(path=str(out / "chapter_page.png"))
    b.close()
server.shutdown()
