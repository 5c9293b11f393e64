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
    page.goto(f"{base}/notebooks/12_inside_a_cnn.html", wait_until="networkidle")
    net = page.locator("[data-cnnviz-explorer=network]")
    net.evaluate("r => r.cnnviz.set({image: 7, occlusion: [12, 16], window: 8})")
    net.locator('[data-layer="block2.6"] .cnnviz-net-map[data-channel="3"]').click()
    big = net.locator(".cnnviz-net-big")
    box = big.bounding_box()
    big.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.6})
    height = net.locator('.cnnviz-net-layer[data-layer="block1.0"]').evaluate(
        "e => e.getBoundingClientRect().top - e.closest('.cnnviz-explorer')"
        ".getBoundingClientRect().top"
    )
    page.set_viewport_size({"width": 1200, "height": int(height) + 300})
    net.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 100)")
    top = net.bounding_box()
    clip = {"x": top["x"], "y": top["y"], "width": top["width"], "height": height}
    page.screenshot(path=str(out / "network_explorer.png"), clip=clip)
    page.goto(f"{base}/notebooks/02_convolution.html", wait_until="networkidle")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.screenshot(path=str(out / "chapter_page.png"))
    b.close()
server.shutdown()
