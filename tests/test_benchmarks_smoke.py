"""The benchmark scripts run to the end on tiny sizes and print their tables.

No timing is asserted (benchmarks measure, tests check behaviour; the machine is
shared).  The full measurements and their commands are in BENCHMARKS.md.
"""
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script, *args):
    proc = subprocess.run([sys.executable, str(BENCH / script), "--quick", *args], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_bench_reference_prints_every_formulation_and_the_matmul_baseline(tmp_path):
    out = _run("bench_reference.py", "--json", str(tmp_path / "r.json"))
    for row in ("batched_matrix", "batched_tensor", "per_sample", "per_neuron", "np.matmul only", "GFLOP/s"):
        assert row in out
    assert "scalar" in out and "width-1 chains only" in out
    assert (tmp_path / "r.json").exists()


def test_bench_gradcheck_prints_detection_false_alarms_and_cost():
    out = _run("bench_gradcheck.py")
    for heading in ("1. Detection", "2. False alarms", "3. Cost versus parameter count"):
        assert heading in out


def test_bench_parallel_probes_the_workers():
    out = _run("bench_parallel.py")
    assert "gw0" in out and "gw1" in out


def test_bench_sizes_prints_the_gate_per_implementation_and_the_bounds(tmp_path):
    out = _run("bench_sizes.py", "--json", str(tmp_path / "s.json"))
    for heading in ("1. ci profile, CPU seconds per implementation", "2. after, the new checks alone",
                    "3. bounds at the largest rungs", "reference.scalar", "784-256-128-10"):
        assert heading in out
    assert (tmp_path / "s.json").exists()


def test_bench_isolation_prints_the_round_trips_and_the_ratios_per_implementation(tmp_path):
    out = _run("bench_isolation.py", "--json", str(tmp_path / "i.json"))
    for words in ("1. Calls", "no-op round trip", "2. Implementations", "median ratio: wall", "reference.batched_matrix"):
        assert words in out
    assert (tmp_path / "i.json").exists()


def test_bench_profiles_runs_the_command_line_and_reads_its_report(tmp_path):
    out = _run("bench_profiles.py", "--json", str(tmp_path / "p.json"))
    rows = json.loads((tmp_path / "p.json").read_text())["rows"]
    assert "wall s" in out and "CPU s" in out and [r["profile"] for r in rows] == ["dev"]
    assert rows[0]["exit"] == 0 and rows[0]["verdicts"] == rows[0]["implementations"] == 1 and rows[0]["cpu_s"] > 0


def test_run_all_names_the_scripts():
    text = (BENCH / "run_all.py").read_text()
    assert all(s in text for s in ("bench_reference.py", "bench_gradcheck.py", "bench_parallel.py", "bench_sizes.py",
                                   "bench_isolation.py", "bench_profiles.py"))
