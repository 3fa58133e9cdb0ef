#!/usr/bin/env python3
"""Edits the GGUF payload of a tern executable (or a .weights file), as the
payload tests need: set-u32 KEY VALUE patches a u32 metadata value in place;
set-string KEY VALUE a string value of the same length; get-string KEY
prints a string value (fails where the key is absent);
flip-weight sampled|unsampled flips one byte of the weights blob inside or
outside the windows the start-up checksum reads (runtime/support/Digest.h)."""
import struct
import sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
WINDOWS, WINDOW = 64, 4096


def payload_start(data):
    if data[-8:] == b"TERNPAY1":
        offset, _size = struct.unpack_from("<QQ", data, len(data) - 24)
        return offset
    return 0


def parse(data, base):
    """(u32 value offsets by key, string (offset, length) by key, tensors as
    (name, offset, size), the data's start)"""
    pos = base + 8
    n_tensors, n_kv = struct.unpack_from("<QQ", data, pos)
    pos += 16

    def string(p):
        (n,) = struct.unpack_from("<Q", data, p)
        return data[p + 8:p + 8 + n].decode("utf-8", "replace"), p + 8 + n

    def skip(p, t):
        if t == 8:
            return string(p)[1]
        if t == 9:
            et, count = struct.unpack_from("<IQ", data, p)
            p += 12
            for _ in range(count):
                p = skip(p, et)
            return p
        return p + SIZES[t]

    u32, strings, alignment = {}, {}, 32
    for _ in range(n_kv):
        key, pos = string(pos)
        (t,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if t == 4:
            u32[key] = pos
        if t == 8:
            strings[key] = (pos + 8, struct.unpack_from("<Q", data, pos)[0])
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", data, pos)
        pos = skip(pos, t)
    tensors = []
    for _ in range(n_tensors):
        name, pos = string(pos)
        (n_dims,) = struct.unpack_from("<I", data, pos)
        dims = struct.unpack_from("<%dQ" % n_dims, data, pos + 4)
        pos += 4 + 8 * n_dims
        _t, off = struct.unpack_from("<IQ", data, pos)
        pos += 12
        size = 1
        for d in dims:
            size *= d
        tensors.append((name, off, size))
    data_start = base + (pos - base + alignment - 1) // alignment * alignment
    return u32, strings, tensors, data_start


def main():
    path, command = sys.argv[1], sys.argv[2]
    data = bytearray(open(path, "rb").read())
    u32, strings, tensors, data_start = parse(data, payload_start(data))
    if command == "set-u32":
        struct.pack_into("<I", data, u32[sys.argv[3]], int(sys.argv[4], 0))
    elif command == "get-string":
        if sys.argv[3] not in strings:
            sys.exit("no string " + sys.argv[3])
        at, n = strings[sys.argv[3]]
        print(data[at:at + n].decode())
        return
    elif command == "set-string":
        at, n = strings[sys.argv[3]]
        value = sys.argv[4].encode()
        assert len(value) == n, "set-string keeps the length (%d)" % n
        data[at:at + n] = value
    elif command == "flip-weight":
        _name, off, size = [t for t in tensors if t[0] == "tern.weights"][0]
        if sys.argv[3] == "sampled":
            at = size - 1  # the last window ends at the last byte
        else:
            at = (size - WINDOW) // (WINDOWS - 1) // 2  # between windows 0 and 1
            assert size > WINDOWS * WINDOW and at > WINDOW
        data[data_start + off + at] ^= 0x40
    else:
        sys.exit("unknown command " + command)
    open(path, "wb").write(bytes(data))


main()
