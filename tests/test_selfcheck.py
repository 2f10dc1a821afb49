"""``python -m reference``: every formulation on every document network, as a table
(worst |difference| / error bound, <= 1 agrees); exit status 1 on any disagreement."""
import numpy as np
import pytest

from reference import FORMULATIONS, Network
from reference import selfcheck as sc

DOCUMENT_ARCHITECTURES = {
    "Network([2, 1])", "Network([2, 2, 1])", "Network([2, 4, 3, 1])", "Network([2, 3, 3, 1])",
    "Network([1, 3, 2, 1])", "Network([2, 8, 4, 1])", "Network([2, 16, 8, 4, 1])",
    "Network([3, 4, 4, 2], output='identity')", "Network([1, 1, 1, 1])",
}
COLUMNS = list(FORMULATIONS) + ["finite_differences"]


@pytest.fixture
def rows():
    # function-scoped on purpose: each test calls selfcheck itself (about 0.3 s), so a
    # mutation tool that maps tests to the functions they call sees every one of them
    return sc.selfcheck()


def test_selfcheck_covers_every_architecture_of_the_documents(rows):
    assert {repr(net) for net in sc.DOCUMENT_NETWORKS} == DOCUMENT_ARCHITECTURES
    assert [r["network"] for r in rows] == [repr(net) for net in sc.DOCUMENT_NETWORKS]


def test_every_row_compares_every_formulation_and_finite_differences(rows):
    for r in rows:
        assert set(r) == {"network", *COLUMNS}
        wide = r["network"] != "Network([1, 1, 1, 1])"
        assert (r["scalar"] is None) == wide, r["network"]
        assert r["batched_matrix"] == 0.0, "batched_matrix is the baseline: compared with itself"
        for c in COLUMNS:
            assert r[c] is None or 0.0 <= r[c] <= 1.0, (r["network"], c, r[c])
        assert r["finite_differences"] > 0.0, "finite differences never agree to the last bit"


def test_selfcheck_is_reproducible_from_its_seed(rows):
    assert sc.selfcheck() == rows
    assert sc.selfcheck(seed=1) != rows


def test_main_prints_an_aligned_table_and_exits_0_when_all_agree(capsys):
    assert sc.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("worst |difference| / error bound against batched_matrix")
    header, body, verdict = lines[1], lines[2:-1], lines[-1]
    assert header.split() == ["network", *COLUMNS]
    assert [line.split("  ")[0].strip() for line in body] == [repr(net) for net in sc.DOCUMENT_NETWORKS]
    assert verdict == "all formulations agree"
    # one column per formulation, right-aligned under its name: every line is as wide as the header
    assert all(len(line) == len(header) for line in body)
    for line in body:
        cells = _cells(header, line)
        assert all(cell == ["n/a"] or (cell[1] == "ok" and 0 <= float(cell[0]) <= 1) for cell in cells.values())
        assert (cells["scalar"] == ["n/a"]) == (not line.startswith("Network([1, 1, 1, 1])"))


def _cells(header, line):
    """{column: [value, verdict] or ["n/a"]}: each column's 18 characters ending under its name."""
    ends = {c: header.index(c) + len(c) for c in COLUMNS}
    return {c: line[end - 18:end].split() for c, end in ends.items()}


def test_main_exits_1_and_marks_the_failing_cell_when_a_formulation_disagrees(monkeypatch, capsys):
    real = sc.gradients

    def one_entry_off(net, params, X, Y, formulation="batched_matrix"):
        grads = real(net, params, X, Y, formulation=formulation)
        if formulation == "per_sample":
            grads[0][0][0, 0] += 1e-6      # far beyond the float64 error bound, in one entry only
        return grads

    monkeypatch.setattr(sc, "gradients", one_entry_off)
    assert sc.main() == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "DISAGREEMENT: see FAIL cells"
    for line in lines[2:-1]:
        cells = _cells(lines[1], line)
        assert [c for c, cell in cells.items() if cell[-1] == "FAIL"] == ["per_sample"], line
        assert float(cells["per_sample"][0]) > 1.0
        assert all(float(cell[0]) <= 1.0 for c, cell in cells.items() if cell[-1] == "ok")


def test_a_row_is_worst_difference_over_the_pair_bound_on_seeded_data():
    """Row k uses default_rng([seed, k]): He parameters, X standard normal and Y uniform
    with N = 5 samples.  A formulation's cell divides by the bound for the pair, twice
    the float64 bound; the finite-differences cell by that plus the Richardson estimate."""
    from reference import gradients
    from reference.error_model import gradient_error_bound
    from reference.finite_differences import numerical_gradient_with_error
    from reference.params import flatten
    rows = sc.selfcheck()
    for k, net in enumerate(sc.DOCUMENT_NETWORKS):
        rng = np.random.default_rng([0, k])
        params = net.init(rng)
        X, Y = rng.standard_normal((net.n(0), 5)), rng.random((net.n(net.L), 5))
        base = flatten(gradients(net, params, X, Y, formulation="batched_matrix"))
        pair = 2 * flatten(gradient_error_bound(net, params, X, Y))
        fd, fd_err = (flatten(p) for p in numerical_gradient_with_error(net, params, X, Y))
        for name in ("per_neuron", "per_sample", "batched_tensor"):
            got = flatten(gradients(net, params, X, Y, formulation=name))
            assert rows[k][name] == np.max(np.abs(got - base) / pair), (repr(net), name)
        assert rows[k]["finite_differences"] == np.max(np.abs(base - fd) / (fd_err + pair)), repr(net)


@pytest.mark.parametrize("ratio, verdict, status", [(1.0, "ok", 0), (1.5, "FAIL", 1)])
def test_a_ratio_of_exactly_one_agrees_and_anything_above_fails(monkeypatch, capsys, ratio, verdict, status):
    row = {"network": "Network([2, 1])", **{c: 0.0 for c in COLUMNS}, "scalar": None, "per_sample": ratio}
    monkeypatch.setattr(sc, "selfcheck", lambda: [row])
    assert sc.main() == status
    lines = capsys.readouterr().out.splitlines()
    assert _cells(lines[1], lines[2])["per_sample"] == [f"{ratio:.2e}", verdict]


def test_the_ratio_is_the_worst_entry_of_difference_over_bound():
    got = [(np.array([[1.0, 2.0]]), np.array([0.0]))]
    expected = [(np.array([[1.5, 2.0]]), np.array([0.25]))]
    bound = [(np.array([[1.0, 1.0]]), np.array([0.125]))]
    assert sc._ratio(got, expected, bound) == 2.0
