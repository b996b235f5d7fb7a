#!/usr/bin/env python3
"""Regenerate the tiny RocksDB test databases with the real aimrocks
(RocksDB 6.29.5, the version Aim 3.29 bundles) and their expected dumps.

Usage: /work/venvs/aim329/bin/python make.py [OUTDIR]   (default: this dir)

Every database is written by aimrocks itself; nothing is forged by hand.
Afterwards the RocksDB info logs (LOG*) and OPTIONS-* files are removed to
keep the fixtures small (RocksDB does not need them to open a database).
Each `<name>.dump` is the output of `../aimrocks_dump.py <name>` run on a
temporary copy (so the read-only open cannot touch the fixture).
"""
import gc
import os
import shutil
import subprocess
import sys
import tempfile

import aimrocks

HERE = os.path.dirname(os.path.abspath(__file__))
DUMPER = os.path.join(HERE, "..", "aimrocks_dump.py")


def options(**kw):
    opts = aimrocks.Options()
    opts.create_if_missing = True
    opts.num_levels = 4
    opts.disable_auto_compactions = True
    opts.table_factory = aimrocks.BlockBasedTableFactory(block_size=kw.pop("block_size", 4096))
    for k, v in kw.items():
        setattr(opts, k, v)
    return opts


def close(db):
    # aimrocks 0.5.2 crashes when a DB object is deallocated after an
    # explicit close(); dropping the last reference closes it cleanly.
    del db
    gc.collect()


def sst_range_tombstone(path):
    """Everything flushed into one SST (Snappy), incl. a range_del block."""
    db = aimrocks.DB(path, options())
    for i in range(60):
        db.put(b"run/%02d" % i, b"value-%d" % i)
    db.delete_range(b"run/10", b"run/20")
    # Aim's overwrite pattern: DeleteRange(k, k+0xff) then Puts, one batch.
    b = aimrocks.WriteBatch()
    b.delete_range(b"run/3", b"run/3\xff")
    b.put(b"run/3x", b"rewritten")
    b.put(b"run/35", b"rewritten-35")
    db.write(b)
    db.delete(b"run/50")
    db.delete_single(b"run/51")
    db.flush()
    close(db)


def _wal_child(path):
    db = aimrocks.DB(path, options())
    for i in range(40):
        db.put(b"k%03d" % i, b"v%d" % i)
    db.delete(b"k005")
    db.delete_single(b"k006")
    db.delete_range(b"k010", b"k020")
    b = aimrocks.WriteBatch()
    b.delete_range(b"k03", b"k03\xff")
    b.put(b"k031", b"again")
    b.put(b"k039x", b"new")
    db.write(b)
    db.put(b"k015", b"after-range")
    # a value bigger than one 32 KiB log block: FIRST/MIDDLE/LAST records
    db.put(b"big", bytes(range(256)) * 160)
    db.put(b"k000", b"overwritten")
    os._exit(0)  # killed: no flush, no close


def wal_only(path):
    """Process exits without close: all data only in the WAL."""
    subprocess.check_call([sys.executable, __file__, "--wal-child", path])


def multi_level(path):
    """A bottommost level (seqnos zeroed) + two L0 files + WAL on top."""
    db = aimrocks.DB(path, options(block_size=256))
    for i in range(200):
        db.put(b"key%04d" % i, b"base-%d" % i)
    db.flush()
    db.compact_range(change_level=True, target_level=3, bottommost_level_compaction="force")
    for i in range(0, 200, 7):
        db.put(b"key%04d" % i, b"l0a-%d" % i)
    db.delete_range(b"key0050", b"key0080")
    db.delete(b"key0100")
    db.flush()
    for i in range(0, 200, 11):
        db.put(b"key%04d" % i, b"l0b-%d" % i)
    db.put(b"key0060", b"resurrected")
    db.delete(b"key0007")
    db.flush()
    db.put(b"key0001", b"memtable")
    db.delete_range(b"key0150", b"key0160")
    close(db)


def uncompressed(path):
    """Blocks stored without compression."""
    db = aimrocks.DB(path, options(compression=aimrocks.CompressionType.no_compression, block_size=512))
    for i in range(50):
        db.put(b"u%02d" % i, b"plain value %d" % i)
    db.delete(b"u07")
    db.flush()
    close(db)


BUILDERS = [sst_range_tombstone, wal_only, multi_level, uncompressed]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--wal-child":
        _wal_child(sys.argv[2])
        return
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    for build in BUILDERS:
        path = os.path.join(out, build.__name__)
        shutil.rmtree(path, ignore_errors=True)
        build(path)
        for name in os.listdir(path):
            f = os.path.join(path, name)
            if name.startswith("LOG") or name.startswith("OPTIONS-"):
                os.remove(f)
            else:
                # rewrite byte-identically to drop fallocate'd space of the
                # WAL of the killed process (apparent size is unchanged)
                with open(f, "rb") as src:
                    data = src.read()
                with open(f, "wb") as dst:
                    dst.write(data)
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, build.__name__)
            shutil.copytree(path, copy)
            dump = subprocess.check_output([sys.executable, DUMPER, copy])
        with open(path + ".dump", "wb") as f:
            f.write(dump)
        print(build.__name__, sorted(os.listdir(path)), len(dump.splitlines()), "pairs")


if __name__ == "__main__":
    main()
