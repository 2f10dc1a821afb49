"""The wire protocol's frames and values (docs/WIRE.md), and ``invoke``, the one function that calls user code."""
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from conformance.isolation import wire
from conformance.isolation.invoke import (BoundedText, CallTimeout, current_deadline, invoke, replay_output, suspended,
                                          truncation, with_note)
from conformance.isolation.limits import Limits, parse_memory

ROOT = Path(__file__).resolve().parent.parent


def _round_trip(arrays):
    header, got, used = wire.parse(wire.frame({"op": "x"}, arrays))
    return header, got


def test_a_frame_carries_arrays_of_every_dtype_order_and_shape_exactly():
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    arrays = [base, np.asfortranarray(base.astype(np.float32)), np.array(7, dtype=np.int64),
              np.array([True, False]), np.zeros((0, 3)), base[:, ::2], base.astype(">f8")]
    header, got = _round_trip(arrays)
    assert [m[2] for m in header["arrays"]] == ["C", "F", "C", "C", "C", "C", "C"]
    for sent, came in zip(arrays, got):
        assert came.shape == sent.shape and np.array_equal(came, sent)
        assert came.dtype == sent.dtype.newbyteorder("<") and came.flags.writeable and came.flags.owndata
    assert got[1].flags.f_contiguous and not got[1].flags.c_contiguous


def test_values_keep_their_structure_and_what_has_no_array_form_is_named():
    class Tensorish:
        def __array__(self, dtype=None, copy=None):
            return np.ones((2, 2))
    arrays = []
    value = [(np.ones(2), None), {"k": 1.5}, float("nan"), -float("inf"), "text", True, 3, np.float32(2.5),
             Tensorish(), object(), np.array(["a", "b"], dtype=object)]
    tree = wire.to_tree(value, arrays)
    _, got = _round_trip(arrays)
    back = wire.from_tree(tree, got)
    assert isinstance(back[0], tuple) and np.array_equal(back[0][0], np.ones(2)) and back[0][1] is None
    assert back[1] == {"k": 1.5} and np.isnan(back[2]) and back[3] == -np.inf and back[4:7] == ["text", True, 3]
    assert back[7].dtype == np.float32 and back[7].shape == () and np.array_equal(back[8], np.ones((2, 2)))
    assert isinstance(back[9], wire.Opaque) and back[9].type_name == "object" and "object at" in repr(back[9])
    assert back[10].dtype == object and back[10].shape == (2,)


def test_an_input_returned_as_it_came_is_the_callers_own_array_again():
    inputs = [np.ones(3), np.zeros(2)]
    arrays = []
    tree = wire.to_tree([inputs[1], np.ones(1)], arrays, inputs)
    assert tree[0] == {"$input": 1} and len(arrays) == 1
    assert wire.from_tree(tree, arrays, inputs)[0] is inputs[1]


def test_nesting_deeper_than_the_limit_is_cut_not_followed():
    deep = []
    deep.append(deep)  # a list holding itself
    tree = wire.to_tree(deep, [])
    text = repr(tree)
    assert "$object" in text and text.count("[") <= wire.MAX_DEPTH + 3


@pytest.mark.parametrize("data, words", [
    (b"hello world, this is not a frame", "not a frame: starts with b'hello world"),
    (wire.PREFIX.pack(b"BPW1", 3, 0) + b"{x}", "the header is not JSON"),
    (wire.PREFIX.pack(b"BPW1", 2, 0) + b"[]", "not a JSON object"),
    (wire.frame({"arrays": [["<f8", [2], "Q"]]})[:16] + b'{"arrays":[["<f8",[2],"Q"]]}', "bad array metadata"),
])
def test_junk_and_inconsistent_frames_are_protocol_errors_naming_what_is_wrong(data, words):
    if data.startswith(wire.MAGIC):  # fix the lengths in the prefix to the bytes that follow
        body = data[16:]
        data = wire.PREFIX.pack(wire.MAGIC, len(body), 0) + body
    with pytest.raises(wire.ProtocolError, match=re.escape(words)):
        wire.parse(data)


def test_an_incomplete_frame_waits_and_a_payload_of_the_wrong_size_is_refused():
    full = wire.frame({"op": "x"}, [np.ones(4)])
    assert wire.parse(full[:3]) is None and wire.parse(full[:-1]) is None
    longer = full[:8] + (len(full) - 16 - wire.PREFIX.unpack_from(full)[1] + 8).to_bytes(8, "little") + full[16:] + b"\0" * 8
    with pytest.raises(wire.ProtocolError, match="the arrays take 32 bytes, the frame says 40"):
        wire.parse(longer)


def test_frames_read_from_a_pipe_one_by_one_until_the_end():
    r, w = os.pipe()
    os.write(w, wire.frame({"op": "a"}, [np.ones(2)]) + wire.frame({"op": "b"}))
    os.close(w)
    first, second = wire.read_frame(r), wire.read_frame(r)
    assert first[0]["op"] == "a" and np.array_equal(first[1][0], np.ones(2)) and second[0]["op"] == "b"
    assert wire.read_frame(r) is None
    r, w = os.pipe()
    os.write(w, wire.frame({"op": "a"}, [np.ones(2)])[:-3])
    os.close(w)
    with pytest.raises(wire.ProtocolError, match="end of input inside a frame"):
        wire.read_frame(r)


def test_the_worked_example_of_docs_wire_is_byte_for_byte_the_frame_the_checker_sends():
    text = (ROOT / "docs" / "WIRE.md").read_text()
    section = text.split("## 6.")[1].split("## 7.")[0]
    hex_bytes = bytes.fromhex(" ".join(m.group(1) for m in re.finditer(r"^    ((?:[0-9a-f]{2} )+)", section, re.M)))
    header = re.search(r"^    (\{\"op\":\"call\".*?\]\]\})", section, re.M | re.S).group(1).replace("\n     ", "")
    arrays = []
    args = wire.to_tree([[(np.array([[0.5]]), np.array([0.0]))], np.array([[1.0]]), np.array([[0.0]])], arrays)
    frame = wire.frame({"op": "call", "id": 3, "impl": "c", "entry": "gradient", "args": args, "kwargs": {},
                        "time_limit": 5.0, "output_limit": 65536}, arrays)
    assert frame[:16] == hex_bytes[:16] and frame[16:-32].decode() == header and frame[-32:] == hex_bytes[16:]


def test_invoke_names_the_watched_arrays_a_call_changed():
    a, b, c = np.zeros(3), np.ones(2), np.arange(4.0)

    def touch():
        c[2] = -1.0
        a.shape = (3, 1)
    inv = invoke(touch, watch=[a, b, c])
    assert inv.changed == (0, 2) and inv.category is None


def test_invoke_keeps_the_first_characters_of_a_flood_and_counts_the_rest():
    inv = invoke(lambda: print("x" * 100_000), output_limit=1000)
    assert len(inv.output) == 1000 and inv.written == 100_001
    assert truncation(with_note(inv.output, inv.written)) == (100_001, 1000)
    assert with_note("ok\n", 3) == "ok\n" and truncation("ok\n") is None


def test_output_captured_elsewhere_replays_into_an_enclosing_capture_with_its_counts():
    inv = invoke(lambda: replay_output("y" * 10, 5000), output_limit=100)
    assert inv.output == "y" * 10 and inv.written == 5000
    sink = BoundedText(4)
    sink.write("abcdef")
    assert sink.kept() == "abcd" and sink.written == 6


def test_invoke_records_exceptions_by_kind_and_lets_ctrl_c_through_only_when_asked():
    assert invoke(lambda: [].pop()).category == "raises"
    assert "IndexError: pop from empty list (at test_isolation_wire.py" in invoke(lambda: [].pop()).message

    def oom():
        raise MemoryError("no room")
    assert invoke(oom).category == "out_of_memory"

    def ctrl_c():
        raise KeyboardInterrupt
    assert invoke(ctrl_c, contain_interrupts=True).message == "raised KeyboardInterrupt:  (at test_isolation_wire.py" \
        f":{ctrl_c.__code__.co_firstlineno + 1} in ctrl_c)"
    with pytest.raises(KeyboardInterrupt):
        invoke(ctrl_c)

    class Described(Exception):
        category, description = "crashed", "its worker process was killed by signal SIGSEGV"
    assert (invoke(lambda: (_ for _ in ()).throw(Described())).category,
            invoke(lambda: (_ for _ in ()).throw(Described())).message) == ("crashed", Described.description)


def test_the_deadline_of_a_call_is_visible_inside_it_and_suspended_time_is_not_charged():
    seen = {}

    def call():
        seen["before"] = current_deadline()
        with suspended():
            time.sleep(0.3)
        seen["after"] = current_deadline()
        return "done"
    t0 = time.monotonic()
    inv = invoke(call, time_limit=0.4)
    assert inv.value == "done" and inv.category is None, inv.message
    assert seen["before"] == pytest.approx(t0 + 0.4, abs=0.05) and seen["after"] - seen["before"] >= 0.29
    assert current_deadline() is None
    assert invoke(lambda: time.sleep(2), time_limit=0.2).category == "timeout"
    assert invoke(lambda: (_ for _ in ()).throw(CallTimeout("the worker was killed")), time_limit=1).message == \
        "the worker was killed"


def test_memory_sizes_and_limits_from_the_environment():
    assert parse_memory("4G") == 4 << 30 and parse_memory("512m") == 512 << 20 and parse_memory("1.5K") == 1536
    assert parse_memory("0") is None and parse_memory("none") is None and parse_memory(2048) == 2048
    with pytest.raises(ValueError, match="memory limit 'lots'"):
        parse_memory("lots")
    limits = Limits.from_env({"CONFORMANCE_TIME_LIMIT": "2.5", "CONFORMANCE_MEMORY_LIMIT": "1G",
                              "CONFORMANCE_IMPL_TIME_LIMIT": "60"})
    assert (limits.time_limit, limits.memory, limits.impl_time_limit) == (2.5, 1 << 30, 60.0)
    assert Limits.from_env({}) == Limits() and Limits().memory == 4 << 30 and Limits().impl_time_limit == 900
