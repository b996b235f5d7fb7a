#!/usr/bin/env python3
"""Dump every RocksDB store of an Aim repository as JSON on stdout, read-only.

    python testdata/interop/aimrocks_dump.py REPO

REPO is a repository root (the folder holding `.aim/`) or the `.aim` folder itself.
Prints {"<chunk dir relative to REPO/.aim>": [[key_hex, value_hex], ...], ...} for
.aim/meta/chunks/*, .aim/seqs/chunks/* and .aim/meta/index (when they are RocksDB
directories, i.e. hold a CURRENT file), pairs in RocksDB iteration order (bytewise key
order), with keys of the JSON object sorted.

Each DB is opened with aimrocks.DB(path, aimrocks.Options(), read_only=True): a plain
read-only open, which replays the WAL in memory and writes nothing (unlike Aim's SDK,
which flushes WALs into SSTs when it reads). Works with aimrocks 0.5.2 (aim 3.29.1) and
0.4.0 (aim 3.17.4).
"""
import json
import os
import sys

import aimrocks


def dump_db(path):
    db = aimrocks.DB(path, aimrocks.Options(), read_only=True)
    try:
        it = db.iteritems()
        it.seek_to_first()
        return [[k.hex(), v.hex()] for k, v in it]
    finally:
        del db


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: aimrocks_dump.py REPO")
    aim_dir = os.path.abspath(argv[1])
    if os.path.basename(aim_dir) != ".aim":
        aim_dir = os.path.join(aim_dir, ".aim")
    if not os.path.isdir(aim_dir):
        sys.exit(f"no .aim folder at {aim_dir}")
    dbs = []
    for parent in (("meta", "chunks"), ("seqs", "chunks")):
        d = os.path.join(aim_dir, *parent)
        if os.path.isdir(d):
            dbs += [os.path.join(*parent, h) for h in sorted(os.listdir(d))]
    dbs.append(os.path.join("meta", "index"))
    out = {}
    for rel in sorted(dbs):
        full = os.path.join(aim_dir, rel)
        if os.path.isfile(os.path.join(full, "CURRENT")):
            out[rel] = dump_db(full)
    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
