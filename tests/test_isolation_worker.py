"""Implementations in worker processes behave, to the checks, as they did in the checker's own process.

Real worker processes throughout: what the worker imports, whose ``reference`` it sees, modified inputs
and in-place training steps copied back, output and warnings replayed, hidden state kept between calls,
a crash that restarts the worker, the round trip left out of the documents' guard.
"""
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conformance.core.calls import call_gradient
from conformance.dropin.discovery import load_implementations
from conformance.isolation.client import stop_all, transport_seconds
from conformance.isolation.discover import discover, from_rows, to_rows
from conformance.isolation.remote import handle_of
from conformance.run import runner
from conformance.run.runner import run_check
from reference import Network

ROOT = Path(__file__).resolve().parent.parent
NET = Network([2, 3, 1])
PARAMS = NET.init(0)
X, Y = np.linspace(-1, 1, 6).reshape(2, 3), np.zeros((1, 3))


def _module(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return str(path)


def _remote(tmp_path: Path, name: str, text: str, impl: str = None):
    found = discover(_module(tmp_path, name, text))
    return found[0] if impl is None else {i.name: i for i in found}[impl]


@pytest.fixture(autouse=True)
def _no_leftover_workers():
    yield
    stop_all()


def test_the_worker_imports_of_the_suite_only_the_drop_in_protocol_and_itself(tmp_path):
    record = tmp_path / "modules.json"
    text = f"""
        import json, sys
        from conformance import implementation
        from conformance.testing import backprop
        json.dump(sorted(sys.modules), open({str(record)!r}, "w"))
        IMPLEMENTATION = implementation("t.modules", gradient=backprop(None))
        """
    discover(_module(tmp_path, "modules", text))
    loaded = set(json.loads(record.read_text()))
    suite = {m for m in loaded if m.split(".")[0] in ("conformance", "reference")}
    allowed = {"conformance", "conformance._imports", "conformance.dropin", "conformance.dropin.protocol",
               "conformance.dropin.ready_adapters", "conformance.dropin.discovery", "conformance.isolation",
               "conformance.isolation.wire", "conformance.isolation.invoke", "conformance.isolation.worker",
               "conformance.isolation.observations",
               "conformance.testing"}  # the last one: this drop-in imports it itself
    assert suite <= allowed, sorted(suite - allowed)


def test_a_users_own_reference_package_wins_in_the_worker_and_the_checker_keeps_its_own(tmp_path):
    user = tmp_path / "user_repo"
    (user / "reference").mkdir(parents=True)
    (user / "reference" / "__init__.py").write_text("WHOSE = 'the user'\n")
    _module(user, "mine", """
        import reference
        from conformance import implementation
        from conformance.testing import backprop
        assert reference.WHOSE == "the user", "the suite's reference reached the user's module"
        IMPLEMENTATION = implementation("user.mine", gradient=backprop(None))
        """)
    out = subprocess.run([sys.executable, "-m", "backprop_conformance", "mine.py", "--checks", "reference.agreement",
                          "--profile", "dev"], cwd=user, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "user.mine" in out.stdout and "ok 1" in out.stdout


def test_a_modified_input_is_reported_as_in_process_and_the_callers_arrays_stay_intact(tmp_path):
    text = """
        from conformance.testing import subject
        IMPLEMENTATION = subject("t.mutate", "mutate_x")
        """
    remote, local = _remote(tmp_path, "mutate", text), load_implementations(_module(tmp_path, "mutate2", text))[0]
    X0 = X.copy()
    out, here = call_gradient(remote, NET, PARAMS, X, Y), call_gradient(local, NET, PARAMS, X, Y)
    assert out.mutated == here.mutated and out.mutated[0].startswith("X[0, 0] changed from")
    assert np.array_equal(X, X0)


def test_training_steps_that_update_in_place_or_replace_list_items_recover_their_gradient(tmp_path):
    text = """
        from conformance import implementation
        from conformance.testing import subject

        def replacing(params, X, Y, eta):
            grads = subject("g", None).gradient(params, X, Y)
            for l, ((W, b), (dW, db)) in enumerate(zip(list(params), grads)):
                params[l] = (W - eta * dW, b - eta * db)      # new arrays, put into the caller's list

        IMPLEMENTATIONS = [subject("t.in_place", None, step=True), implementation("t.replacing", train_step=replacing)]
        """
    path = _module(tmp_path, "steps", text)
    for impl in discover(path):
        verdict = run_check(impl, "reference.agreement", profile="dev")
        assert verdict.status == "pass", (impl.name, verdict.message)


def test_output_and_warnings_of_a_call_come_back_to_the_check(tmp_path):
    remote = _remote(tmp_path, "noisy", """
        import os
        import numpy as np
        from conformance.testing import subject
        _quiet = subject("g", None).gradient
        def gradient(params, X, Y):
            print("epoch 1 of 1")
            os.write(2, b"from C\\n")
            np.exp(np.array([1000.0]))
            return _quiet(params, X, Y)
        from conformance import implementation
        IMPLEMENTATION = implementation("t.noisy", gradient=gradient)
        """)
    out = call_gradient(remote, NET, PARAMS, X, Y)
    assert out.ok and "epoch 1 of 1" in out.output and "from C" in out.output
    assert "RuntimeWarning: overflow encountered in exp" in out.warnings


def test_state_kept_between_calls_stays_observable_and_is_named(tmp_path):
    remote = _remote(tmp_path, "state", """
        from conformance.testing import subject
        IMPLEMENTATION = subject("t.accumulate", "accumulate")
        """)
    verdict = run_check(remote, "interface.deterministic", profile="dev")
    assert verdict.status == "fail" and verdict.diagnosis.cause == "hidden_state", verdict.message


def test_a_worker_that_dies_in_one_call_is_restarted_for_the_next(tmp_path):
    remote = _remote(tmp_path, "fragile", """
        import os
        from conformance import implementation
        from conformance.testing import subject
        _g = subject("g", None).gradient
        def gradient(params, X, Y):
            if X.shape[1] == 1:
                os._exit(3)
            return _g(params, X, Y)
        IMPLEMENTATION = implementation("t.fragile", gradient=gradient)
        """)
    dead = call_gradient(remote, NET, PARAMS, X[:, :1], Y[:, :1])
    assert dead.error.category == "crashed" and "exited with status 3" in dead.error.message
    alive = call_gradient(remote, NET, PARAMS, X, Y)
    assert alive.ok and handle_of(remote).starts == 2 and "exited with status 3" in handle_of(remote).deaths[0]


def test_declarations_travel_to_pytest_workers_as_rows_without_importing_anything(tmp_path):
    found = discover(_module(tmp_path, "plain", """
        from conformance.testing import subject
        IMPLEMENTATION = subject("t.plain", None, max_N=5, known_failures={"properties.": "not yet"})
        """))
    again = from_rows(json.loads(json.dumps(to_rows(found))))
    assert [i.name for i in again] == ["t.plain"] and again[0].support.max_N == 5
    assert again[0].known_failure("properties.dead_unit").reason == "not yet"
    assert handle_of(again[0]).process is None  # started on its first call
    assert call_gradient(again[0], NET, PARAMS, X, Y).ok


def test_the_time_spent_moving_a_call_to_its_worker_is_counted_apart(tmp_path):
    remote = _remote(tmp_path, "timed", """
        from conformance.testing import subject
        IMPLEMENTATION = subject("t.timed", None)
        """)
    call_gradient(remote, NET, PARAMS, X, Y)
    before = transport_seconds()
    out = call_gradient(remote, NET, PARAMS, X, Y)
    moved = transport_seconds() - before
    assert out.ok and 0 < moved < out.seconds


def test_independent_calls_sent_at_once_answer_as_one_at_a_time_and_the_first_failure_is_raised(tmp_path):
    from conformance.dropin.adapters import gradient_of, gradients_of
    remote = _remote(tmp_path, "batch", """
        import os
        from conformance import implementation
        from conformance.testing import subject
        _g = subject("g", None).gradient
        def gradient(params, X, Y):
            if X[0, 0] > 0.9:
                raise ValueError("this example is refused")
            print("one call")
            return _g(params, X, Y)
        IMPLEMENTATION = implementation("t.batch", gradient=gradient)
        """)
    examples = [(X[:, i:i + 1], Y[:, i:i + 1]) for i in range(3)]
    batched = gradients_of(remote, NET, PARAMS, examples)
    one_by_one = [gradient_of(remote, NET, PARAMS, x, y) for x, y in examples]
    assert all(np.array_equal(a, b) for g, h in zip(batched, one_by_one) for pa, pb in zip(g, h) for a, b in zip(pa, pb))
    refused = examples + [(np.ones((2, 1)), np.zeros((1, 1)))] + examples
    with pytest.raises(Exception, match="this example is refused"):
        gradients_of(remote, NET, PARAMS, refused)
    assert call_gradient(remote, NET, PARAMS, X, Y).ok  # every reply of the batch was read: the worker is in step


def test_an_implementation_past_its_time_for_the_whole_run_fails_every_further_call_at_once(tmp_path):
    from dataclasses import replace
    from conformance.isolation.limits import Limits
    found = discover(_module(tmp_path, "slow", """
        import time
        from conformance import implementation
        from conformance.testing import subject
        _g = subject("g", None).gradient
        def gradient(params, X, Y):
            time.sleep(0.3)
            return _g(params, X, Y)
        IMPLEMENTATION = implementation("t.slow", gradient=gradient)
        """), limits=replace(Limits(), impl_time_limit=1.0))
    outcomes = [call_gradient(found[0], NET, PARAMS, X, Y) for _ in range(6)]
    assert outcomes[0].ok and not outcomes[-1].ok
    assert outcomes[-1].error.category == "timeout" and "used up its 1 s (--impl-time-limit)" in outcomes[-1].error.message
    assert outcomes[-1].seconds < 0.1  # refused at once, the worker no longer asked


def test_a_worker_that_writes_junk_where_frames_go_breaks_the_protocol_and_says_what_it_wrote(tmp_path):
    script = tmp_path / "chatty_worker.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from conformance.isolation import wire
        while True:
            request = wire.read_frame(0)
            if request is None:
                break
            header, _ = request
            if header["op"] == "hello":
                wire.write_all(1, wire.frame({{"id": header["id"], "protocol": 1}}))
            else:
                os.write(1, b"debug: computing the gradient\\n")
        """))
    conventions = tmp_path / "chatty.json"
    conventions.write_text(json.dumps({"name": "t.chatty", "gradient": True}))
    from conformance.isolation.native import command_implementation
    impl = command_implementation(f"{sys.executable} {script}", conventions)
    out = call_gradient(impl, NET, PARAMS, X, Y)
    assert out.error.category == "protocol_error" and "b'debug: computing the gradient" in out.error.message


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML conventions files need tomllib (Python 3.11+)")
def test_a_conventions_file_may_be_toml(tmp_path):
    from conformance.isolation.native import command_implementation
    conventions = tmp_path / "c.toml"
    conventions.write_text('name = "t.toml"\ngradient = true\nsamples = "rows"\nmax_N = 3\n'
                           'known_failures = {"properties." = "not yet"}\n')
    impl = command_implementation(["true"], conventions, verify=False)
    assert (impl.name, impl.conventions.samples, impl.support.max_N) == ("t.toml", "rows", 3)
    assert impl.known_failure("properties.dead_unit").reason == "not yet" and impl.train_step is None


_MEMORY_BUGS = f"""
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    from tests.catalogue.bugs_memory import ENTRIES
    from conformance.testing import backprop
    from conformance import implementation
    IMPLEMENTATIONS = [e.impl for e in ENTRIES] + [implementation("t.correct", gradient=backprop(None))]
    """


def _memory_entries():
    from tests.catalogue.bugs_memory import ENTRIES
    return {e.name: e for e in ENTRIES}


@pytest.mark.parametrize("name", sorted(_memory_entries()) + ["t.correct"])
def test_ownership_and_layouts_are_observed_in_the_worker_where_the_code_runs(tmp_path, name):
    """Aliases through views, buffers a later call overwrites, inputs kept and updated later, code that
    depends on the memory layout it receives: caught and named in a worker as in the checker's process."""
    remote = _remote(tmp_path, "memory_bugs", _MEMORY_BUGS, impl=name)
    assert handle_of(remote) is not None
    entry = _memory_entries().get(name)
    checks = list(entry.expect.checks) if entry else ["interface.ownership", "interface.layouts"]
    report = runner.check_implementation(remote, profile="dev", checks=checks)
    for check in checks:
        verdict = report.verdicts[check]
        if entry is None:
            assert verdict.status == "pass", (check, verdict.message)
            continue
        assert verdict.status == "fail", (check, verdict.status, verdict.message)
        assert verdict.diagnosis is not None and verdict.diagnosis.cause == entry.expect.cause, verdict.message
        if entry.expect.condition:
            assert any(re.search(entry.expect.condition, c) for c in verdict.diagnosis.conditions), (
                verdict.diagnosis.conditions)
