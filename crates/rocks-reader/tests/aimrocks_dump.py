#!/usr/bin/env python3
"""Dump a RocksDB directory with the real RocksDB (aimrocks), read-only.

Usage: aimrocks_dump.py DIR [PREFIX_HEX]

Prints one `<key hex>\\t<value hex>` line per live pair in iteration order,
the same format as `cargo run -p rocks-reader --example dump`. The database
is opened with read_only=True, which never modifies the directory.
"""
import sys

import aimrocks


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    prefix = bytes.fromhex(sys.argv[2]) if len(sys.argv) == 3 else b""
    db = aimrocks.DB(sys.argv[1], aimrocks.Options(), read_only=True)
    it = db.iteritems()
    if prefix:
        it.seek(prefix)
    else:
        it.seek_to_first()
    out = sys.stdout
    for k, v in it:
        if not k.startswith(prefix):
            break
        out.write(k.hex() + "\t" + v.hex() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
