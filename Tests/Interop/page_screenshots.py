"""Looks at elasticc-api's pages as a person does: headless Chromium (Debian's), driven over
the DevTools protocol.

usage: page_screenshots.py BASE_URL USERNAME PASSWORD OUTDIR PATH [PATH ...]
Logs in as TomClient does (requests), gives Chromium the session cookie, loads each PATH,
waits for it to load, saves a full-page PNG screenshot in OUTDIR, and prints one JSON
document: for each path its HTTP status, title, page size, the number of SVG charts, every
element's data-key and text, the images with the size they loaded at (0: not loaded), the
headings and captions, whether error text shows, and the PNG's path.
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import requests
import websocket

base, username, password, outdir = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
paths = sys.argv[5:]

session = requests.Session()
session.get(f"{base}/accounts/login/")
session.post(f"{base}/accounts/login/", data={"username": username, "password": password,
                                               "csrfmiddlewaretoken": session.cookies["csrftoken"]})
assert "sessionid" in session.cookies, "login refused"

profile = tempfile.mkdtemp(prefix="chromium-")
browser = subprocess.Popen(
    ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    port = None
    deadline = time.time() + 60
    while port is None and time.time() < deadline:
        line = browser.stderr.readline()
        match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if match:
            port = int(match.group(1))
    assert port, "chromium did not start"
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    page = next(t for t in targets if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
    counter = [0]

    def call(method, **params):
        counter[0] += 1
        ident = counter[0]
        ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == ident:
                assert "error" not in message, message
                return message.get("result", {})
            events.append(message)

    events = []
    call("Page.enable")
    call("Network.enable")
    for name in ("sessionid", "csrftoken"):
        call("Network.setCookie", name=name, value=session.cookies[name], url=base)
    call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
    os.makedirs(outdir, exist_ok=True)
    report = {}
    for path in paths:
        events.clear()
        call("Page.navigate", url=base + path)
        deadline = time.time() + 60
        status = None
        while time.time() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in events):
                break
            events.append(json.loads(ws.recv()))
        for event in events:
            if event.get("method") == "Network.responseReceived" and event["params"]["type"] == "Document":
                status = event["params"]["response"]["status"]
        probe = call("Runtime.evaluate", returnByValue=True, expression="""JSON.stringify({
            title: document.title,
            width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
            svgs: document.querySelectorAll('svg').length,
            bars: document.querySelectorAll('svg rect.bar').length,
            axisLabels: [...document.querySelectorAll('svg text')].map(t => t.textContent),
            keys: Object.fromEntries([...document.querySelectorAll('[data-key]')].map(e => [e.dataset.key, e.textContent])),
            images: [...document.images].map(i => ({src: i.getAttribute('src'), width: i.naturalWidth, height: i.naturalHeight})),
            headings: [...document.querySelectorAll('h2, h3, figcaption')].map(h => h.textContent),
            text: document.body.innerText})""")
        found = json.loads(probe["result"]["value"])
        metrics = call("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                    clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        name = path.strip("/").replace("/", "_") or "index"
        png = os.path.join(outdir, f"{name}.png")
        with open(png, "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
        text = found.pop("text")
        found["error_text"] = bool(re.search(r"Traceback|Exception|Internal Server Error|Not Found", text))
        found["status"] = status
        found["png"] = png
        found["png_bytes"] = os.path.getsize(png)
        report[path] = found
    ws.close()
    print(json.dumps(report))
finally:
    browser.terminate()
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
