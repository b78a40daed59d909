"""Small helpers shared by the test modules (not fixtures: see conftest.py)."""

from __future__ import annotations

import re
import socket
from typing import Dict, Iterable, Optional, Sequence, Tuple

from hmsclient.genthrift.hive_metastore.ttypes import (
    FieldSchema,
    SerDeInfo,
    StorageDescriptor,
    Table,
)

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


_BATCH_DIR = re.compile(r"/20\d{12}/?$")


def part_default(loc: Optional[str]) -> Optional[str]:
    """The location of a partition added without one, as Apache HMS names it.

    Strata's default batch mode (``enforce``) places such a partition in a batch directory
    under HMS's default one, ``<table>/<k=v>/<YYYYMMDDHHMMSS>`` (an intentional difference,
    docs/compatibility.md); this cuts that last segment, after ``norm_location``.
    """
    loc = norm_location(loc)
    return None if loc is None else _BATCH_DIR.sub("", loc)


def norm_location(loc: Optional[str]) -> Optional[str]:
    """Compare locations the way Hadoop's Path does.

    The real HMS 2.3 qualifies a ``file://`` warehouse through Hadoop's Path and
    answers ``file:/abs/dir`` (no empty authority); ``file:///abs/dir`` names the same
    place. Both spellings are accepted; a trailing slash is ignored.
    """
    if loc is None:
        return None
    if loc.startswith("file:///"):
        loc = "file:/" + loc[len("file:///"):]
    elif loc.startswith("file://localhost/"):
        loc = "file:/" + loc[len("file://localhost/"):]
    if len(loc) > len("file:/") and loc.endswith("/"):
        loc = loc.rstrip("/")
    return loc


def cols(*pairs: Tuple[str, str]) -> list:
    return [FieldSchema(name=n, type=t, comment=None) for n, t in pairs]


def make_table(
    db: str,
    name: str,
    columns: Sequence[Tuple[str, str]] = (("id", "int"), ("name", "string")),
    partition_keys: Sequence[Tuple[str, str]] = (),
    params: Optional[Dict[str, str]] = None,
    location: Optional[str] = None,
    table_type: str = "MANAGED_TABLE",
    owner: str = "strata_tester",
) -> Table:
    """A plain text-format table as a Hive 2.x client would send it (createTime 0)."""
    sd = StorageDescriptor(
        cols=cols(*columns),
        location=location,
        inputFormat=TEXT_INPUT,
        outputFormat=TEXT_OUTPUT,
        compressed=False,
        numBuckets=-1,
        serdeInfo=SerDeInfo(name=None, serializationLib=LAZY_SIMPLE_SERDE,
                            parameters={"serialization.format": "1"}),
        bucketCols=[],
        sortCols=[],
        parameters={},
    )
    return Table(
        tableName=name,
        dbName=db,
        owner=owner,
        createTime=0,
        lastAccessTime=0,
        retention=0,
        sd=sd,
        partitionKeys=cols(*partition_keys),
        parameters=dict(params or {}),
        tableType=table_type,
    )


def col_pairs(fields: Iterable[FieldSchema]) -> list:
    return [(f.name, f.type) for f in fields]


def drain_close(s: socket.socket, timeout: float = 10.0) -> bytes:
    """Read what the server sends until it closes (or `timeout`)."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, socket.timeout, OSError):
        pass
    s.close()
    return got
