"""Hostile and broken clients against a running ``strata serve`` (default configuration), on each
backend: each attack runs in a bounded loop while other clients keep calling, and asserts

* the server's peak RSS during the attack (``VmHWM`` from ``/proc``, reset before each case
  through ``/proc/PID/clear_refs``) stays under ``PEAK_LIMIT_MB`` above its level before it;
* legitimate calls from another address are answered meanwhile, within seconds;
* refused requests get a clean answer (an exception or a closed connection), and the server
  never logs a panic.

Each case prints its measured peak and the slowest legitimate call (``pytest -s`` shows them).
``STRATA_FUZZ_SECONDS`` sets the length of the fuzz run (default 8 s per backend in CI; run it
by hand with 60 or more).
"""

from __future__ import annotations

import os
import random
import resource
import socket
import struct
import threading
import time
from typing import Callable, List, Optional

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    InvalidObjectException,
    MetaException,
    NoSuchObjectException,
    Partition,
)
from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.transport import TSocket, TTransport

from conftest import BACKENDS, _session_server
from hms_helpers import drain_close, make_table

PEAK_LIMIT_MB = 64
LEGIT_LIMIT_S = 5.0
FUZZ_SECONDS = float(os.environ.get("STRATA_FUZZ_SECONDS", "8"))
# Attackers come from 127.0.0.2 (loopback answers on all of 127/8); the legitimate clients from
# 127.0.0.1, as separate hosts would.
ATTACKER = "127.0.0.2"


@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "external"])
def server(request, tmp_path_factory):
    """A server of its own per backend, so that its memory is this module's alone."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 <= hard or (soft < hard and hard < 4096):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    yield from _session_server(request.param, tmp_path_factory, None)


# --------------------------------------------------------------------------- measuring


def _status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    raise AssertionError(f"{key} not in /proc/{pid}/status")


class Probe:
    """Legitimate calls from 127.0.0.1, one after another on fresh connections, while an
    attack runs; records each call's latency and any failure."""

    def __init__(self, server):
        self.server = server
        self.latencies: List[float] = []
        self.failures: List[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def call_once(self) -> float:
        start = time.monotonic()
        sock = TSocket.TSocket(self.server.host, self.server.port)
        sock.setTimeout(int(LEGIT_LIMIT_S * 4 * 1000))
        transport = TTransport.TBufferedTransport(sock)
        client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
        transport.open()
        try:
            assert client.get_database("default").name == "default"
            client.get_table("hostile", "parts")
        finally:
            transport.close()
        return time.monotonic() - start

    def _run(self):
        while not self._stop.is_set():
            try:
                self.latencies.append(self.call_once())
            except Exception as e:  # noqa: BLE001 - recorded and asserted on
                self.failures.append(repr(e))
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)


def attack(server, name: str, run: Callable[[], None]) -> None:
    """Run one attack with a probe going; assert and print its peak RSS and the slowest
    legitimate call."""
    pid = server.process.pid
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")
    idle = _status(pid, "VmRSS")
    with Probe(server) as probe:
        run()
    peak = _status(pid, "VmHWM") - idle
    assert server.process.poll() is None, f"server died during {name}\n{server.log_tail()}"
    slowest = max(probe.latencies) if probe.latencies else float("inf")
    print(f"\n[hostile] {server.backend} {name}: peak {peak} MB above idle ({idle} MB); "
          f"{len(probe.latencies)} legitimate calls, slowest {slowest * 1000:.0f} ms")
    report = os.environ.get("STRATA_HOSTILE_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(f"{server.backend}\t{name}\t{idle}\t{peak}\t{len(probe.latencies)}\t{slowest * 1000:.0f}\n")
    assert not probe.failures, f"legitimate calls failed during {name}: {probe.failures[:3]}"
    assert probe.latencies, f"no legitimate call completed during {name}"
    assert slowest < LEGIT_LIMIT_S, f"a legitimate call took {slowest:.1f} s during {name}"
    assert peak < PEAK_LIMIT_MB, f"{name}: peak RSS {peak} MB above idle (limit {PEAK_LIMIT_MB})"
    assert "panicked" not in server.log_tail(10_000_000), server.log_tail()


def connect_from(server, source: str = ATTACKER, rcvbuf: Optional[int] = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.connect((server.host, server.port))
    return s


# --------------------------------------------------------------------------- requests


def message(method: str, write_args: Callable, compact: bool = False) -> bytes:
    """The bytes a Thrift client sends for one call (unframed)."""
    buf = TTransport.TMemoryBuffer()
    proto = TCompactProtocol.TCompactProtocol(buf) if compact else TBinaryProtocol.TBinaryProtocol(buf)
    client = ThriftHiveMetastore.Client(proto)
    getattr(client, "send_" + method)(*write_args)
    return buf.getvalue()


def header(method: str) -> bytes:
    name = method.encode()
    return struct.pack(">iI", -2147418111, len(name)) + name + struct.pack(">i", 1)


def partition(i: int, pad: str = "") -> Partition:
    table = make_table("hostile", "parts", partition_keys=(("ds", "string"),))
    sd = table.sd
    sd.location = None
    return Partition(values=[f"d{i:05d}"], dbName="hostile", tableName="parts", sd=sd,
                     parameters={"pad": pad} if pad else {})


@pytest.fixture(scope="module")
def seeded(server):
    """Database `hostile` with table `parts` of 3,000 partitions (each with a 2 KB parameter,
    so that a whole listing is larger than what socket buffers hold)."""
    seed(server)
    return server


def seed(server) -> None:
    from hmsclient.genthrift.hive_metastore.ttypes import Database
    probe = Probe(server)
    sock = TSocket.TSocket(server.host, server.port)
    sock.setTimeout(120_000)
    transport = TTransport.TBufferedTransport(sock)
    client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    try:
        client.create_database(Database(name="hostile", description="", parameters={}))
        client.create_table(make_table("hostile", "parts", partition_keys=(("ds", "string"),)))
        pad = "p" * 2048
        for start in range(0, 3000, 500):
            client.add_partitions([partition(i, pad) for i in range(start, start + 500)])
    finally:
        transport.close()
    probe.call_once()


# --------------------------------------------------------------------------- attacks


def test_empty_structs(seeded):
    """100 MiB of empty `Partition` structs in one `add_partitions` (1 byte each on the wire):
    refused by the decode budget after its first few megabytes, on that connection only."""
    count = 100 * 1024 * 1024 - 64
    head = header("add_partitions") + struct.pack(">bhbi", 15, 1, 12, count)
    refused = []

    def run():
        for _ in range(3):
            s = connect_from(seeded)
            s.settimeout(30)
            zeros = bytes(1 << 20)
            try:
                s.sendall(head)
                for _ in range(100):
                    s.sendall(zeros)
            except OSError:
                refused.append(True)
            drain_close(s)

    attack(seeded, "100 MiB of empty structs", run)
    assert len(refused) == 3, "the server read a whole 100 MiB message of empty structs"


def test_declared_lengths(seeded):
    """20 connections each sending a 31-byte message that declares a 100 MiB string (unframed:
    nothing is allocated for it before its bytes come), and framed ones whose frame cannot hold
    the string they declare (refused at once)."""
    body = header("get_database") + struct.pack(">bhi", 11, 1, 100 * 1024 * 1024)
    assert len(body) == 31

    def run():
        held = []
        for _ in range(20):
            s = connect_from(seeded)
            s.sendall(body)
            held.append(s)
        for _ in range(20):
            s = connect_from(seeded)
            s.sendall(struct.pack(">I", len(body)) + body)
            got = drain_close(s)
            assert got == b"" or got[4:8] == b"\x80\x01\x00\x03", got[:16]
        time.sleep(3)
        for s in held:
            s.close()

    attack(seeded, "20 declared 100 MiB strings", run)


def test_slowloris(seeded):
    """1,024 sockets each trickling a request one byte a second: each address holds at most
    `max_connections_per_peer` connections, and a request must arrive within `request_timeout`,
    so others are served meanwhile."""
    request = message("get_database", ("default",))

    def run():
        socks = []
        for _ in range(1024):
            try:
                s = connect_from(seeded)
                s.setblocking(False)
                socks.append(s)
            except OSError:
                break
        assert len(socks) == 1024, f"only {len(socks)} attacking sockets could connect"
        for second in range(6):
            for s in socks:
                try:
                    s.send(request[second:second + 1])
                except OSError:
                    pass
            time.sleep(1)
        for s in socks:
            s.close()

    attack(seeded, "1,024 slowloris sockets", run)


def test_slow_listing_readers(seeded):
    """32 clients ask for the 3,000-partition listing (about 7 MB) and never read it; then they
    all leave in the middle of it. Other calls are served meanwhile, the server does not panic
    on the disconnects, and listings work afterwards."""
    request = message("get_partitions", ("hostile", "parts", -1))

    def run():
        socks = []
        for _ in range(32):
            s = connect_from(seeded, rcvbuf=4096)
            s.sendall(request)
            socks.append(s)
        time.sleep(5)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

    attack(seeded, "32 slow listing readers", run)
    sock = TSocket.TSocket(seeded.host, seeded.port)
    sock.setTimeout(120_000)
    transport = TTransport.TBufferedTransport(sock)
    client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    try:
        assert len(client.get_partitions("hostile", "parts", -1)) == 3000
    finally:
        transport.close()


def test_names_and_nul(seeded):
    """Names as HMS has them: over 128 characters or with a NUL is refused with the method's
    declared exception on both backends, nothing half-created."""
    sock = TSocket.TSocket(seeded.host, seeded.port)
    sock.setTimeout(30_000)
    transport = TTransport.TBufferedTransport(sock)
    client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    try:
        long_name = "t" * 129
        with pytest.raises(InvalidObjectException):
            client.create_table(make_table("hostile", long_name))
        client.create_table(make_table("hostile", "t" * 128))
        with pytest.raises(InvalidObjectException):
            client.create_table(make_table("hostile", "a\x00b"))
        for call in (lambda: client.get_table("hostile", "a\x00b"),
                     lambda: client.get_database("a\x00b"),
                     lambda: client.drop_table("hostile", "a\x00b", True)):
            with pytest.raises((MetaException, NoSuchObjectException)) as e:
                call()
            assert "Internal error" not in str(e.value)
        with pytest.raises(InvalidObjectException):
            client.add_partition(Partition(values=["x\x00y"], dbName="hostile", tableName="parts",
                                           sd=partition(0).sd))
        names = client.get_all_tables("hostile")
        assert "t" * 128 in names and long_name not in names
        assert not any("\x00" in n for n in names)
        assert not any("\x00" in n for n in client.get_partition_names("hostile", "parts", -1))
    finally:
        transport.close()
    assert "panicked" not in seeded.log_tail(10_000_000)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if not b:
            break
        i = rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            b[i:i + 4] = rng.choice([b"\x7f\xff\xff\xff", b"\x00\x10\x00\x00", b"\xff\xff\xff\xff",
                                     b"\x00\x00\x00\x00", b"\x80\x00\x00\x00"])
        elif op == 2:
            del b[i:i + rng.randint(1, 16)]
        elif op == 3:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 64)] * rng.randint(1, 8)
        elif op == 4:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            del b[i:]
    return bytes(b)


def test_fuzz(seeded):
    """Mutations of captured valid requests (binary and compact, unframed and framed) for the
    decoder, for `STRATA_FUZZ_SECONDS`: no panic, bounded memory, others served."""
    seeds = []
    for compact in (False, True):
        seeds += [
            message("get_database", ("default",), compact),
            message("get_table", ("hostile", "parts"), compact),
            message("create_table", (make_table("hostile", "fz", partition_keys=(("ds", "string"),)),), compact),
            message("add_partitions", ([partition(i) for i in range(3)],), compact),
            message("get_partitions_by_filter", ("hostile", "parts", "ds > 'd00010' and ds < 'd00020'", 5),
                    compact),
            message("get_partitions_ps", ("hostile", "parts", ["d00001"], -1), compact),
            message("get_partition_names", ("hostile", "parts", 10), compact),
        ]
    rng = random.Random(int(os.environ.get("STRATA_FUZZ_SEED", "17")))
    sent = []

    def run():
        deadline = time.monotonic() + FUZZ_SECONDS
        while time.monotonic() < deadline:
            data = _mutate(rng, rng.choice(seeds))
            if rng.random() < 0.3:
                data = struct.pack(">I", len(data)) + data
            try:
                s = connect_from(seeded)
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                drain_close(s, timeout=5)
            except OSError:
                pass
            sent.append(len(data))

    attack(seeded, f"fuzz {FUZZ_SECONDS:.0f} s", run)
    print(f"[hostile] {seeded.backend} fuzz: {len(sent)} mutated requests")
    assert len(sent) > 100
