#!/usr/bin/env python3
"""Loads a page in headless Chromium and waits, in real time, until the page says it is done.

    cdp.py URL [--size W,H] [--wait-ms N] [--screenshot FILE] [--log FILE]

Talks to Chromium over --remote-debugging-pipe (the DevTools protocol as NUL-terminated JSON on
file descriptors 3 and 4), so that it needs no package beyond python3 and chromium. It opens URL
at the given window size, polls document.body's data-status until it is "ready" or "error" (a
page whose WebAssembly compiles slowly on a loaded machine is waited for, where
--virtual-time-budget would not wait), then prints the DOM to stdout and, with --screenshot,
writes a PNG. Console messages, uncaught exceptions and log entries go to the --log file (or
stderr), one per line, each starting with "CONSOLE". Exit status: 0 when the page got ready, 1
when it did not within --wait-ms (the DOM is printed all the same), 2 on a usage error.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.TemporaryDirectory(prefix="gradflow-cdp-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def child_fds():  # the browser reads commands on fd 3 and writes replies on fd 4
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)  # above 4
            os.dup2(read_end, 3)  # inheritable, unlike os.pipe()'s own descriptors
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile.name}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)  # closing would close fds 3 and 4 again
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.buffer = b""
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.wait_for(self.next_id)

    def read_message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def wait_for(self, message_id):
        while True:
            m = self.read_message()
            if m.get("id") == message_id:
                if "error" in m:
                    raise RuntimeError(f"DevTools error: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return r.get("result", {}).get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.profile.cleanup()


def console_lines(events):
    lines = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            lines.append(f"CONSOLE {p.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            lines.append(f"CONSOLE exception: {text}")
        elif method == "Log.entryAdded":
            entry = p.get("entry", {})
            lines.append(f"CONSOLE log {entry.get('level')}: {entry.get('text')}")
    return lines


def main():
    parser = argparse.ArgumentParser(description="Load a page in headless Chromium until ready.")
    parser.add_argument("url")
    parser.add_argument("--size", default="1440,900")
    parser.add_argument("--wait-ms", type=int, default=60000)
    parser.add_argument("--screenshot")
    parser.add_argument("--log")
    a = parser.parse_args()
    width, height = (int(v) for v in a.size.split(","))

    browser = Browser(width, height)
    ready = False
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = browser.send("Target.attachToTarget",
                                {"targetId": target["targetId"], "flatten": True}, session=False)
        browser.session = attached["sessionId"]
        browser.send("Runtime.enable")
        browser.send("Log.enable")
        browser.send("Page.enable")
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        browser.send("Page.navigate", {"url": a.url})
        deadline = time.monotonic() + a.wait_ms / 1000
        while time.monotonic() < deadline:
            status = browser.evaluate(
                "document.body ? document.body.getAttribute('data-status') : null")
            if status in ("ready", "error"):
                ready = status == "ready"
                break
            time.sleep(0.05)
        time.sleep(0.1)  # let the last frame paint
        dom = browser.evaluate("document.documentElement.outerHTML") or ""
        if a.screenshot:
            shot = browser.send("Page.captureScreenshot", {"format": "png"})
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        log = "\n".join(console_lines(browser.events))
        if a.log:
            with open(a.log, "w", encoding="utf-8") as f:
                f.write(log + ("\n" if log else ""))
        elif log:
            print(log, file=sys.stderr)
        sys.stdout.write(dom)
    finally:
        browser.close()
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
