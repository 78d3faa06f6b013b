#!/usr/bin/env python3
"""Writes the seed corpora of core's fuzz targets from the test vectors
(tests/vectors/transfers.txt, tests/vectors/lsh.txt). Run from the repo root;
output is checked in."""
import os, struct

vec = [l.split()[1] for l in open("tests/vectors/transfers.txt") if l.startswith("hex ")]
xf = [bytes.fromhex(h) for h in vec]

def put(target, name, data):
    d = os.path.join("tests/corpus", target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)

for i, x in enumerate(xf):
    put("gx_xfer_fuzz", f"transfer{i}", x)
    put("gx_xfer_fuzz", f"half{i}", bytes([1, 2]) + x[2:186])
put("gx_batch_fuzz", "batch1", bytes([1, 0x10, 1, 0]) + xf[0])
put("gx_batch_fuzz", "batch3", bytes([1, 0x10, 3, 2]) + b"".join(xf))
put("gx_batch_fuzz", "short", bytes([1, 0x10, 5, 0]))

prev = bytes(range(32))
def bh(n):
    hdr = bytes([1, 0x20]) + struct.pack("<QQ", 5, 2) + prev + b"\x11" * 32 + b"\x22" * 32 + struct.pack("<I", n)
    return hdr + prev + b"".join(xf[:n])
put("gx_block_fuzz", "bh0", bh(0))
put("gx_block_fuzz", "bh2", bh(2))
put("gx_block_fuzz", "bh_header", bh(0)[:118])

# LSH blocks (core/gx_lsh.h): the signed test vector, and blocks whose
# certificates carry placeholder signatures (they decode; they do not verify).
lsh_vec = [l.split()[1] for l in open("tests/vectors/lsh.txt") if l.startswith("block ")][0]
put("gx_lsh_fuzz", "vector", bytes.fromhex(lsh_vec))
def lsh(height, n_members, included, faults, txs, signers, tx_root=b"\x44" * 32):
    hdr = bytes([1, 0x22]) + struct.pack("<IQ", 7, height) + (b"\0" if height == 1 else b"\x11") * 32
    hdr += struct.pack("<Q", 3) + b"\x22" * 32 + (tx_root if txs else b"\0" * 32)
    hdr += struct.pack("<IBB", len(txs), n_members, len(faults))
    rep = b"".join(struct.pack("<BII", 1, i, 100 + i) if i in included else bytes(9) for i in range(n_members))
    flt = b"".join(struct.pack("<HBB", m, k, 0) + b"\x55" * 32 for m, k in faults)
    cert = struct.pack("<H", len(signers)) + b"".join(struct.pack("<H", m) + bytes([m]) * 64 for m in signers)
    return hdr + rep + flt + b"".join(txs) + cert
put("gx_lsh_fuzz", "min", lsh(1, 4, {0, 1, 2}, [], [], [3]))
put("gx_lsh_fuzz", "faults", lsh(9, 7, {0, 1, 2, 3, 4}, [(1, 1), (5, 3), (5, 4), (6, 2)], xf[:2], [0, 2, 4, 5, 6]))
put("gx_lsh_fuzz", "wide", lsh(2, 64, set(range(43)), [(63, 4)], xf[:1], list(range(64))))

put("gx_peer_fuzz", "hello", bytes([1, 0x30]) + b"\x05" * 32 + struct.pack("<Q", 7) + b"\x06" * 32 + struct.pack("<HH", 9000, 0))
put("gx_peer_fuzz", "announce", bytes([1, 0x31]) + bh(0)[:118])
put("gx_peer_fuzz", "syncreq", bytes([1, 0x32]) + struct.pack("<QH", 1, 64))

put("gx_text_fuzz", "address", b"gxa22e01229f41ea9a111e5b70652c3d5f2ffa15a4e7b1ad5cd218b8b22e489d13b34b4464")
put("gx_text_fuzz", "keyfile", b"galaxy-key v1\npublic " + b"ab" * 32 + b"\nsecret " + b"cd" * 32 + b"\n")
put("gx_text_fuzz", "number", b"18446744073709551615")
