"""``backsight bench --json``: the keys and shapes people and ``--compare`` rely on
(never the timings themselves: those depend on the machine)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from pi_app.bench import (MAX_CYCLES, SENSOR_COUNTS, _percentiles, compare_lines, format_table,
                          load_baseline, run_all)
from pi_app.exc import ConfigError

BASELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "baseline.json"
PER_COUNT = ("cycle_us", "cycle_simbus_us", "naive_cycle_us")
SCALARS = ("sim_speedup", "startup_ms", "rss_mb", "per_sensor_cycle_us")


def positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def check_shape(r: dict) -> None:
    for key in PER_COUNT:
        assert set(r[key]) == {str(n) for n in SENSOR_COUNTS}, key
        for n in r[key]:
            p = r[key][n]
            assert set(p) == {"p50", "p99"} and positive(p["p50"]) and p["p99"] >= p["p50"]
    assert set(r["decision_latency_us"]) == {"p50", "p99"}
    assert positive(r["decision_latency_us"]["p50"])
    for key in SCALARS:
        assert positive(r[key]), key
    assert set(r["ratio"]) == {str(n) for n in SENSOR_COUNTS}


@pytest.fixture(scope="module")
def bench_run():
    return subprocess.run([sys.executable, "-m", "pi_app", "bench", "--json", "--cycles", "200",
                           "--compare", str(BASELINE)],
                          capture_output=True, text=True, timeout=300)


def test_bench_json_has_every_figure(bench_run):
    assert bench_run.returncode == 0, bench_run.stderr
    result = json.loads(bench_run.stdout)          # one JSON object, nothing else
    check_shape(result)
    # more sensors cost more: the figures measure the loop, not noise
    assert result["cycle_us"]["5"]["p50"] > result["cycle_us"]["1"]["p50"]


def test_compare_prints_now_over_then_per_sensor_count(bench_run):
    lines = [l for l in bench_run.stderr.splitlines() if "now/then" in l]
    assert [l.split()[0] for l in lines] == [str(n) for n in SENSOR_COUNTS]


def test_the_committed_baseline_has_the_same_shape():
    check_shape(json.loads(BASELINE.read_text()))


def test_table_and_percentiles():
    assert _percentiles([]) == {"p50": None, "p99": None}
    assert _percentiles([1000 * i for i in range(1, 101)]) == {"p50": 51.0, "p99": 100.0}
    table = format_table(json.loads(BASELINE.read_text()))
    assert "per sensor-cycle" in table and "sim speed-up" in table


def test_compare_reads_the_baseline_and_divides_per_sensor_count(tmp_path):
    baseline = load_baseline(BASELINE)
    assert set(baseline) == {str(n) for n in SENSOR_COUNTS} and all(map(positive, baseline.values()))
    now = {"cycle_us": {"1": {"p50": 2 * baseline["1"], "p99": 0}, "7": {"p50": 1.0, "p99": 1.0}}}
    assert compare_lines(now, baseline) == ["1 sensors: p50 now/then = 2.00"]   # 7: not in both
    bad = tmp_path / "bad.json"
    bad.write_text('{"cycle_us": {"1": {"p50": null}}}')
    with pytest.raises(ConfigError, match=r"bad\.json: cycle_us\.1\.p50: expected a number > 0"):
        load_baseline(bad)


def test_run_all_refuses_a_cycle_count_it_cannot_measure():
    for cycles in (0, -1, MAX_CYCLES + 1):
        with pytest.raises(ValueError, match="cycles must be within"):
            run_all(cycles)
