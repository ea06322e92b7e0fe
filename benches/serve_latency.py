#!/usr/bin/env python3
"""Time from a file save to the live-reload event of `compendium serve` (a benchmark, not a test).

Usage: benches/serve_latency.py SITE_ROOT FILE_IN_SITE [--runs N] [--binary PATH]

Starts `compendium serve --port 0` on SITE_ROOT (which it modifies: use a copy), listens to the
server-sent events, then N times appends a new word to FILE_IN_SITE (a real edit: the page, its
lists and its search document change; `--edit space` appends a space, which changes no output)
and measures the time until the `reload` event arrives (the new page is already being served
then), and until the `search` event (the search index caught up). Prints the median, the 95th
percentile and the maximum, in milliseconds. Python 3 standard library only.
"""
import argparse
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--binary", default="target/release/compendium")
    ap.add_argument("--edit", choices=["word", "space"], default="word")
    args = ap.parse_args()
    # FILE is inside the site: relative to SITE_ROOT unless absolute.
    target = os.path.join(args.root, args.file)

    proc = subprocess.Popen([args.binary, "serve", "--port", "0", "--root", args.root],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split()[1].rstrip("/")
        host, port = url.replace("http://", "").rsplit(":", 1)
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"GET /__compendium/events HTTP/1.1\r\nHost: x\r\n\r\n")
        stream = sock.makefile("rb")
        # Events as they arrive, with their time, read by a thread: an event left over from
        # an earlier edit is then never taken for the answer to the next one.
        events = queue.Queue()

        def read_events():
            for raw in stream:
                line = raw.strip()
                if line.startswith(b"event: "):
                    events.put((time.perf_counter(), line[len(b"event: "):].decode()))
            events.put((time.perf_counter(), "closed"))

        threading.Thread(target=read_events, daemon=True).start()
        stale = 0

        def wait_for(name, since):
            nonlocal stale
            while True:
                at, event = events.get(timeout=60)
                if event == "closed":
                    raise RuntimeError("event stream closed")
                if at < since:
                    stale += 1
                    continue
                if event == "error":
                    raise RuntimeError("the rebuild failed")
                if event == name:
                    return at

        # Let the watcher settle.
        time.sleep(0.5)
        reloads, searches = [], []
        for i in range(args.runs):
            t0 = time.perf_counter()
            with open(target, "a", encoding="utf-8") as f:
                f.write(f" edit{i}x{os.getpid()}" if args.edit == "word" else " ")
            reloads.append((wait_for("reload", t0) - t0) * 1000)
            searches.append((wait_for("search", t0) - t0) * 1000)
            time.sleep(0.2)

        def summary(samples):
            samples = sorted(samples)
            p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
            return (f"median {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms, "
                    f"max {samples[-1]:.0f} ms")

        print(f"save to reload over {len(reloads)} runs ({args.edit} edits): {summary(reloads)}")
        print(f"save to search index updated: {summary(searches)}")
        if stale:
            print(f"{stale} event(s) arrived after their edit was measured (a second rebuild?)")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
