#!/usr/bin/env bash
# By hand, not in CI: measure `strata import` from the real Apache HMS 2.3.10 (PostgreSQL
# backend) at a large partition count, e.g. the README's 20,000 and 1,000,000 figures.
#
#   scripts/import-scale.sh PARTITIONS [STRATA_DATABASE_URL]
#
# 1. starts the real HMS (shared/anchor-hms, `hms-start.sh postgres`) on a fresh PostgreSQL
#    database of its own ($HMS_PG_DB, default hms_scale),
# 2. creates one external table `bulk.sold_items` (dt date, hr int) with ONE partition over
#    Thrift, then copies that partition's rows in the HMS schema (SERDES, SERDE_PARAMS, SDS,
#    PARTITIONS, PARTITION_KEY_VALS, PARTITION_PARAMS) PARTITIONS-1 times in one SQL
#    transaction (20 hours a day from 2000-01-01) and moves DataNucleus' SEQUENCE_TABLE on:
#    a million partitions in about a minute instead of hours of add_partitions,
# 3. runs `strata import --from thrift://... --json` under /usr/bin/time -v into
#    STRATA_DATABASE_URL (default: a fresh SQLite file under $WORK) and prints partitions/s
#    and the importer's peak RSS,
# 4. stops the HMS and drops its database.
#
# Env: STRATA_BIN (default target/release/strata if built, else target/debug/strata),
#      ANCHOR (default ../shared/anchor-hms next to the repository, as the tests find it),
#      ANCHOR_HOME (as for hms-start.sh), HMS_PORT (default 19083), WORK (default a mktemp dir),
#      HMS_JAVA_OPTS (default -Xmx2g), PY (a python with hmsclient, default target/pyenv/bin/python).
set -euo pipefail
N=${1:?"usage: import-scale.sh PARTITIONS [STRATA_DATABASE_URL]"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANCHOR=${ANCHOR:-$ROOT/../shared/anchor-hms}
PORT=${HMS_PORT:-19083}
WORK=${WORK:-$(mktemp -d)}
PG_DB=${HMS_PG_DB:-hms_scale}
PY=${PY:-$ROOT/target/pyenv/bin/python}
if [ -z "${STRATA_BIN:-}" ]; then
  STRATA_BIN=$ROOT/target/release/strata
  [ -x "$STRATA_BIN" ] || STRATA_BIN=$ROOT/target/debug/strata
fi
TARGET=${2:-sqlite://$WORK/strata.db}
export HMS_JAVA_OPTS=${HMS_JAVA_OPTS:--Xmx2g}
mkdir -p "$WORK"

PID=$(HMS_FRESH=1 HMS_PG_DB=$PG_DB HMS_STATE=$WORK/hms HMS_WAREHOUSE=file://$WORK/warehouse \
  bash "$ANCHOR/hms-start.sh" postgres "$PORT")
cleanup() {
  bash "$ANCHOR/hms-stop.sh" "$PID" >/dev/null 2>&1 || true
  su postgres -c "psql -qAt -c 'drop database if exists $PG_DB'" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# the table and its first partition, over Thrift (so every row is as HMS writes it)
PYTHONPATH=$ROOT/tests "$PY" - "$PORT" <<'EOF'
import sys
from hms_helpers import make_table
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import Database, Partition
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport
tr = TTransport.TBufferedTransport(TSocket.TSocket("127.0.0.1", int(sys.argv[1])))
c = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(tr))
tr.open()
c.create_database(Database(name="bulk", description="import-scale.sh", parameters={}))
c.create_table(make_table("bulk", "sold_items", columns=(("id", "bigint"), ("price", "double")),
                          partition_keys=(("dt", "date"), ("hr", "int")), params={"EXTERNAL": "TRUE"},
                          location="file:///data/sold_items", table_type="EXTERNAL_TABLE"))
t = c.get_table("bulk", "sold_items")
t.sd.location = "file:///data/sold_items/dt=2000-01-01/hr=0"
c.add_partitions([Partition(values=["2000-01-01", "0"], dbName="bulk", tableName="sold_items", sd=t.sd,
                            parameters={"source": "etl"})])
tr.close()
EOF

# the other N-1 partitions: copies of the first one, in one transaction
T0=$(date +%s)
PGPASSWORD=hive psql -h 127.0.0.1 -U hive -d "$PG_DB" -v ON_ERROR_STOP=1 -q <<EOF
BEGIN;
CREATE TEMP TABLE tpl AS
  SELECT p."PART_ID" part, p."TBL_ID" tbl, p."CREATE_TIME" ct, s."CD_ID" cd, s."INPUT_FORMAT" inf,
         s."OUTPUT_FORMAT" outf, r."SLIB" slib, 1000 + GREATEST(
           (SELECT max("PART_ID") FROM "PARTITIONS"), (SELECT max("SD_ID") FROM "SDS"),
           (SELECT max("SERDE_ID") FROM "SERDES")) base
  FROM "PARTITIONS" p JOIN "SDS" s USING ("SD_ID") JOIN "SERDES" r ON r."SERDE_ID" = s."SERDE_ID";
CREATE TEMP TABLE g AS
  SELECT tpl.base + i id, (date '2000-01-01' + i / 20)::text dt, (i % 20)::text hr
  FROM generate_series(1, $N - 1) i, tpl;
INSERT INTO "SERDES" SELECT id, NULL, slib FROM g, tpl;
INSERT INTO "SERDE_PARAMS" SELECT id, 'serialization.format', '1' FROM g;
INSERT INTO "SDS" SELECT id, cd, inf, false, false, 'file:/data/sold_items/dt=' || dt || '/hr=' || hr, -1, outf, id
  FROM g, tpl;
INSERT INTO "PARTITIONS" SELECT id, ct, 0, 'dt=' || dt || '/hr=' || hr, id, tbl FROM g, tpl;
INSERT INTO "PARTITION_KEY_VALS" SELECT id, dt, 0 FROM g UNION ALL SELECT id, hr, 1 FROM g;
INSERT INTO "PARTITION_PARAMS" SELECT id, 'source', 'etl' FROM g
  UNION ALL SELECT id, 'transient_lastDdlTime', ct::text FROM g, tpl;
UPDATE "SEQUENCE_TABLE" SET "NEXT_VAL" = (SELECT max(id) + 1 FROM g)
  WHERE "SEQUENCE_NAME" LIKE '%.MPartition' OR "SEQUENCE_NAME" LIKE '%.MStorageDescriptor'
     OR "SEQUENCE_NAME" LIKE '%.MSerDeInfo';
COMMIT;
ANALYZE "SERDES", "SERDE_PARAMS", "SDS", "PARTITIONS", "PARTITION_KEY_VALS", "PARTITION_PARAMS";
EOF
echo "source: $N partitions written in $(( $(date +%s) - T0 )) s" >&2

"$STRATA_BIN" --database-url "$TARGET" --warehouse "file://$WORK/strata-warehouse" migrate >/dev/null
/usr/bin/time -v -o "$WORK/time.txt" "$STRATA_BIN" --database-url "$TARGET" \
  --warehouse "file://$WORK/strata-warehouse" import --from "thrift://127.0.0.1:$PORT" --json >"$WORK/report.json"
"$PY" - "$WORK/report.json" "$WORK/time.txt" "$STRATA_BIN" <<'EOF'
import json, re, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
t = open(sys.argv[2]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", t).group(1)
print(f"binary {sys.argv[3]}: {r['partitions']['created']} partitions created, errors {len(r['errors'])}, "
      f"{r['seconds']:.1f} s, {r['partitions_per_second']:.0f} partitions/s, wall {wall}, "
      f"peak RSS {rss // 1024} MB")
EOF
