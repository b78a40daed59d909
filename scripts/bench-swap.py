#!/usr/bin/env python3
"""The cost of one location swap under `strata.batch.mode=enforce` as a table grows.

For each N: a fresh PostgreSQL database and server, one table of N partitions (added in calls
of 10,000 under `track`, then switched to `enforce`), then SWAPS calls of `alter_partition`,
each pointing one partition at a new batch directory holding data. Prints the median and p90
latency of one swap per N. The reuse check and the live-location check are index lookups, so
the figures should not grow with N.

    target/pyenv/bin/python scripts/bench-swap.py                  # N = 1,000 and 100,000
    SWAP_SIZES=1000,100000,1000000 target/pyenv/bin/python scripts/bench-swap.py

Needs: a built `strata` (STRATA_BIN, default target/release/strata, else target/debug/strata),
PostgreSQL on 127.0.0.1:5432 (trust auth for postgres), psql.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore  # noqa: E402
from hmsclient.genthrift.hive_metastore.ttypes import Database, Partition, PrincipalType  # noqa: E402
from hmsclient.hmsclient import HMSClient  # noqa: E402
from hms_helpers import make_table  # noqa: E402

SIZES = [int(n) for n in os.environ.get("SWAP_SIZES", "1000,100000").split(",")]
SWAPS = int(os.environ.get("SWAPS", "200"))
CHUNK = 10_000


def binary() -> str:
    if os.environ.get("STRATA_BIN"):
        return os.environ["STRATA_BIN"]
    release = ROOT / "target" / "release" / "strata"
    return str(release if release.exists() else ROOT / "target" / "debug" / "strata")


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt", "-c", sql], check=True,
                   capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(n: int, work: Path) -> list:
    pgdb = f"strata_swap_{os.getpid()}"
    psql(f"DROP DATABASE IF EXISTS {pgdb} WITH (FORCE)")
    psql(f"CREATE DATABASE {pgdb}")
    wh = work / f"wh-{n}"
    wh.mkdir()
    port = free_port()
    log = open(work / f"strata-{n}.log", "wb")
    proc = subprocess.Popen([binary(), "serve", "--listen", f"127.0.0.1:{port}", "--database-url",
                             f"postgres://postgres@127.0.0.1:5432/{pgdb}", "--warehouse", f"file://{wh}"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "STRATA_LOG": "warn"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        c = HMSClient(host="127.0.0.1", port=port)
        c.open()
        c.create_database(Database(name="b", description=None, locationUri=None, parameters={},
                                   ownerName="bench", ownerType=PrincipalType.USER))
        c.create_table(make_table("b", "t", partition_keys=(("ds", "string"),),
                                  params={"strata.batch.mode": "track"}))
        t = c.get_table("b", "t")

        def part(i, loc=None):
            sd = copy.deepcopy(t.sd)
            sd.location = loc
            return Partition(values=[f"{i:07d}"], dbName="b", tableName="t", sd=sd, parameters={},
                             createTime=0, lastAccessTime=0)

        started = time.monotonic()
        for start in range(0, n, CHUNK):
            ThriftHiveMetastore.Client.add_partitions(c, [part(i) for i in range(start, min(n, start + CHUNK))])
        print(f"  N = {n:,}: added in {time.monotonic() - started:.0f} s", file=sys.stderr)
        t.parameters["strata.batch.mode"] = "enforce"
        c.alter_table("b", "t", t)
        table_dir = Path(t.sd.location[len("file://"):])
        times = []
        for k in range(SWAPS):
            i = (k * 7919) % n
            p = c.get_partition("b", "t", [f"{i:07d}"])
            batch = table_dir / f"ds={i:07d}" / f"2030{k:010d}"
            batch.mkdir(parents=True)
            (batch / "part-00000").write_text("x\n")
            p.sd.location = f"file://{batch}"
            t0 = time.perf_counter()
            c.alter_partition("b", "t", p)
            times.append((time.perf_counter() - t0) * 1000)
        c.close()
        return times
    finally:
        proc.terminate()
        proc.wait(30)
        psql(f"DROP DATABASE IF EXISTS {pgdb} WITH (FORCE)")
        shutil.rmtree(wh, ignore_errors=True)


def main() -> None:
    print(f"strata: {binary()}; {SWAPS} swaps per size (PostgreSQL)")
    print("| partitions | median swap | p90 swap |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="strata-bench-swap.") as work:
        for n in SIZES:
            times = sorted(measure(n, Path(work)))
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"| {n:,} | {statistics.median(times):.2f} ms | {p90:.2f} ms |", flush=True)


if __name__ == "__main__":
    main()
