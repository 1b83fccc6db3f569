"""``backsight bench --json``: the keys and shapes people and ``--compare`` rely on
(never the timings themselves: those depend on the machine)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from pi_app.bench import (COMPARED, MAX_CYCLES, SENSOR_COUNTS, _percentiles, compare_lines,
                          format_table, load_baseline, run_all)
from pi_app.exc import ConfigError

BASELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "baseline.json"
PER_COUNT = ("cycle_us", "cycle_simbus_us", "naive_cycle_us")
SCALARS = ("sim_speedup", "startup_ms", "rss_mb", "per_sensor_cycle_us", "bare_python_ms",
           "help_ms", "startup_ratio", "help_ratio")


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


def test_compare_prints_now_over_then_for_every_figure_and_nothing_else(bench_run):
    # the committed baseline has every figure: one ratio line each, with its verdict;
    # stderr holds nothing else (no log lines from the benchmark's devices)
    lines = bench_run.stderr.splitlines()
    assert [l.split()[0] for l in lines] == [name for name, _ in COMPARED]
    for line in lines:
        assert "now/then = " in line
        assert line.split("  ")[-1].split()[0] in ("better", "worse", "same")


def test_the_committed_baseline_has_the_same_shape():
    check_shape(json.loads(BASELINE.read_text()))


def test_table_and_percentiles():
    assert _percentiles([]) == {"p50": None, "p99": None}
    assert _percentiles([1000 * i for i in range(1, 101)]) == {"p50": 51.0, "p99": 100.0}
    table = format_table(json.loads(BASELINE.read_text()))
    assert "per sensor-cycle" in table and "sim speed-up" in table


def test_compare_reads_the_baseline_and_judges_each_figure(tmp_path):
    baseline = load_baseline(BASELINE)
    assert set(baseline) == {name for name, _ in COMPARED} and all(map(positive, baseline.values()))
    now = {"cycle_us": {"1": {"p50": 2 * baseline["cycle_us.1.p50"], "p99": 0},
                        "7": {"p50": 1.0, "p99": 1.0}},
           "sim_speedup": 2 * baseline["sim_speedup"],
           "startup_ratio": baseline["startup_ratio"] * 1.05}
    lines = compare_lines(now, baseline)
    assert len(lines) == 3          # 7 sensors: not a compared figure
    assert lines[0].startswith("cycle_us.1.p50") and "now/then = 2.00" in lines[0]
    assert lines[0].endswith("worse (lower is better)")
    assert lines[1].startswith("sim_speedup") and lines[1].endswith("better (higher is better)")
    assert lines[2].startswith("startup_ratio") and " same " in lines[2]
    old = {"cycle_us.1.p50": 1.0}   # a baseline from before a figure existed
    assert compare_lines({"help_ratio": 1.5}, old) == [
        f"{'help_ratio':<24} now 1.5; not in the baseline"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"cycle_us": {"1": {"p50": null}}}')
    with pytest.raises(ConfigError, match=r"bad\.json: cycle_us\.1\.p50: expected a number > 0"):
        load_baseline(bad)
    bad.write_text('{"cycle_us": {}, "startup_ratio": "fast"}')
    with pytest.raises(ConfigError, match=r"bad\.json: startup_ratio: expected a number > 0"):
        load_baseline(bad)


def test_run_all_refuses_a_cycle_count_it_cannot_measure():
    for cycles in (0, -1, MAX_CYCLES + 1):
        with pytest.raises(ValueError, match="cycles must be within"):
            run_all(cycles)
