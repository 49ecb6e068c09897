#!/usr/bin/env python
"""How long a keystroke takes in `celerylint server`, end to end and per stage.

Usage::

    python bench/keystroke.py PATH FILE [--edits N] [--server "CMD"]

PATH is a project (use a copy: the server writes its facts cache there), FILE a
task module in it (relative to PATH). The script speaks LSP over the server's
stdin/stdout as an editor does: it opens FILE, waits for its diagnostics, then
sends N edits that alternately add and remove a task calling `self.retry()`
without raising it (so the diagnostics change and are published each time).

For each edit it times didChange -> publishDiagnostics, minus the server's
debounce (the time the server waits for more typing), and reads the stage
timings the server logs (window/logMessage): store (facts), model, rules,
publish. Medians are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

from celerylint.server.protocol import DEBOUNCE

# A task of its own (whatever the module defines) whose retry is not raised: CL804
# appears and goes with each edit, so every check publishes something new.
EDIT = """

from celery import shared_task as _keystroke_task


@_keystroke_task(bind=True, time_limit=60)
def keystroke_probe(self, n):
    try:
        return n
    except ConnectionError as exc:
        self.retry(exc=exc)
"""
TIMEOUT = 60  # seconds to wait for diagnostics (a cold first load included)
STAGES = re.compile(
    r"checked in (?P<total>[\d.]+) s \(store (?P<store>[\d.]+), model (?P<model>[\d.]+), "
    r"rules (?P<rules>[\d.]+), publish (?P<publish>[\d.]+)\)"
)


class Client:
    def __init__(self, command: list[str], root: Path) -> None:
        self.process = subprocess.Popen(
            command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.logged: list[dict[str, float]] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"the server exited (or published nothing within {TIMEOUT} s)")
            if not line.strip():
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(self.process.stdout.read(length))
        if message.get("method") == "window/logMessage":
            found = STAGES.search(message["params"]["message"])
            if found:
                self.logged.append({k: float(v) for k, v in found.groupdict().items()})
        if "id" in message and "method" in message:  # a request to the client
            self.send({"id": message["id"], "result": None})
        return message

    def diagnostics(self, uri: str) -> list[Any]:
        # A server that never publishes is a failed measurement, not a hang: stopped.
        watchdog = threading.Timer(TIMEOUT, self.process.kill)
        watchdog.start()
        try:
            while True:
                message = self.receive()
                published = message.get("method") == "textDocument/publishDiagnostics"
                if published and message["params"]["uri"] == uri:
                    found: list[Any] = message["params"]["diagnostics"]
                    return found
        finally:
            watchdog.cancel()


def median(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms" if values else "n/a"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("file")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--server", default=f"{sys.executable} -m celerylint server")
    args = parser.parse_args(argv)
    root = args.path.resolve()
    target = root / args.file
    uri = target.as_uri()
    text = target.read_text(encoding="utf-8")
    client = Client(shlex.split(args.server), root)
    client.send(
        {"id": 1, "method": "initialize", "params": {"rootUri": root.as_uri(), "capabilities": {}}}
    )
    while client.receive().get("id") != 1:
        pass
    client.send({"method": "initialized", "params": {}})
    started = time.perf_counter()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": item}})
    client.diagnostics(uri)
    print(f"first diagnostics: {time.perf_counter() - started:.2f} s")
    client.logged.clear()
    latencies = []
    for version in range(2, args.edits + 2):
        changed = text + EDIT if version % 2 == 0 else text
        sent = time.perf_counter()
        client.send(
            {
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"text": changed}],
                },
            }
        )
        client.diagnostics(uri)
        latencies.append(time.perf_counter() - sent - DEBOUNCE)
        time.sleep(0.3)  # the server stats the files after publishing
    client.send({"id": 2, "method": "shutdown"})
    while client.receive().get("id") != 2:
        pass
    client.send({"method": "exit"})
    client.process.wait(timeout=10)
    print(f"edits: {len(latencies)}")
    print(f"didChange -> publishDiagnostics, less the {DEBOUNCE * 1000:.0f} ms debounce:")
    print(f"  median {median(latencies)}, max {max(latencies) * 1000:.0f} ms")
    for stage in ("store", "model", "rules", "publish", "total"):
        print(f"  {stage}: {median([row[stage] for row in client.logged])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
