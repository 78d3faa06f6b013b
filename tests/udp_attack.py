#!/usr/bin/env python3
"""Hostile datagrams against galaxyd's UDP ports (tests/test_junk_accounts.sh,
tests/test_adversary.sh). Real sockets on loopback; only the bytes of
docs/PROTOCOL.md. Transfers come ready-signed from star (a hex dump of batch
datagrams, or transfer files: 290 bytes in hex, the first word of a line);
link datagrams are sealed here with libsodium (ctypes), as a validator that
holds its key would seal them. Prints one JSON object per command on stdout.

  flood FILE FIRST END RATE PORT...   datagrams FIRST..END-1 of FILE (one batch
                                      datagram in hex a line) to every port, RATE
                                      a second to each
  resend COPIES RATE FILE... -- PORT...
                                      each transfer file's transfer as a batch of
                                      one, COPIES times to every port, RATE
                                      datagrams a second in all
  at_once FILE PORT [FILE PORT]...    each transfer file's transfer, as a batch of
                                      one, to its port: all within a millisecond
                                      (a double spend sent to two validators)
  garbage SECS RATE FILE PORT...      malformed batch datagrams for SECS (FILE: a
                                      transfer file, the valid transfer the bad
                                      ones are made from), cycling through the
                                      kinds below, each one new (no duplicates):
                                      {"kind": sent to each port}
  badsig FILE N PORT...               N copies of FILE's transfer with a flipped
                                      bit in the initiator's signature and N in
                                      the counterparty's, each distinct, one
                                      batch each to every port
  link KEY GENESIS PORT...            to validators' consensus ports: raw junk
                                      (random, short, a wrong type, 1473 and 2000
                                      random bytes, 8000 bytes: over the socket's
                                      2048-byte slot) and datagrams sealed with
                                      KEY (a galaxyd node key) for each other
                                      validator: payload 1436 (the maximum; boot
                                      1, so a replay), 1437 and 2000 (malformed:
                                      over the maximum, whatever the tag)
"""
import ctypes, ctypes.util, json, os, socket, struct, sys, time

XFER = 290


def xfer_of(path):
    b = bytes.fromhex(open(path).read().split()[0])
    assert len(b) == XFER and b[0] == 1 and b[1] == 1, path
    return b


def batch(*xs, hops=0):
    return bytes([1, 0x10, len(xs), hops]) + b"".join(xs)


def sender():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    return s


def paced(items, rate, ports):
    """Sends every item to every port, rate items a second."""
    s, t0 = sender(), time.time()
    for i, b in enumerate(items):
        for p in ports:
            s.sendto(b, ("127.0.0.1", p))
        d = t0 + (i + 1) / rate - time.time()
        if d > 0:
            time.sleep(d)


def cmd_flood(path, first, end, rate, ports):
    lines = open(path).read().split()[first:end]
    paced((bytes.fromhex(l) for l in lines), rate, ports)
    return {"sent": len(lines)}


def cmd_resend(copies, rate, files, ports):
    xs = [batch(xfer_of(f)) for f in files]
    paced((x for _ in range(copies) for x in xs), rate, ports)
    return {"sent": copies * len(xs)}


def cmd_at_once(pairs):
    xs = [(batch(xfer_of(f)), int(p)) for f, p in pairs]
    s = sender()
    for b, p in xs:
        s.sendto(b, ("127.0.0.1", p))
    return {"sent": len(xs)}


def put_u64(b, off, v):
    b[off:off + 8] = struct.pack("<Q", v)


def garbage_kinds(x):
    """kind -> a function of a counter making one malformed datagram: the
    label gx_parse_errors_total gives it (docs/PROTOCOL.md)."""
    def mut(f):
        def make(i):
            b = bytearray(x)
            put_u64(b, 114, 0x5a5a000000000000 + i)  # the nonce: every one new
            f(b)
            return b
        return make

    def amount0(b): put_u64(b, 66, 0)
    def seq0(b): put_u64(b, 74, 0)
    def selfpay(b): b[34:66] = b[2:34]
    def reserved(b): pass
    return {
        "version": lambda i: bytes([0x77, 0x10, 1, 0]) + os.urandom(XFER),
        "type": lambda i: bytes([1, 0x11, 1, 0]) + mut(reserved)(i),
        "count": lambda i: bytes([1, 0x10, 0, 0]),
        "oversize": lambda i: batch(*[bytes(mut(reserved)(i * 8 + k)) for k in range(6)]),
        "short": lambda i: batch(bytes(mut(reserved)(i)))[:-1 - i % 200],
        "trailing": lambda i: batch(bytes(mut(reserved)(i))) + b"\0" * (1 + i % 7),
        "amount": lambda i: batch(bytes(mut(amount0)(i))),
        "seq": lambda i: batch(bytes(mut(seq0)(i))),
        "self": lambda i: batch(bytes(mut(selfpay)(i))),
        "range": lambda i: batch(bytes(mut(reserved)(i)), hops=17 + i % 200),
    }


def cmd_garbage(secs, rate, path, ports):
    kinds = garbage_kinds(xfer_of(path))
    names = sorted(kinds)
    sent = {k: 0 for k in names}
    s, t0, i = sender(), time.time(), 0
    while time.time() < t0 + secs:
        k = names[i % len(names)]
        b = kinds[k](i)
        for p in ports:
            s.sendto(b, ("127.0.0.1", p))
        sent[k] += 1
        i += 1
        d = t0 + i / rate - time.time()
        if d > 0:
            time.sleep(d)
    return sent


def cmd_badsig(path, n, ports):
    x = xfer_of(path)
    out = []
    for who, off in (("initiator", 122), ("counterparty", 226)):
        for i in range(n):  # a bit of R (the first half): never a decode error
            b = bytearray(x)
            b[off + i % 32] ^= 1 << (i // 32 % 8)
            out.append(batch(bytes(b)))
    paced(out, 2000, ports)
    return {"initiator": n, "counterparty": n}


# ---- validator links (docs/PROTOCOL.md "Validator link") -------------------------
def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert lib.sodium_init() >= 0
    return lib


def seal_keys(lib, key_path, genesis_path):
    """Our index and, per other validator index, the key we send it with."""
    kv = dict(l.split(None, 1) for l in open(key_path).read().splitlines() if " " in l)
    me, seed = int(kv["index"]), bytes.fromhex(kv["secret"].strip())
    ids, cur = {}, None
    for l in open(genesis_path).read().splitlines():
        l = l.strip()
        if l.startswith("[validator "):
            cur = int(l[11:-1])
        elif l.startswith("[") or not l:
            cur = None if l.startswith("[") else cur
        elif cur is not None and l.startswith("identity"):
            ids[cur] = bytes.fromhex(l.split("=")[1].strip())
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    assert lib.crypto_sign_seed_keypair(pk, sk, seed) == 0 and pk.raw == ids[me]
    xsk, xpk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)
    assert lib.crypto_sign_ed25519_sk_to_curve25519(xsk, sk) == 0
    assert lib.crypto_sign_ed25519_pk_to_curve25519(xpk, pk) == 0
    keys = {}
    for j, ipk in ids.items():
        if j == me:
            continue
        px = ctypes.create_string_buffer(32)
        assert lib.crypto_sign_ed25519_pk_to_curve25519(px, ipk) == 0
        rx, tx = ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)
        kx = lib.crypto_kx_client_session_keys if me < j else lib.crypto_kx_server_session_keys
        assert kx(rx, tx, xpk, xsk, px) == 0  # the lower index is the kx client
        keys[j] = tx.raw
    return me, keys


def seal(lib, key, me, boot, counter, payload):
    head = bytes([1, 0x3F]) + struct.pack("<HQQ", me, boot, counter) + payload
    nonce = struct.pack("<QQ", boot, counter) + bytes(8)
    tag, tlen = ctypes.create_string_buffer(16), ctypes.c_ulonglong(0)
    assert lib.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        None, tag, ctypes.byref(tlen), None, ctypes.c_ulonglong(0), head,
        ctypes.c_ulonglong(len(head)), None, nonce, key) == 0
    return head + tag.raw


def cmd_link(key_path, genesis_path, ports):
    """ports: the consensus ports of validators 0, 1, ... (genesis order)."""
    lib = sodium()
    me, keys = seal_keys(lib, key_path, genesis_path)
    s = sender()
    sent = {}

    def send(j, kind, b, copies=20):
        for _ in range(copies):
            s.sendto(b, ("127.0.0.1", ports[j]))
            time.sleep(0.001)
        sent.setdefault(kind, {})[j] = sent.setdefault(kind, {}).get(j, 0) + copies

    for j in keys:
        send(j, "random", os.urandom(600))
        send(j, "short", bytes([1, 0x3F]) + os.urandom(20))
        send(j, "type", bytes([1, 0x3E]) + os.urandom(100))
        send(j, "raw_1473", bytes([1, 0x3F]) + os.urandom(1471))
        send(j, "raw_2000", bytes([1, 0x3F]) + os.urandom(1998))
        send(j, "raw_8000", bytes([1, 0x3F]) + os.urandom(7998))
        # sealed by a validator: boot 1 (older than any live boot: never moves a
        # window, whatever the outcome); counters all distinct
        for n, kind in ((1436, "sealed_1436"), (1437, "sealed_1437"), (2000, "sealed_2000")):
            for c in range(20):
                b = seal(lib, keys[j], me, 1, 1000 * n + c, os.urandom(n))
                s.sendto(b, ("127.0.0.1", ports[j]))
                time.sleep(0.001)
            sent.setdefault(kind, {})[j] = 20
    return {"from": me, "sent": sent}


if __name__ == "__main__":
    c, a = sys.argv[1], sys.argv[2:]
    if c == "flood":
        r = cmd_flood(a[0], int(a[1]), int(a[2]), float(a[3]), [int(p) for p in a[4:]])
    elif c == "resend":
        k = a.index("--")
        r = cmd_resend(int(a[0]), float(a[1]), a[2:k], [int(p) for p in a[k + 1:]])
    elif c == "at_once":
        r = cmd_at_once(list(zip(a[0::2], a[1::2])))
    elif c == "garbage":
        r = cmd_garbage(float(a[0]), float(a[1]), a[2], [int(p) for p in a[3:]])
    elif c == "badsig":
        r = cmd_badsig(a[0], int(a[1]), [int(p) for p in a[2:]])
    elif c == "link":
        r = cmd_link(a[0], a[1], [int(p) for p in a[2:]])
    else:
        sys.exit("unknown command " + c)
    print(json.dumps(r))
