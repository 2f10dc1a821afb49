"""Reproducers: a standalone script that rebuilds the failing example exactly and calls the user's own function.

The script is written flush-left, imports the implementation by the absolute path
(or module name) discovery found it at, and runs as pasted into ``python`` or as
a file from any folder.  It first calls the implementation with the failing
example **in the implementation's own conventions** (its shapes, its orientation
of W, its bias shape, its dtype) and compares the result with what the reference
expects in that same layout, entry by entry.  A second part rebuilds the example in
the reference conventions for the check-specific lines (``extra``), which use the
names ``impl``, ``net``, ``params``, ``X``, ``Y`` and ``got``.

Every float is written with ``repr`` (shortest round-trip form): the arrays rebuilt
are bit-for-bit those of the failing example.  Examples with more than
``INLINE_LIMIT`` numbers are not printed inline; ``write_reproducer`` stores them
beside the script in an ``.npz`` file instead.
A drop-in in another language (``--impl-cmd``) is started again by the script
(``conformance.isolation.native.command_implementation``); a Python implementation
is loaded into the script's own process, so a debugger reaches it.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Iterable, List, Optional

import numpy as np

from conformance.core.strategies import Problem
from conformance.core.tolerances import agreement_tolerance
from conformance.dropin.adapters import ETA, loss_factor, native_shapes, to_native
from conformance.dropin.protocol import Conventions, Implementation
from conformance.isolation.remote import handle_of
from reference.gradients import gradients
from reference.network import Network

__all__ = ["INLINE_LIMIT", "array_code", "problem_code", "problem_dict", "problem_from_dict", "rerun_command",
           "reproducer", "write_reproducer", "ladder_source"]

#: Examples with more numbers than this are stored in an .npz file, not printed.
INLINE_LIMIT = 4000


def array_code(arr) -> str:
    """'np.array([[0.5, -1.25]])': exact, via repr of Python floats."""
    return f"np.array({np.asarray(arr, dtype=np.float64).tolist()!r})"


def problem_code(p: Problem) -> str:
    """Python statements defining ``net``, ``params``, ``X`` and ``Y`` exactly (reference conventions)."""
    pairs = ",\n    ".join(f"({array_code(W)}, {array_code(b)})" for W, b in p.params)
    return (f"net = {p.net!r}\n"
            f"params = [\n    {pairs},\n]\n"
            f"X = {array_code(p.X)}\n"
            f"Y = {array_code(p.Y)}")


def problem_dict(p: Problem) -> dict:
    """The example as JSON-ready lists of exact floats (a float's repr round-trips through JSON)."""
    net = p.net
    return {"layer_sizes": list(net.layer_sizes), "output": net.output, "hidden": net.hidden, "loss": net.loss,
            "l2": net.l2, "l2_bias": net.l2_bias, "bias": net.bias, "slope": net.slope,
            "params": [[np.asarray(W, dtype=np.float64).tolist(), np.asarray(b, dtype=np.float64).tolist()]
                       for W, b in p.params],
            "X": np.asarray(p.X, dtype=np.float64).tolist(), "Y": np.asarray(p.Y, dtype=np.float64).tolist()}


def problem_from_dict(d: dict) -> Problem:
    """The inverse of ``problem_dict``."""
    model = {key: d[key] for key in ("hidden", "loss", "l2", "l2_bias", "bias", "slope") if key in d}
    net = Network(d["layer_sizes"], output=d.get("output", "sigmoid"), **model)
    params = [(np.array(W, dtype=np.float64).reshape(net.weight_shape(l)),
               np.array(b, dtype=np.float64).reshape(net.bias_shape(l)))
              for l, (W, b) in enumerate(d["params"], start=1)]
    X = np.array(d["X"], dtype=np.float64).reshape(net.n(0), -1)
    return Problem(net, params, X, np.array(d["Y"], dtype=np.float64).reshape(net.n(net.L), -1))


def size_of(p: Problem) -> int:
    """How many numbers the example holds (parameters and batch)."""
    return sum(np.size(W) + np.size(b) for W, b in p.params) + np.size(p.X) + np.size(p.Y)


def rerun_command(impl: Implementation, check: str, *, seed: int, profile: str) -> str:
    """One command that reruns just ``check`` on just ``impl`` with the seed that found the failure
    ("" for an implementation discovery did not load: there is nothing to name on a command line)."""
    if not impl.source:
        return ""
    source = impl.source
    target = f"{source}::{impl.name}" if impl.source and impl.source != "conformance.builtin" else impl.name
    return f"backprop-conformance '{target}' --checks {check} --seed {seed} --profile {profile}"


def _load_code(impl: Implementation) -> str:
    handle = handle_of(impl)
    if handle is not None and handle.launch.command:
        return ("from conformance.isolation.native import command_implementation\n"
                f"impl = command_implementation({shlex.join(handle.launch.command)!r}, {impl.source!r})")
    if impl.source and impl.source != "conformance.builtin":
        return f"impl = load_implementation({impl.source!r}, {impl.name!r})"
    if impl.source == "conformance.builtin":
        return (f"impl = next(i for i in load_implementations('@examples') if i.name == {impl.name!r})")
    return (f"impl = ...  # the Implementation object named {impl.name!r} (it was not loaded by discovery;"
            " replace with your own import)")


def _conventions_words(conv: Conventions) -> str:
    return (f"samples as {conv.samples}, W stored {'(out, in)' if conv.weights == 'out_in' else '(in, out)'}, "
            f"bias {conv.bias}, {conv.layout} layout, {conv.dtype}, {conv.reduction} over the batch, "
            f"loss {conv.loss}")


def _native_tree_code(conv: Conventions, net: Network, native, dtype: str) -> str:
    """The native list literally, one array per line with a comment naming it."""
    def arr(a):
        code = array_code(a)
        return code if dtype == "float64" else code[:-1] + f", dtype=np.{dtype})"
    labels = [f"layer {l}: {name} {shape}" for l, name, shape in native_shapes(conv, net)]
    if conv.layout == "flat" or conv.bias in ("folded", "none"):
        items = [f"    {arr(a)},  # {label}" for a, label in zip(native, labels)]
    else:
        items = [f"    ({arr(W)}, {arr(b)}),  # {labels[2 * i]}, {labels[2 * i + 1].split(': ', 1)[1]}"
                 for i, (W, b) in enumerate(native)]
    return "[\n" + "\n".join(items) + "\n]"


def _leaves(native) -> list:
    """The arrays of a native list of (W, b) pairs or of arrays, in order."""
    return [a for item in native for a in (item if isinstance(item, (tuple, list)) else (item,))]


def _paths(conv: Conventions, net: Network, root: str) -> List[str]:
    if conv.layout == "flat" or conv.bias in ("folded", "none"):
        return [f"{root}[{i}]" for i in range(len(native_shapes(conv, net)))]
    return [f"{root}[{l}][{j}]" for l in range(net.L) for j in (0, 1)]


#: What a reproducer prints when the implementation raises: the traceback is the failure reproduced.
_RAISED = '''except Exception:
    import traceback
    traceback.print_exc()
    print("^ your function raised this on the example above: that is the failure the check reports")
    got_native = None'''

_LEAVES = '''def leaves(tree):
    """The arrays of a (nested) list, in order."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [np.asarray(tree, dtype=np.float64)]'''

_COMPARE = _LEAVES + '''


for path, g, e, t in zip(PATHS, leaves(got_native) if got_native is not None else [], leaves(expected_native),
                         TOLERANCE):
    if g.shape != e.shape:
        print(f"{path}: shape {g.shape}, expected {e.shape}")
        continue
    wrong = np.argwhere(~(np.abs(g - e) <= t))
    if wrong.size == 0:
        print(f"{path}: right (max |got - expected| = {np.max(np.abs(g - e), initial=0.0):.3g})")
        continue
    i = tuple(int(k) for k in wrong[0])
    print(f"{path}: {len(wrong)} of {e.size} entries wrong; first {list(i)}: expected {float(e[i])!r}, got {float(g[i])!r}")
    if e.size > 64:
        k = tuple(int(j) for j in np.unravel_index(np.argmax(np.abs(g - e)), e.shape))
        print(f"    the largest difference at {list(k)}: expected {float(e[k])!r}, got {float(g[k])!r}")'''


def _keywords(impl: Implementation, net) -> str:
    """The keyword arguments of a call on ``net`` as source text: ', output='softmax', hidden='relu''."""
    return "".join(f", {key}={value!r}" for key, value in impl.keywords(net).items())


def _native_part(impl: Implementation, p: Problem, eta: float, arrays: str) -> List[str]:
    """The call in the implementation's own conventions and the entry-by-entry comparison."""
    conv, net = impl.conventions, p.net
    expected = gradients(net, p.params, p.X, p.Y)
    N = p.X.shape[1]
    k = loss_factor(conv, net, N)
    exp64 = Conventions(**{**conv.__dict__, "dtype": "float64"})
    kwargs = _keywords(impl, net)
    tol = agreement_tolerance(net, p.params, p.X, p.Y, dtype=np.dtype(conv.dtype), expected=expected)
    if impl.train_step is not None:
        after = [(W - eta * k * dW, b - eta * k * db) for (W, b), (dW, db) in zip(p.params, expected)]
        expected_native = to_native(exp64, net, after, p.X, p.Y)[0]
        tol_native = to_native(exp64, net, [(eta * k * tW, eta * k * tb) for tW, tb in tol], p.X, p.Y)[0]
        call = [f"eta = {eta!r}",
                "try:",
                f"    result = impl.train_step(your_params, your_X, your_Y, eta{kwargs})",
                "    got_native = your_params if result is None else result   # after one step",
                _RAISED,
                "# What the reference expects after that step: theta - eta x k x dC/dtheta"
                f" (k = {k!r} for your conventions), in your layout:"]
        root = "params"
    else:
        expected_native = to_native(exp64, net, [(k * W, k * b) for W, b in expected], p.X, p.Y)[0]
        tol_native = to_native(exp64, net, [(k * tW, k * tb) for tW, tb in tol], p.X, p.Y)[0]
        call = ["try:",
                f"    got_native = impl.gradient(your_params, your_X, your_Y{kwargs})",
                _RAISED,
                f"# What the reference expects (k = {k!r} times its gradient for your conventions), in your layout:"]
        root = "grads"
    flat_tol = [float(np.max(a, initial=0.0)) for a in _leaves(tol_native)]
    if arrays == "npz":
        call.append("expected_native = [data[f'expected_{i}'] for i in range(len(PATHS))]")
    else:
        call.append(f"expected_native = {_native_tree_code(exp64, net, expected_native, 'float64')}")
    return call + [f"PATHS = {_paths(conv, net, root)!r}",
                   f"TOLERANCE = {flat_tol!r}  # the error model's bound, largest entry per array", "", _COMPARE]


def _native_inputs(impl: Implementation, p: Problem, arrays: str) -> List[str]:
    conv, net = impl.conventions, p.net
    native, Xn, Yn = to_native(impl, net, p.params, p.X, p.Y)
    if arrays == "npz":
        n = len(native_shapes(conv, net))
        tree = "[data[f'param_{i}'] for i in range(%d)]" % n
        if not (conv.layout == "flat" or conv.bias in ("folded", "none")):
            tree = "[(data[f'param_{2 * i}'], data[f'param_{2 * i + 1}']) for i in range(%d)]" % net.L
        return [f"your_params = {tree}", "your_X, your_Y = data['X'], data['Y']"]
    dt = conv.dtype
    x = array_code(Xn) if dt == "float64" else array_code(Xn)[:-1] + f", dtype=np.{dt})"
    y = array_code(Yn) if dt == "float64" else array_code(Yn)[:-1] + f", dtype=np.{dt})"
    return [f"your_params = {_native_tree_code(conv, net, native, dt)}",
            f"your_X = {x}  # {Xn.shape}", f"your_Y = {y}  # {Yn.shape}"]


def _source_part(impl: Implementation, p: Problem, eta: float, source: str) -> List[str]:
    """The problem rebuilt by ``source`` (reference conventions), translated in the script to the
    implementation's conventions, its function called, and the comparison in its layout."""
    conv = impl.conventions
    kwargs = _keywords(impl, p.net)
    step = impl.train_step is not None
    call = (["try:", f"    result = impl.train_step(your_params, your_X, your_Y, {eta!r}{kwargs})",
             "    got_native = your_params if result is None else result   # after one step", _RAISED]
            if step else
            ["try:", f"    got_native = impl.gradient(your_params, your_X, your_Y{kwargs})", _RAISED])
    target = (f"[(W - {eta!r} * k * dW, b - {eta!r} * k * db) for (W, b), (dW, db) in zip(params, expected)]"
              if step else "[(k * W, k * b) for W, b in expected]")
    scale = f"{eta!r} * k" if step else "k"
    return (["from reference import Network, gradients", "from conformance.dropin.adapters import gradient_of",
             source, "",
             "# The same problem in your conventions, and your function called on it:",
             "from conformance.core.tolerances import agreement_tolerance",
             "from conformance.dropin.adapters import loss_factor, to_native",
             "from conformance.dropin.protocol import Conventions",
             "your_params, your_X, your_Y = to_native(impl, net, params, X, Y)"] + call +
            ["expected = gradients(net, params, X, Y)",
             "k = loss_factor(impl.conventions, net, X.shape[1])",
             "exp64 = Conventions(**{**impl.conventions.__dict__, 'dtype': 'float64'})",
             f"expected_native = to_native(exp64, net, {target}, X, Y)[0]",
             f"tol = agreement_tolerance(net, params, X, Y, dtype=np.dtype({conv.dtype!r}), expected=expected)",
             _LEAVES,
             f"TOLERANCE = [float(np.max(a, initial=0.0)) for a in leaves(to_native(exp64, net, "
             f"[({scale} * tW, {scale} * tb) for tW, tb in tol], X, Y)[0])]",
             f"PATHS = {_paths(conv, p.net, 'params' if step else 'grads')!r}", "",
             _COMPARE[len(_LEAVES):].lstrip("\n")])


def reproducer(impl: Implementation, check: str, p: Problem, *, eta: float = ETA, extra: Iterable[str] = (),
               seed: Optional[int] = None, profile: str = "ci", arrays: str = "inline",
               source: Optional[str] = None) -> str:
    """The reproducer script for ``impl`` failing ``check`` on ``p`` (flush-left; runs as pasted).

    ``arrays="npz"`` reads the arrays from ``data`` (``np.load`` of the file ``write_reproducer`` stores);
    ``source`` is code defining ``net``, ``params``, ``X`` and ``Y`` (the reference conventions) in place of
    the arrays written out: the size ladder rebuilds its large problems from a seed (``ladder_source``).
    """
    if source is not None:
        arrays = "source"
    elif arrays == "inline" and size_of(p) > INLINE_LIMIT:
        arrays = "omitted"
    head = [f"# Reproduces: {impl.name} :: {check} on {p.describe()}",
            f"# Your conventions: {_conventions_words(impl.conventions)}."]
    if seed is not None and rerun_command(impl, check, seed=seed, profile=profile):
        head.append(f"# Rerun just this check: {rerun_command(impl, check, seed=seed, profile=profile)}")
    head += ["import numpy as np", "from conformance.dropin.discovery import load_implementation, load_implementations",
             "", _load_code(impl)]
    if arrays == "omitted":
        return "\n".join(head + [f"# The example holds {size_of(p)} numbers, too many to print: run with "
                                 "--repro-dir DIR to get this script with its arrays in an .npz file."])
    if arrays == "source":
        lines = head + [""] + _source_part(impl, p, eta, source)
        lines += ["", "# In the reference conventions (samples as columns, W (out, in)):",
                  "from conformance.dropin.adapters import gradient_of"] + _reference_call(eta)
        return _with_extra(lines, extra)
    if arrays == "npz":
        head.append("data = np.load(__file__.rsplit('.', 1)[0] + '.npz')")
    lines = head + ["", "# The failing example in your conventions, and your function called on it:"]
    lines += _native_inputs(impl, p, arrays) + _native_part(impl, p, eta, arrays)
    lines += ["", "# The same example in the reference conventions (samples as columns, W (out, in)):",
              "from reference import Network, gradients", "from conformance.dropin.adapters import gradient_of"]
    if arrays == "npz":
        lines += [f"net = {p.net!r}",
                  "params = [(data[f'W{l}'], data[f'b{l}']) for l in range(1, net.L + 1)]",
                  "X, Y = data['ref_X'], data['ref_Y']"]
    else:
        lines.append(problem_code(p))
    lines += ["expected = gradients(net, params, X, Y)"] + _reference_call(eta)
    return _with_extra(lines, extra)


def _reference_call(eta: float) -> List[str]:
    return ["try:",
            f"    got = gradient_of(impl, net, params, X, Y, eta={eta!r})",
            "except Exception as exc:",
            "    got = None",
            "    print(f'(called in the reference conventions it raises too: {type(exc).__name__}: {exc})')"]


def _with_extra(lines: List[str], extra: Iterable[str]) -> str:
    """The check-specific lines, run only when the call in the reference conventions returned."""
    extra = list(extra)
    if extra:
        lines = lines + ["if got is not None:  # what this check compares"] + ["    " + line for line in extra]
    return "\n".join(lines) + "\n"


def write_reproducer(path: Path, impl: Implementation, check: str, p: Problem, **kwargs) -> Path:
    """Write the reproducer to ``path`` (a .py file); a large example's arrays go to ``path`` with .npz."""
    path = Path(path)
    large = size_of(p) > INLINE_LIMIT
    if large:
        native, Xn, Yn = to_native(impl, p.net, p.params, p.X, p.Y)
        leaves = _leaves(native)
        conv = impl.conventions
        exp64 = Conventions(**{**conv.__dict__, "dtype": "float64"})
        expected = gradients(p.net, p.params, p.X, p.Y)
        k = loss_factor(conv, p.net, p.X.shape[1])
        eta = kwargs.get("eta", ETA)
        target = [(W - eta * k * dW, b - eta * k * db) for (W, b), (dW, db) in zip(p.params, expected)] \
            if impl.train_step is not None else [(k * W, k * b) for W, b in expected]
        exp_native = to_native(exp64, p.net, target, p.X, p.Y)[0]
        exp_leaves = _leaves(exp_native)
        arrays = {f"param_{i}": a for i, a in enumerate(leaves)}
        arrays.update({f"expected_{i}": a for i, a in enumerate(exp_leaves)})
        arrays.update({f"W{l}": W for l, (W, _) in enumerate(p.params, start=1)})
        arrays.update({f"b{l}": b for l, (_, b) in enumerate(p.params, start=1)})
        np.savez(path.with_suffix(".npz"), X=Xn, Y=Yn, ref_X=p.X, ref_Y=p.Y, **arrays)
    path.write_text(reproducer(impl, check, p, arrays="npz" if large else "inline", **kwargs))
    return path


def ladder_source(p: Problem, seed: int, dtype) -> str:
    """Code rebuilding a size-ladder problem from its seed (``conformance.checks.sizes.sized_problem``)."""
    return ("from conformance.checks.sizes import sized_problem\n"
            "from conformance.core.context import round_problem\n"
            f"net, params, X, Y = round_problem(sized_problem({p.net!r}, "
            f"{p.X.shape[1]}, seed={seed}), {np.dtype(dtype).name!r})")
