#!/usr/bin/env python3
"""Prints a base port P below the ephemeral range (32768+) such that the ports
P+i, P+100+i, P+200+i and P+300+i (deploy/run-local.sh's layout: ingest,
consensus, public HTTP API, admin HTTP) are free on 127.0.0.1 for i < N (first
argument, default 4), over UDP and TCP.
Exit 1 when none is found."""
import random, socket, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4

def free(p):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            return False
        finally:
            s.close()
    return True

for _ in range(200):
    base = random.randrange(20000, 32000 - 400, 10)
    if all(free(base + off + i) for off in (0, 100, 200, 300) for i in range(n)):
        print(base)
        sys.exit(0)
sys.exit(1)
