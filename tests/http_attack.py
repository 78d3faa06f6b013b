#!/usr/bin/env python3
"""Slow and many HTTP clients against galaxyd's listeners (tests/test_http_limits.sh).
Real sockets on loopback; every 127.x.y.z is a distinct client address on Linux,
so per-client and total limits are told apart by binding the source address.
Prints one JSON object per command on stdout.

  idle PORT SRC N [TOKEN]         N idle connections from SRC, then one more:
                                  its answer (status line, code, Retry-After),
                                  and another client's GET /v1/status (with the
                                  bearer TOKEN: an admin listener)
  slowloris API ADMIN TOKEN SECS [ADMIN_DRIBBLERS]
                                  dribblers from 127.0.0.11..14 (8 each), each
                                  sending a header byte every 0.3 s and coming
                                  back when cut off, for SECS, and as many on
                                  ADMIN from 127.0.0.15 (default 0); meanwhile
                                  probes of ADMIN (/metrics, and /v1/status,
                                  /v1/raw/blackhole/1, /v1/raw/cert/1 with the
                                  token) and of API (/v1/status from
                                  127.0.0.20); then API again
  burst PORT N IPS                N clients at once (from IPS source addresses)
                                  send GET /v1/status: how each ended
  malformed PORT SECS [TOKEN]     for SECS, one request after another from
                                  127.0.0.30, each on its own connection: an
                                  escaped NUL in the path (/v1/blackhole/1%00abc,
                                  /v1/tx/HEX%00), a GET and a HEAD with a small
                                  body: {kind: {"STATUS:CODE": n}}
"""
import json, select, socket, sys, threading, time


def connect(port, src, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_all(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b


def parse(data):
    """(status, code, headers) of one HTTP answer; status 0 when none."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1."):
        return 0, None, {}
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    code = None
    try:
        code = json.loads(body.decode()).get("code")
    except Exception:
        pass
    return status, code, hdrs


def get(port, path, src="127.0.0.1", token=None, timeout=3.0):
    """One GET on a fresh connection: (status, code) or (0, error name)."""
    try:
        s = connect(port, src, timeout)
        auth = "Authorization: Bearer %s\r\n" % token if token else ""
        s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n" % (path, auth)).encode())
        data = read_all(s)
        s.close()
        st, code, _ = parse(data)
        return st, code if st else "no_status_line"
    except Exception as e:  # reset, timeout, refused...
        return 0, type(e).__name__


def cmd_idle(port, src, n, token=None):
    held = [connect(port, src) for _ in range(n)]
    time.sleep(0.3)  # all admitted before the next one
    s = connect(port, src)
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n")
    st, code, hdrs = parse(read_all(s))
    other = get(port, "/v1/status", src="127.0.0.3", token=token)
    for h in held + [s]:
        h.close()
    return {"status": st, "code": code, "retry_after": hdrs.get("retry-after"),
            "connection": hdrs.get("connection"), "other_client": other[0]}


def cmd_slowloris(api, admin, token, secs, admin_dribblers=0):
    srcs = [("127.0.0.%d" % i, api) for i in range(11, 15) for _ in range(8)]
    srcs += [("127.0.0.15", admin)] * admin_dribblers
    stop = time.time() + secs
    live = {}  # socket -> ((src, port), started)
    later = []  # (when, (src, port)): reconnects after a refusal
    lifetimes, answers, admin_answers = [], {}, {}

    def open_one(sp):
        try:
            s = connect(sp[1], sp[0])
            s.setblocking(False)
            s.send(b"GET /v1/status HTTP/1.1\r\nHost: t\r\n")
            live[s] = (sp, time.time())
        except Exception:
            answers["connect_failed"] = answers.get("connect_failed", 0) + 1

    probes = {"admin_ok": 0, "admin_fail": [], "api": {}}

    def prober():
        while time.time() < stop:
            for path, tok in (("/metrics", None), ("/v1/status", token),
                              ("/v1/raw/blackhole/1", token), ("/v1/raw/cert/1", token)):
                st, code = get(admin, path, token=tok)
                if st == 200:
                    probes["admin_ok"] += 1
                else:
                    probes["admin_fail"].append([path, st, code])
            st, code = get(api, "/v1/status", src="127.0.0.20")
            key = str(st) + ("" if st == 200 else ":" + str(code))
            probes["api"][key] = probes["api"].get(key, 0) + 1
            time.sleep(0.2)

    t = threading.Thread(target=prober)
    for sp in srcs:
        open_one(sp)
    t.start()
    next_drip = time.time()
    while time.time() < stop:
        r, _, _ = select.select(list(live), [], [], 0.05)
        for s in r:
            src, t0 = live.pop(s)
            try:
                data = s.recv(65536)
            except Exception as e:
                data = b""
                answers[type(e).__name__] = answers.get(type(e).__name__, 0) + 1
            st, code, _ = parse(data)
            key = "%d:%s" % (st, code) if st else "closed"
            tally = answers if src[1] == api else admin_answers
            tally[key] = tally.get(key, 0) + 1
            s.close()
            if st != 503:  # admitted, then cut off: the attacker comes back at once
                if src[1] == api:
                    lifetimes.append(time.time() - t0)
                open_one(src)
            else:  # refused: back a little later (no busy loop on a shared host)
                later.append((time.time() + 0.1, src))
        while later and later[0][0] <= time.time():
            open_one(later.pop(0)[1])
        if time.time() >= next_drip:
            next_drip += 0.3
            for s in list(live):
                try:
                    s.send(b"X")  # one more header byte: never a whole line
                except Exception:
                    pass
    for s in live:
        s.close()
    t.join()
    time.sleep(0.3)
    after = get(api, "/v1/status", src="127.0.0.20")
    return {"answers": answers, "lifetime_min": min(lifetimes) if lifetimes else None,
            "lifetime_max": max(lifetimes) if lifetimes else None, "cut_off": len(lifetimes),
            "probes": probes, "after": after[0], "admin_answers": admin_answers}


def cmd_burst(port, n, ips):
    results = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        src = "127.0.1.%d" % (1 + i % ips)
        barrier.wait()  # then all connect and ask at once
        try:
            s = connect(port, src, 15.0)
        except Exception as e:
            results[i] = "connect:" + type(e).__name__
            return
        try:
            s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            st, code, _ = parse(read_all(s))
            results[i] = str(st) if st else "no_status_line"
        except Exception as e:
            results[i] = type(e).__name__
        s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {}
    for r in results:
        out[r] = out.get(r, 0) + 1
    return out


def cmd_malformed(port, secs, token=None):
    """Requests whose bytes a strict server must refuse with a status: each
    kind -> {"STATUS:CODE": n}; "0:..." when there was no status line."""
    auth = "Authorization: Bearer %s\r\n" % token if token else ""
    kinds = {
        "nul_blackhole": "GET /v1/blackhole/1%%00abc HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
        "nul_tx": "GET /v1/tx/" + "ab" * 32 + "%%00 HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
        "get_body": "GET /v1/status HTTP/1.1\r\nHost: t\r\n%sContent-Length: 5\r\n"
                    "Connection: close\r\n\r\nhello",
        "head_body": "HEAD /v1/status HTTP/1.1\r\nHost: t\r\n%sContent-Length: 3\r\n"
                     "Connection: close\r\n\r\nabc",
    }
    out = {k: {} for k in kinds}
    stop, i = time.time() + secs, 0
    names = sorted(kinds)
    while time.time() < stop:
        k = names[i % len(names)]
        i += 1
        try:
            s = connect(port, "127.0.0.30", 10.0)
            s.sendall((kinds[k] % auth).encode())
            data = read_all(s)
            s.close()
            st, code, _ = parse(data)
            if k == "head_body" and st:  # a HEAD answer has no body: the status says it
                code = code or "-"
            key = "%d:%s" % (st, code) if st else "0:no_status_line"
        except Exception as e:
            key = "0:" + type(e).__name__
        out[k][key] = out[k].get(key, 0) + 1
        time.sleep(0.02)
    return out


if __name__ == "__main__":
    c, a = sys.argv[1], sys.argv[2:]
    if c == "idle":
        r = cmd_idle(int(a[0]), a[1], int(a[2]), a[3] if len(a) > 3 else None)
    elif c == "slowloris":
        r = cmd_slowloris(int(a[0]), int(a[1]), a[2], float(a[3]), int(a[4]) if len(a) > 4 else 0)
    elif c == "malformed":
        r = cmd_malformed(int(a[0]), float(a[1]), a[2] if len(a) > 2 else None)
    elif c == "burst":
        r = cmd_burst(int(a[0]), int(a[1]), int(a[2]))
    else:
        sys.exit("unknown command " + c)
    print(json.dumps(r))
