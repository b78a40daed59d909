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
                           "enforce", warehouse_uri=f"s3://{BUCKET}/wh", extra_env=aws_env)
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
