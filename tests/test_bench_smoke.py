"""Smoke test of `strata bench`: the load generator runs its suite at N=100 against a running
strata, with the same strata as baseline, and reports every workload (no timing asserts)."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import strata_binary


def test_bench_suite_runs_against_strata(strata_server, tmp_path):
    if strata_server.is_external:
        pytest.skip("the bench smoke runs against strata itself")
    plot = tmp_path / "ratios.svg"
    cmd = [
        str(strata_binary()), "bench",
        "--uri", strata_server.uri,
        "--baseline", strata_server.uri,
        "--sizes", "100",
        "--repeats", "1",
        "--connections", "2",
        "--throughput-secs", "1",
        "--settle-ms", "100",
        "--data-root", f"file://{tmp_path}/data",
        "--json",
        "--plot", str(plot),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout)
    names = {row["workload"] for row in report["rows"]}
    expected = {
        "get_database", "get_table", "get_tables", "add_partition", "alter_partition",
        "add_partitions.100", "get_partitions.100", "get_partition_names.100",
        "get_partitions_by_names.100", "get_partitions_by_filter.100", "alter_partitions.100",
        "drop_partitions.100", "drop_table_with_partitions.100", "rename_table_with_partitions.100",
    }
    assert expected <= names, expected - names
    # One measured repetition; the single-object reads time 50 calls in a row per repetition and
    # the single-object writes 10.
    per_rep = {"get_database": 50, "get_table": 50, "get_tables": 50, "add_partition": 10, "alter_partition": 10}
    for row in report["rows"]:
        calls = per_rep.get(row["workload"], 1)
        assert row["target"]["samples"] == calls and row["target"]["median_ms"] > 0, row
        assert row["baseline"]["samples"] == calls, row
    assert report["throughput"][0]["target_calls_per_sec"] > 0
    assert plot.read_text().startswith("<svg")


def test_history_overhead_runs_against_strata(strata_server, tmp_path):
    if strata_server.is_external:
        pytest.skip("the bench smoke runs against strata itself")
    cmd = [
        str(strata_binary()), "bench",
        "--uri", strata_server.uri,
        "--history-overhead", "50",
        "--repeats", "2",
        "--data-root", f"file://{tmp_path}/data",
        "--json",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout)
    assert (report["n"], report["rounds"]) == (50, 2)
    assert report["swaps_median_ms"] > 0 and report["in_place_median_ms"] > 0
    # A ratio of two positive times, whatever its sign.
    assert report["overhead_pct"] > -100
