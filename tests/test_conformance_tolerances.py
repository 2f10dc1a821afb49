"""Tolerances from the error model: no false alarms on correct code, tight enough to catch small errors;
strategies stay inside the declared support; reports round-trip."""
import numpy as np
import pytest
from hypothesis import given, settings

from conformance.core.calls import call_gradient
from conformance.dropin.protocol import Support
from conformance.run.report import FamilySummary, ImplementationReport, Verdict, format_table
from conformance.diagnosis.causes import Diagnosis
from conformance.core.strategies import problems_in
from conformance.testing import subject
from conformance.core.tolerances import agreement_tolerance
from reference import Network, gradients
from reference.params import flatten


def _random_problem(rng, scale):
    sizes = [int(n) for n in rng.integers(1, 5, size=rng.integers(2, 5))]
    net = Network(sizes)
    params = [(rng.uniform(-scale, scale, net.weight_shape(l)), rng.uniform(-scale, scale, net.bias_shape(l)))
              for l in range(1, net.L + 1)]
    N = int(rng.integers(1, 6))
    return net, params, rng.uniform(-3, 3, (sizes[0], N)), rng.uniform(0, 1, (sizes[-1], N))


def _rounded(arrays, dtype):
    return [(W.astype(dtype).astype(np.float64), b.astype(dtype).astype(np.float64)) for W, b in arrays]


def _tanh_gradient(params, X, Y):
    """Correct code with sigma(z) = (1 + tanh(z/2)) / 2: absolute, not relative, accuracy."""
    acts = [X]
    for W, b in params:
        acts.append(0.5 * (1 + np.tanh(0.5 * (W @ acts[-1] + b[:, None]))))
    delta, out = (acts[-1] - Y) * acts[-1] * (1 - acts[-1]) / X.shape[1], [None] * len(params)
    for l in range(len(params), 0, -1):
        if l < len(params):
            delta = (params[l][0].T @ delta) * acts[l] * (1 - acts[l])
        out[l - 1] = (delta @ acts[l - 1].T, delta.sum(axis=1))
    return out


@pytest.mark.parametrize("name, dtype, step", [("float64", "float64", False), ("float32", "float32", False),
                                               ("float32 step", "float32", True), ("tanh", "float64", None)])
def test_correct_code_never_exceeds_the_tolerance_even_when_saturated(name, dtype, step):
    from conformance.dropin.protocol import implementation
    impl = implementation("tanh", gradient=_tanh_gradient) if step is None else \
        subject(name, None, dtype=dtype, step=step)
    rng = np.random.default_rng(7)
    for trial in range(300):
        net, params, X, Y = _random_problem(rng, scale=(0.1, 1.0, 10.0, 60.0)[trial % 4])
        params, X, Y = _rounded(params, dtype), *(_rounded([(X, Y)], dtype)[0])
        out = call_gradient(impl, net, params, X, Y)
        expected = gradients(net, params, X, Y)
        tol = agreement_tolerance(net, params, X, Y, dtype=np.dtype(dtype), expected=expected, recovery=out.recovery)
        for (gW, gb), (eW, eb), (tW, tb) in zip(out.grads, expected, tol):
            assert np.all(np.abs(gW - eW) <= tW) and np.all(np.abs(gb - eb) <= tb), (trial, net)


def test_a_small_error_in_one_entry_exceeds_the_tolerance():
    rng = np.random.default_rng(3)
    caught = 0
    for _ in range(100):
        net, params, X, Y = _random_problem(rng, scale=1.0)
        expected = gradients(net, params, X, Y)
        tol = agreement_tolerance(net, params, X, Y, dtype=np.float64, expected=expected)
        flat, bound = flatten(expected), flatten(tol)
        i = int(np.argmax(np.abs(flat)))
        caught += bool(abs(1e-6 * flat[i]) > bound[i])
    assert caught == 100


def test_a_float32_tolerance_is_wider_than_a_float64_one_by_about_u32_over_u64():
    net, params, X, Y = _random_problem(np.random.default_rng(1), scale=1.0)
    expected = gradients(net, params, X, Y)
    t64 = flatten(agreement_tolerance(net, params, X, Y, dtype=np.float64, expected=expected))
    t32 = flatten(agreement_tolerance(net, params, X, Y, dtype=np.float32, expected=expected))
    assert np.all(t32 > 1e6 * t64)


SUPPORTS = [Support(max_depth=2, max_width=3, max_N=4), Support(min_width=2, max_width=4, min_N=2, max_N=3),
            Support(layer_sizes=((2, 3, 1), (1, 1, 1, 1)), max_N=2), Support(max_width=1, outputs=("identity",))]


@pytest.mark.parametrize("support", SUPPORTS)
def test_strategies_draw_only_inside_the_declared_support(support):
    @settings(max_examples=40, deadline=None, database=None)
    @given(problems_in(support))
    def inside(p):
        assert support.covers(p.net, p.X.shape[1])
        assert p.X.shape == (p.net.n(0), p.X.shape[1]) and p.Y.shape == (p.net.n(p.net.L), p.X.shape[1])
    inside()


@settings(max_examples=30, deadline=None, database=None)
@given(problems_in(Support(max_width=5), max_params=20, hidden_width_at_least=2))
def test_strategy_bounds_on_parameter_count_and_hidden_width(p):
    assert p.net.n_params <= 20 and any(n >= 2 for n in p.net.layer_sizes[1:-1])


def test_strategies_return_none_when_nothing_fits():
    assert problems_in(Support(max_depth=1), hidden_width_at_least=2) is None
    assert problems_in(Support(min_N=3, max_N=4), max_N=2) is None


def test_table_cells_and_json_round_trip():
    diag = Diagnosis(layer=2, param="b", index=(1,), expected=0.5, got=1.0, cause="summed_not_averaged", factor=2.0)
    verdicts = {"reference.agreement": Verdict("reference.agreement", "fail", "msg", diag),
                "interface.shapes": Verdict("interface.shapes", "pass"),
                "interface.dtype": Verdict("interface.dtype", "xfail", reason="known"),
                "symbolic.vectors": Verdict("symbolic.vectors", "skip")}
    report = ImplementationReport("impl", verdicts)
    assert not report.ok
    assert report.families["interface"].cell() == "xfail 1/2" and report.families["symbolic"].cell() == "skip 1"
    assert report.families["reference"].cell() == "FAIL 1/1"
    table = format_table([report])
    assert table.splitlines()[0].split()[:6] == ["implementation", "interface", "reference", "symbolic",
                                                 "finite_differences", "properties"]
    back = Verdict.from_dict(verdicts["reference.agreement"].to_dict())
    assert back.diagnosis == diag and back.status == "fail"
    assert FamilySummary({"pass": 3}).cell() == "ok 3" and FamilySummary({"xpass": 1, "pass": 1}).cell() == "XPASS 1/2"
