"""Bad input is refused with a ValueError (TypeError for a bad seed) that names the
argument, what was expected and what was given (CONTRIBUTING, rule 8)."""
import numpy as np
import pytest

from reference import Network, forward, gradients

NET = Network([2, 3, 1])


def _good(N=4):
    rng = np.random.default_rng(0)
    return NET.init(rng), rng.standard_normal((2, N)), rng.random((1, N))


def test_a_net_that_is_not_a_network_is_refused_naming_the_type_given():
    params, X, Y = _good()
    with pytest.raises(ValueError, match=r"net must be a reference\.Network, got list"):
        gradients([2, 3, 1], params, X, Y)


def test_a_seed_that_is_not_a_generator_or_integer_is_refused_naming_its_type():
    with pytest.raises(TypeError, match=r"Generator or an integer seed, got str"):
        NET.init("7")
    with pytest.raises(TypeError, match=r"got bool"):
        NET.init(True)


def test_missing_inputs_say_that_none_was_given():
    params, _, Y = _good()
    with pytest.raises(ValueError, match=r"X has shape None; expected \(2, N\) with N >= 1"):
        gradients(NET, params, None, Y)
    with pytest.raises(ValueError, match=r"X has shape None"):
        forward(NET, params, None)


def test_a_y_that_does_not_match_x_says_n_was_taken_from_the_columns_of_x():
    """Y's expected (n_L, N) is derived from X: the message says so, with the network."""
    params, X, _ = _good(N=4)
    with pytest.raises(ValueError) as info:
        gradients(NET, params, X, np.zeros((4, 1)))
    msg = str(info.value)
    assert "Y has shape (4, 1); expected (1, 4)" in msg
    assert "N = 4 samples as columns" in msg and repr(NET) in msg


def test_an_activation_index_beyond_the_output_layer_is_refused_naming_the_range():
    params, X, _ = _good()
    fp = forward(NET, params, X)
    for l in (NET.L + 1, -1):
        with pytest.raises(ValueError, match=rf"a\^{l} does not exist: layers are 0\.\.{NET.L}$"):
            fp.a(l)
    with pytest.raises(ValueError, match=rf"z\^{NET.L + 1} does not exist: layers are 1\.\.{NET.L}$"):
        fp.z(NET.L + 1)


def test_check_array_says_for_what_only_when_given_a_context():
    from reference.validation import check_array
    with pytest.raises(ValueError) as info:
        check_array("v", None, (2,))
    assert str(info.value) == "v is None; expected an array of shape (2,)"
    with pytest.raises(ValueError) as info:
        check_array("v", np.zeros(3), (2,), "layer 1")
    assert str(info.value) == "v has shape (3,); expected (2,) for layer 1"


def test_lower_precision_floats_are_accepted_and_converted_to_float64():
    params, X, Y = _good()
    params32 = [(W.astype(np.float32), b.astype(np.float16)) for W, b in params]
    grads = gradients(NET, params32, X.astype(np.float32), Y.astype(np.float32))
    assert all(gW.dtype == np.float64 and gb.dtype == np.float64 for gW, gb in grads)


def test_checked_float64_parameters_are_the_callers_arrays_not_copies():
    """check_params returns a copy-free view: no parameter array is duplicated."""
    from reference.validation import check_params
    params, _, _ = _good()
    for (W, b), (cW, cb) in zip(params, check_params(NET, params)):
        assert cW is W and cb is b


def test_a_misshapen_parameter_is_named_by_layer_and_position_in_params():
    params, X, Y = _good()
    bad = [params[0], (params[1][0], np.zeros(2))]
    with pytest.raises(ValueError) as info:
        gradients(NET, bad, X, Y)
    assert str(info.value) == ("b^2 (params[1][1]) has shape (2,); expected (1,) "
                               "for Network([2, 3, 1]): b^l is (n_l,)")
    bad = [(params[0][0].T, params[0][1]), params[1]]
    with pytest.raises(ValueError) as info:
        gradients(NET, bad, X, Y)
    assert str(info.value) == ("W^1 (params[0][0]) has shape (2, 3); expected (3, 2) "
                               "for Network([2, 3, 1]): W^l is (n_l, n_(l-1))")


def test_something_that_is_not_a_pair_is_refused_naming_its_position_and_type():
    params, X, Y = _good()
    with pytest.raises(ValueError, match=r"^params\[1\] \(layer 2\) must be a \(W, b\) pair, got ndarray$"):
        gradients(NET, [params[0], params[1][0]], X, Y)
    with pytest.raises(ValueError, match=r"^params\[0\] \(layer 1\) must be a \(W, b\) pair, got tuple$"):
        gradients(NET, [(*params[0], np.zeros(3)), params[1]], X, Y)
    with pytest.raises(ValueError, match=r"^params must be a list of \(W, b\) pairs, got ndarray$"):
        gradients(NET, np.zeros(13), X, Y)


def test_wrong_input_count_says_how_many_inputs_the_network_has():
    params, _, Y = _good()
    with pytest.raises(ValueError) as info:
        gradients(NET, params, np.zeros((3, 4)), Y)
    assert str(info.value) == ("X has shape (3, 4); expected (2, N) with N >= 1 "
                               "(n_0 = 2 inputs, samples as columns) for Network([2, 3, 1])")


def test_a_non_finite_input_is_named_with_its_index_and_the_network():
    params, X, Y = _good()
    X[0, 3] = np.inf
    with pytest.raises(ValueError) as info:
        gradients(NET, params, X, Y)
    assert str(info.value) == "X has a non-finite value inf at index (0, 3) for Network([2, 3, 1])"


def test_a_layer_index_out_of_range_is_refused_naming_the_range_and_the_network():
    with pytest.raises(ValueError, match=r"^layer 3 out of range 0\.\.2 for Network\(\[2, 3, 1\]\)$"):
        NET.n(3)
