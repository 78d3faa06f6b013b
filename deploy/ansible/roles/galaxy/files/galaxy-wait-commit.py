#!/usr/bin/env python3
"""Waits until a galaxyd validator commits: its /v1/status answers, names the
chain and the validator index expected, and its height grows by BLOCKS
within TIMEOUT seconds (a height grows only when n - f validators agree).
Run by the galaxy role on the validator's host (ansible.builtin.script), so
it needs only Python 3's standard library.

  galaxy-wait-commit.py URL CHAIN INDEX BLOCKS TIMEOUT

Prints one JSON line: {"height", "start_height", "healthy", "syncing",
"seconds"}. Exit 0 when the height grew; 1 with the reason on stderr when it
did not in time, or the node reports another chain or index."""
import json
import sys
import time
import urllib.request


def status(url):
    with urllib.request.urlopen(url + "/v1/status", timeout=10) as r:
        return json.load(r)


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    url, chain, index = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
    blocks, timeout = int(sys.argv[4]), float(sys.argv[5])
    t0 = time.monotonic()
    deadline = t0 + timeout
    first, last, err = None, None, "no answer"
    while time.monotonic() < deadline:
        try:
            s = status(url)
        except (OSError, ValueError) as e:  # not up yet, or a partial answer
            err = str(e)
            time.sleep(0.5)
            continue
        if not s.get("chain") or s.get("name") != chain or s.get("validator") != index:
            print("%s/v1/status: want validator %d of chain %s, got %s"
                  % (url, index, chain, json.dumps(s)), file=sys.stderr)
            return 1
        last = s
        if first is None:
            first = s
        if int(s["height"]) >= int(first["height"]) + blocks:
            print(json.dumps({"height": s["height"], "start_height": first["height"],
                              "healthy": s.get("healthy"), "syncing": s.get("syncing"),
                              "seconds": round(time.monotonic() - t0, 1)}))
            return 0
        time.sleep(0.2)
    if last is None:
        print("%s/v1/status: no answer in %.0f s (%s)" % (url, timeout, err), file=sys.stderr)
    else:
        print("%s: height %s -> %s in %.0f s, want %d more black holes (is the network up?)"
              % (url, first["height"], last["height"], timeout, blocks), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
