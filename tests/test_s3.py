"""Storage on S3: a running strata whose warehouse is on a real S3-compatible server (moto in
server mode, started here), under the batch policy's `enforce` mode. Checks what the metastore
does to data: batch directories, the data check before a swap, rollback verification, moves to
the retained area (copy, then delete), undrop and gc.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import uuid

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import Database, InvalidOperationException, Partition, PrincipalType

from conftest import _start_strata, _stop_strata, strata_binary
from hms_helpers import make_table

pytestmark = pytest.mark.partitions
RawClient = ThriftHiveMetastore.Client
BUCKET = "strata-test"


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def aws_env(moto_endpoint):
    return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true", "STRATA_S3__ENDPOINT": moto_endpoint,
            "STRATA_S3__FORCE_PATH_STYLE": "true"}


@pytest.fixture(scope="module")
def s3_server(s3, aws_env, tmp_path_factory):
    if os.environ.get("STRATA_TEST_TARGET"):
        pytest.skip("S3 storage tests start their own strata")
    if not strata_binary().exists():
        pytest.skip(f"no strata binary at {strata_binary()}")
    workdir = tmp_path_factory.mktemp("strata-s3").resolve()
    server = _start_strata("sqlite", strata_binary(), f"sqlite://{workdir}/strata.db", workdir / "unused", workdir,
                           None, warehouse_uri=f"s3://{BUCKET}/wh",
                           # the data check before a swap is tested here; it is off by default
                           extra_env={**aws_env, "STRATA_BATCH__REQUIRE_DATA": "true"})
    yield server
    _stop_strata(server)


@pytest.fixture
def client(s3_server):
    from hmsclient.hmsclient import HMSClient

    c = HMSClient(host=s3_server.host, port=s3_server.port)
    c.open()
    yield c
    c.close()


def cli(server, env, *args, ok=True):
    cmd = [str(strata_binary()), "--database-url", server.database_url, "--warehouse", f"s3://{BUCKET}/wh", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env, "STRATA_LOG": "warn"})
    if ok:
        assert proc.returncode == 0, f"{args}: {proc.stderr}"
    return proc


def keys(s3, prefix):
    out = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix.rstrip("/") + "/")
    return sorted(o["Key"] for o in out.get("Contents", []))


def key_of(location):
    assert location.startswith(f"s3://{BUCKET}/"), location
    return location[len(f"s3://{BUCKET}/"):].rstrip("/")


def put(s3, location, body=b"1,a\n"):
    s3.put_object(Bucket=BUCKET, Key=key_of(location) + "/part-00000", Body=body)


def test_batches_rollback_retained_moves_undrop_and_gc_on_s3(s3_server, client, s3, aws_env):
    db = f"s3db_{uuid.uuid4().hex[:8]}"
    name = f"{db}.sales"
    client.create_database(Database(name=db, description=None, locationUri=None, parameters={},
                                    ownerName="t", ownerType=PrincipalType.USER))
    assert client.get_database(db).locationUri == f"s3://{BUCKET}/wh/{db}.db"
    client.create_table(make_table(db, "sales", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "sales")
    assert t.sd.location == f"s3://{BUCKET}/wh/{db}.db/sales"

    sd = copy.deepcopy(t.sd)
    sd.location = None
    p = RawClient.add_partition(client, Partition(values=["a"], dbName=db, tableName="sales", sd=sd, parameters={},
                                                  createTime=0, lastAccessTime=0))
    b1 = p.sd.location
    assert b1.startswith(f"{t.sd.location}/ds=a/") and len(b1.rsplit("/", 1)[1]) == 14
    put(s3, b1, b"1,first\n")

    # A swap to an empty prefix is refused: the data check runs against S3.
    b2 = f"{t.sd.location}/ds=a/20300101000000"
    p.sd.location = b2
    with pytest.raises(InvalidOperationException) as e:
        client.alter_partition(db, "sales", p)
    assert "is empty or does not exist" in e.value.message
    put(s3, b2, b"2,second\n")
    client.alter_partition(db, "sales", p)

    # Rollback checks the target data on S3 first.
    batch1 = b1.rsplit("/", 1)[1]
    out = json.loads(cli(s3_server, aws_env, "rollback", name, "--partition", "ds=a", "--to", batch1, "--json").stdout)
    assert out[0]["action"] == "swap" and client.get_partition(db, "sales", ["a"]).sd.location == b1
    s3.delete_object(Bucket=BUCKET, Key=key_of(b2) + "/part-00000")
    r = cli(s3_server, aws_env, "rollback", name, "--partition", "ds=a", "--to", "20300101000000", ok=False)
    assert r.returncode != 0 and "is gone" in r.stderr
    put(s3, b2, b"2,second\n")

    # Drop: the data is moved (copied, then deleted) to the retained area, not deleted.
    client.drop_partition(db, "sales", ["a"], True)
    assert keys(s3, key_of(b1)) == []
    hist = json.loads(cli(s3_server, aws_env, "history", name, "--partition", "ds=a", "--json").stdout)
    retained = [h["new_location"] for h in hist if h["operation"] == "drop"][-1]
    assert f"/wh/.strata-retained/{db}.db/sales/" in retained
    kept = keys(s3, key_of(retained))
    assert kept == [key_of(retained) + "/part-00000"]
    assert s3.get_object(Bucket=BUCKET, Key=kept[0])["Body"].read() == b"1,first\n"

    # Undrop moves it back.
    out = json.loads(cli(s3_server, aws_env, "undrop", name, "--partition", "ds=a", "--json").stdout)
    assert out[0]["to"] == b1 and keys(s3, key_of(b1)) == [key_of(b1) + "/part-00000"]
    assert keys(s3, key_of(retained)) == []
    assert client.get_partition(db, "sales", ["a"]).sd.location == b1

    # gc deletes the swapped-out batch (b2), and only it.
    listed = json.loads(cli(s3_server, aws_env, "gc", "--older-than", "0s", "--table", name, "--json").stdout)
    assert [c["location"] for c in listed] == [b2]
    cli(s3_server, aws_env, "gc", "--older-than", "0s", "--table", name, "--apply", "--json")
    assert keys(s3, key_of(b2)) == []
    assert keys(s3, key_of(b1)) == [key_of(b1) + "/part-00000"]


def test_moves_to_the_retained_area_are_journalled_and_resumable_on_s3(s3_server, client, s3, aws_env):
    """A drop's move is recorded before and after; moves left open by a server that stopped in
    the middle (simulated by writing the journal and S3 as a crash would leave them) are undone
    when their change did not commit and finished when it did, by `strata moves --resume`."""
    import sqlite3

    db = f"mvdb_{uuid.uuid4().hex[:8]}"
    client.create_database(Database(name=db, description=None, locationUri=None, parameters={},
                                    ownerName="t", ownerType=PrincipalType.USER))
    client.create_table(make_table(db, "events", partition_keys=(("ds", "string"),)))
    t = client.get_table(db, "events")

    def add(day):
        sd = copy.deepcopy(t.sd)
        sd.location = None
        p = RawClient.add_partition(client, Partition(values=[day], dbName=db, tableName="events", sd=sd,
                                                      parameters={}, createTime=0, lastAccessTime=0))
        for i in range(2):
            s3.put_object(Bucket=BUCKET, Key=f"{key_of(p.sd.location)}/part-{i:05d}", Body=f"{day},{i}\n".encode())
        return p.sd.location

    # A normal drop: one move, recorded as started and then done, nothing left open.
    loc_a = add("a")
    client.drop_partition(db, "events", ["a"], True)
    moved = [m for m in json.loads(cli(s3_server, aws_env, "moves", "--all", "--json").stdout)
             if m["from_location"] == loc_a]
    assert len(moved) == 1 and moved[0]["state"] == "done", moved
    assert keys(s3, key_of(loc_a)) == []
    assert [k.rsplit("/", 1)[1] for k in keys(s3, key_of(moved[0]["to_location"]))] == ["part-00000", "part-00001"]
    assert json.loads(cli(s3_server, aws_env, "moves", "--json").stdout) == []

    # Crash 1: a drop of ds=b stopped during the copy (one of two objects copied), before its
    # metadata change committed: the partition still points at its data.
    loc_b = add("b")
    to_b = f"s3://{BUCKET}/wh/.retained/{db}.db/events/ds=b/crash-1"
    s3.copy_object(Bucket=BUCKET, Key=f"{key_of(to_b)}/part-00000",
                   CopySource={"Bucket": BUCKET, "Key": f"{key_of(loc_b)}/part-00000"})
    # Crash 2: a drop of ds=c committed (its history row is there) but stopped while deleting
    # the sources: both objects copied, one source left.
    loc_c = add("c")
    to_c = f"s3://{BUCKET}/wh/.retained/{db}.db/events/ds=c/crash-2"
    for i in range(2):
        s3.copy_object(Bucket=BUCKET, Key=f"{key_of(to_c)}/part-{i:05d}",
                       CopySource={"Bucket": BUCKET, "Key": f"{key_of(loc_c)}/part-{i:05d}"})
    s3.delete_object(Bucket=BUCKET, Key=f"{key_of(loc_c)}/part-00000")
    # The committed drop removed the partition (its data is left to the move).
    client.drop_partition(db, "events", ["c"], False)
    path = s3_server.database_url.removeprefix("sqlite://")
    with sqlite3.connect(path) as conn:
        for frm, to in ((loc_b, to_b), (loc_c, to_c)):
            conn.execute("INSERT INTO storage_moves (from_location, to_location, request_id, state, started_millis) "
                         "VALUES (?, ?, 'crashed', 'started', 1)", (frm, to))
        conn.execute("INSERT INTO location_history (operation, db_name, table_name, partition_name, "
                     "previous_location, new_location, at_millis) VALUES ('drop_partition', ?, 'events', 'ds=c', "
                     "?, ?, 1)", (db, loc_c, to_c))

    listed = json.loads(cli(s3_server, aws_env, "moves", "--json").stdout)
    assert [(m["from_location"], m["state"]) for m in listed] == [(loc_b, "started"), (loc_c, "started")]
    out = json.loads(cli(s3_server, aws_env, "moves", "--resume", "--min-age", "0s", "--json").stdout)
    assert [(o["from_location"], o["action"], o["error"]) for o in out] == [
        (loc_b, "moved back", None), (loc_c, "finished", None)]

    # ds=b is whole where its partition points, nothing left in the retained area.
    assert [k.rsplit("/", 1)[1] for k in keys(s3, key_of(loc_b))] == ["part-00000", "part-00001"]
    assert keys(s3, key_of(to_b)) == []
    assert client.get_partition(db, "events", ["b"]).sd.location == loc_b
    # ds=c's move is finished: everything at the retained location, nothing at the source.
    assert [k.rsplit("/", 1)[1] for k in keys(s3, key_of(to_c))] == ["part-00000", "part-00001"]
    assert keys(s3, key_of(loc_c)) == []
    assert json.loads(cli(s3_server, aws_env, "moves", "--json").stdout) == []
    states = {m["from_location"]: m["state"] for m in json.loads(cli(s3_server, aws_env, "moves", "--all", "--json").stdout)}
    assert (states[loc_b], states[loc_c]) == ("undone", "done")
