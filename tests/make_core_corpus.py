#!/usr/bin/env python3
"""Writes the seed corpora of core's fuzz targets from the test vectors
(tests/vectors/transfers.txt). Run from the repo root; output is checked in."""
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
cp = bytes([1, 0x22]) + struct.pack("<IQ", 3, 9) + b"\0" * 32 + b"\x33" * 32 + struct.pack("<I", 2) + b"".join(xf[:2])
put("gx_block_fuzz", "cp2", cp)

put("gx_peer_fuzz", "hello", bytes([1, 0x30]) + b"\x05" * 32 + struct.pack("<Q", 7) + b"\x06" * 32 + struct.pack("<HH", 9000, 0))
put("gx_peer_fuzz", "announce", bytes([1, 0x31]) + bh(0)[:118])
put("gx_peer_fuzz", "syncreq", bytes([1, 0x32]) + struct.pack("<QH", 1, 64))

put("gx_text_fuzz", "address", b"gxa22e01229f41ea9a111e5b70652c3d5f2ffa15a4e7b1ad5cd218b8b22e489d13b34b4464")
put("gx_text_fuzz", "keyfile", b"galaxy-key v1\npublic " + b"ab" * 32 + b"\nsecret " + b"cd" * 32 + b"\n")
put("gx_text_fuzz", "number", b"18446744073709551615")
