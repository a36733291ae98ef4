"""Retake the README's UI screenshots from a running `make dev` (headless Chromium through its DevTools protocol).

    python docs/screenshots.py [--ui http://127.0.0.1:3000]

Marks Dagster's "Join the community" notice as seen (the GraphQL mutation the notice's own button calls), then
saves each page of the tour, clicking buttons first where the tour shows a dialog or a tab."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import subprocess
import time
import urllib.request
from pathlib import Path

import websockets

IMG = Path(__file__).parent / "img"
PAGES = [  # file, path, window size, texts of the buttons to click first, in turn
    ("ui-catalog.png", "/assets", (1400, 800), ()),
    ("ui-overview.png", "/assets/firm_overview?view=events", (1400, 1300), ("[Show Markdown]",)),
    ("ui-partition.png", "/assets/priced_line_items?view=partitions&partition=harborline%7C2026-10", (1400, 1400),
     ()),
    ("ui-check.png", "/assets/classified_time_entries?view=checks&checkDetail=held_share", (1700, 1000),
     ("Partitions", "tallgrass-cu", "2026-10")),
]
PORT = 9333


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


async def _shoot(ws_url: str, url: str, size: tuple[int, int], clicks: tuple[str, ...], out: Path,
                 wait: float) -> None:
    async with websockets.connect(ws_url, max_size=50_000_000) as ws:
        counter = 0

        async def call(method: str, **params: object) -> dict:
            nonlocal counter
            counter += 1
            await ws.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == counter:
                    return message.get("result", message)

        await call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1], deviceScaleFactor=1,
                   mobile=False)
        await call("Page.navigate", url=url)
        await asyncio.sleep(wait)
        for click in clicks:
            script = ("(() => { const found = [...document.querySelectorAll('button,a,span,div')]"
                      f".filter(e => e.textContent.trim() === {json.dumps(click)});"
                      " if (!found.length) return false; found[found.length - 1].click(); return true; })()")
            clicked = await call("Runtime.evaluate", expression=script, returnByValue=True)
            if not clicked.get("result", {}).get("value"):
                raise SystemExit(f"{url}: no {click!r} to click")
            await asyncio.sleep(3)
        shot = await call("Page.captureScreenshot", format="png")
        out.write_bytes(base64.b64decode(shot["data"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ui", default="http://127.0.0.1:3000")
    parser.add_argument("--wait", type=float, default=8.0, help="seconds for a page to load")
    args = parser.parse_args()
    _post(f"{args.ui}/graphql", {"query": "mutation { setNuxSeen }"})
    for name, path, size, clicks in PAGES:
        browser = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={size[0]},{size[1]}", f"--remote-debugging-port={PORT}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            tabs: list[dict] = []
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json", timeout=5) as reply:
                        tabs = json.load(reply)
                    break
                except OSError:
                    time.sleep(0.2)
            page = next(t for t in tabs if t["type"] == "page")
            asyncio.run(_shoot(page["webSocketDebuggerUrl"], args.ui + path, size, clicks, IMG / name, args.wait))
            print(IMG / name)
        finally:
            browser.kill()
            browser.wait()


if __name__ == "__main__":
    main()
