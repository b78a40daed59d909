"""The admin HTTP listener of a running strata, on each backend: health and readiness (which
follows the database away and back), version, the Prometheus metrics (parsed with the
`prometheus_client` parser, counters checked to move with calls), the JSON-lines audit log,
and the history UI in a real headless Debian `chromium` (pages load; a table written three
times shows three writes on its timeline; screenshots are kept under target/ui-screenshots/).

Each backend gets a server of its own here, since one test takes its database away.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import (
    Database,
    NoSuchObjectException,
    Partition,
)

from conftest import BACKENDS, REPO_ROOT, _psql, running_strata
from hms_helpers import make_table

pytestmark = pytest.mark.skipif(bool(os.environ.get("STRATA_TEST_TARGET")),
                                reason="the admin listener is Strata's own")

SCREENSHOTS = REPO_ROOT / "target" / "ui-screenshots"


def http(server, path: str, timeout: float = 15.0):
    """(status, content type, body text) of GET path on the server's admin listener."""
    url = f"http://127.0.0.1:{server.admin_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "external"])
def admin_server(request, tmp_path_factory):
    backend = request.param
    workdir = tmp_path_factory.mktemp(f"strata-admin-{backend}").resolve()
    audit = workdir / "audit.jsonl"
    with running_strata(backend, workdir, db_prefix="strata_adm",
                        extra_env={"STRATA_AUDIT__LOG_FILE": str(audit)}) as server:
        server.extra.update(audit=audit, db_file=workdir / "strata.db")
        wait_for(lambda: http(server, "/health/live", timeout=2)[0] == 200, "the admin listener")
        yield server


@pytest.fixture
def client(admin_server):
    from hmsclient.hmsclient import HMSClient

    c = HMSClient(host=admin_server.host, port=admin_server.port)
    c.open()
    yield c
    c.close()


def scrape(server) -> dict:
    """{(sample name, frozenset(labels)): value} of /metrics, parsed by prometheus_client."""
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    status, ctype, text = http(server, "/metrics")
    assert status == 200, text
    assert ctype.startswith("application/openmetrics-text"), ctype
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_health_version_and_ready(admin_server):
    assert http(admin_server, "/health/live")[0] == 200
    status, ctype, body = http(admin_server, "/health/ready")
    assert (status, json.loads(body)) == (200, {"status": "ready"}), body
    assert ctype.startswith("application/json")
    status, _, body = http(admin_server, "/version")
    v = json.loads(body)
    assert status == 200 and v["name"] == "strata" and v["backend"] == admin_server.backend, v
    assert v["version"]


def test_counters_move_with_calls_and_the_audit_log_has_them(admin_server, client):
    before = scrape(admin_server)
    db = f"adm_{uuid.uuid4().hex[:8]}"
    client.create_database(Database(name=db, description="", locationUri=None, parameters={}))
    client.create_table(make_table(db, "t", partition_keys=[("d", "string")]))
    for _ in range(3):
        client.get_table(db, "t")
    with pytest.raises(NoSuchObjectException):
        client.get_table(db, "missing")
    table = client.get_table(db, "t")
    parts = [Partition(dbName=db, tableName="t", values=[f"2026010{i}"], sd=table.sd, parameters={})
             for i in range(1, 3)]
    for p in parts:
        p.sd = type(table.sd)(**table.sd.__dict__)
        p.sd.location = f"{table.sd.location}/d={p.values[0]}/20260101000000"
    client.add_partitions(parts)
    after = scrape(admin_server)

    calls = "strata_thrift_calls_total"
    assert value(after, calls, method="get_table") - value(before, calls, method="get_table") == 5
    assert value(after, calls, method="create_table") - value(before, calls, method="create_table") == 1
    errors = "strata_thrift_errors_total"
    assert (value(after, errors, method="get_table", exception="NoSuchObjectException")
            - value(before, errors, method="get_table", exception="NoSuchObjectException")) == 1
    count = "strata_thrift_call_duration_seconds_count"
    assert value(after, count, method="get_table") - value(before, count, method="get_table") == 5
    assert value(after, "strata_thrift_call_duration_seconds_bucket", method="get_table", le="+Inf") >= 5
    assert value(after, "strata_thrift_connections_open") >= 1
    assert value(after, "strata_thrift_connections_total") >= 1
    assert value(after, "strata_thrift_received_bytes_total") > value(before, "strata_thrift_received_bytes_total")
    assert value(after, "strata_thrift_sent_bytes_total") > value(before, "strata_thrift_sent_bytes_total")
    # create_table and the two new partitions each wrote a history row.
    assert (value(after, "strata_history_rows_written_total")
            - value(before, "strata_history_rows_written_total")) >= 3
    assert value(after, "strata_db_pool_max") >= 1
    assert value(after, "strata_db_pool_connections") >= 1
    assert ("strata_locks_held", frozenset()) in after
    assert ("strata_storage_moves_pending", frozenset()) in after

    # Every series the Grafana dashboard plots is exposed.
    dashboard = json.loads((REPO_ROOT / "deploy" / "grafana" / "strata-dashboard.json").read_text())
    plotted = {m for p in dashboard["panels"] for t in p["targets"] for m in re.findall(r"strata_[a-z_]+", t["expr"])}
    exposed = {name for name, _ in after}
    assert plotted and plotted <= exposed, plotted - exposed

    def audited():
        lines = [json.loads(x) for x in admin_server.extra["audit"].read_text().splitlines() if x.strip()]
        return [x for x in lines if x.get("db") == db] or None

    lines = wait_for(audited, "audit lines")
    missing = [x for x in lines if x["method"] == "get_table" and x.get("table") == "missing"]
    assert len(missing) == 1, lines
    assert missing[0]["outcome"] == "NoSuchObjectException"
    assert missing[0]["client"].startswith("127.0.0.1:")
    assert missing[0]["principal"] and missing[0]["request_id"] and missing[0]["latency_ms"] >= 0
    assert missing[0]["time"].endswith("Z")
    ok = [x for x in lines if x["method"] == "add_partitions" and x["outcome"] == "ok"]
    assert len(ok) == 1, lines


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        msg = "Debian's chromium is needed for the UI test (scripts/test.sh installs it)"
        if os.environ.get("STRATA_TEST_REQUIRE_BIN") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return found


def browser(args, workdir: Path) -> str:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", f"--user-data-dir={workdir}", "--window-size=1280,1400", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_history_ui_in_a_browser(admin_server, client, tmp_path):
    db = f"ui_{uuid.uuid4().hex[:8]}"
    client.create_database(Database(name=db, description="", locationUri=None, parameters={}))
    client.create_table(make_table(db, "sold_items", partition_keys=[("day", "string")]))
    table = client.get_table(db, "sold_items")

    def parts(batch):
        out = []
        for day in ("20161031", "20161101"):
            sd = type(table.sd)(**table.sd.__dict__)
            sd.location = f"{table.sd.location}/day={day}/{batch}"
            out.append(Partition(dbName=db, tableName="sold_items", values=[day], sd=sd, parameters={}))
        return out

    # Written three times: added in one batch, then swapped to a new batch twice.
    client.add_partitions(parts("20161102234252"))
    time.sleep(0.05)
    client.alter_partitions(db, "sold_items", parts("20161103010000"))
    time.sleep(0.05)
    client.alter_partitions(db, "sold_items", parts("20161104010000"))

    base = f"http://127.0.0.1:{admin_server.admin_port}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    profile = tmp_path / "profile"

    home = browser(["--dump-dom", f"{base}/ui/"], profile)
    assert f'href="/ui/db/{db}"' in home, home[:2000]
    tables = browser(["--dump-dom", f"{base}/ui/db/{db}"], profile)
    assert "sold_items" in tables

    page = browser(["--dump-dom", f"{base}/ui/db/{db}/sold_items"], profile)
    assert page.count('class="batch"') == 3, page
    assert "20161104010000" in page and "20161102234252" in page
    assert "<svg" in page and page.count('class="bar"') == 3
    assert page.count('class="partition"') == 2
    shot = SCREENSHOTS / f"table-{admin_server.backend}.png"
    browser([f"--screenshot={shot}", f"{base}/ui/db/{db}/sold_items"], profile)
    assert shot.exists() and shot.stat().st_size > 5000

    # The dry run for "before the second write" would swap both partitions back.
    _, _, html = http(admin_server, f"/ui/db/{db}/sold_items")
    link = html.split("before this?")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    # Links are newest first: the first is before the third write; take the second one's.
    links = [chunk.rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
             for chunk in html.split("before this?")[:-1]]
    assert links[0] == link and len(links) == 3
    plan = browser(["--dump-dom", f"{base}{links[1]}"], profile)
    assert plan.count('class="change"') == 2, plan
    assert "20161102234252" in plan and "swap" in plan
    browser([f"--screenshot={SCREENSHOTS / f'rollback-{admin_server.backend}.png'}", f"{base}{links[1]}"], profile)

    chain = browser(["--dump-dom", f"{base}/ui/db/{db}/sold_items/partition?name=day%3D20161031"], profile)
    assert chain.count('class="link"') == 3, chain
    browser([f"--screenshot={SCREENSHOTS / f'partition-{admin_server.backend}.png'}",
             f"{base}/ui/db/{db}/sold_items/partition?name=day%3D20161031"], profile)

    # Nothing in the UI writes: the history is what the three writes made.
    status, _, _ = http(admin_server, f"/ui/db/{db}/nope")
    assert status == 404


def test_ui_pages_partitions(admin_server, client):
    """Keyset pages of 100: 250 partitions take three pages, each after the last name shown."""
    db = f"pg_{uuid.uuid4().hex[:8]}"
    client.create_database(Database(name=db, description="", locationUri=None, parameters={}))
    client.create_table(make_table(db, "t", partition_keys=[("n", "int")]))
    table = client.get_table(db, "t")
    batch = []
    for i in range(250):
        sd = type(table.sd)(**table.sd.__dict__)
        sd.location = f"{table.sd.location}/n={i}/20260101000000"
        batch.append(Partition(dbName=db, tableName="t", values=[str(i)], sd=sd, parameters={}))
    client.add_partitions(batch)
    seen, path = [], f"/ui/db/{db}/t"
    for _ in range(5):
        status, _, html = http(admin_server, path)
        assert status == 200
        seen += [chunk.split('">', 1)[1].split("<", 1)[0]
                 for chunk in html.split('class="partition"><td><a href="')[1:]]
        if 'class="next"' not in html:
            break
        path = html.split('class="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert len(seen) == 250 and len(set(seen)) == 250 and seen == sorted(seen)


def test_ready_follows_the_database_away_and_back(admin_server):
    # Last in this module: the server's database goes away for a moment.
    assert http(admin_server, "/health/ready")[0] == 200
    if admin_server.backend == "sqlite":
        db_file = admin_server.extra["db_file"]
        moved = db_file.with_name("strata.db.away")
        db_file.rename(moved)
        try:
            status, _, body = wait_for(lambda: (r := http(admin_server, "/health/ready"))[0] == 503 and r,
                                       "ready to turn 503")
        finally:
            moved.rename(db_file)
    else:
        pg_db = admin_server.extra["pg_db"]
        _psql(f"ALTER DATABASE {pg_db} ALLOW_CONNECTIONS false")
        try:
            _psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{pg_db}'")
            status, _, body = wait_for(lambda: (r := http(admin_server, "/health/ready"))[0] == 503 and r,
                                       "ready to turn 503")
        finally:
            _psql(f"ALTER DATABASE {pg_db} ALLOW_CONNECTIONS true")
    reason = json.loads(body)
    assert reason["status"] == "not ready" and reason["reason"], reason
    # Liveness does not depend on the database.
    assert http(admin_server, "/health/live")[0] == 200
    wait_for(lambda: http(admin_server, "/health/ready")[0] == 200, "ready to return to 200")
