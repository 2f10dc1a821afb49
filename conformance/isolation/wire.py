"""The wire protocol between the checker and a worker process: frames of JSON metadata and raw arrays.

Language-neutral and documented in docs/WIRE.md.  A frame is

    offset 0       4 bytes   magic b"BPW1"
    offset 4       uint32    H, the header's length in bytes (little-endian)
    offset 8       uint64    P, the payload's length in bytes (little-endian)
    offset 16      H bytes   the header: one JSON object, UTF-8
    offset 16 + H  P bytes   the payload: the data of the arrays listed in header["arrays"], one after
                             the other, each in its declared order ("C" row-major or "F" column-major)

``header["arrays"]`` lists ``[dtype, shape, order]`` per array, e.g. ``["<f8", [3, 2], "C"]`` (numpy's
dtype strings; an array of n entries of itemsize s takes n * s bytes).  Values (the arguments of
a call, its result) are JSON trees in which ``{"$array": k}`` stands for the k-th array of the
frame; ``{"$input": k}`` (replies only) for the k-th array of the request, returned as it came;
``{"$tuple": [...]}``, ``{"$float": "nan" | "inf" | "-inf"}``, ``{"$dict": [[key, value], ...]}``
and ``{"$object": type name, "repr": text}`` (anything else) complete the encoding.

Nothing here imports the suite beyond numpy: the worker process loads this module.
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["MAGIC", "PREFIX", "PROTOCOL", "ProtocolError", "Opaque", "frame", "parse", "read_frame", "write_all",
           "to_tree", "from_tree", "array_of"]

MAGIC = b"BPW1"
PREFIX = struct.Struct("<4sIQ")
#: The protocol version a worker states in its reply to "hello".
PROTOCOL = 1
#: Containers nested deeper than this in a value are sent as {"$object": ...}.
MAX_DEPTH = 32
#: A header longer than this is refused (a worker writing junk, not a protocol frame).
MAX_HEADER = 64 << 20


class ProtocolError(Exception):
    """Bytes that are not a frame of this protocol, or a frame whose header or arrays do not agree."""


class Opaque:
    """A returned object that has no array form: its type name and repr, as the worker saw them."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text


def _no_default(value):
    raise TypeError(f"{type(value).__name__} is not JSON")


def _encoder():
    """A compact, strict JSON encoder (the C one, made once, where the interpreter has it)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
    encode = make(None, _no_default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False)
    return lambda value: "".join(encode(value, 0))


_ENCODE = _encoder()
_DTYPES: dict = {}


def _meta_and_data(arr: np.ndarray):
    """([dtype, shape, order], the bytes to send) for a numeric array."""
    dtype = arr.dtype
    if dtype.byteorder == ">":
        arr = arr.astype(dtype.newbyteorder("<"))
        dtype = arr.dtype
    flags = arr.flags
    if flags.c_contiguous:
        return [dtype.str, arr.shape, "C"], arr.tobytes()
    if flags.f_contiguous:
        return [dtype.str, arr.shape, "F"], arr.tobytes(order="F")
    return [dtype.str, arr.shape, "C"], arr.tobytes()


def _sendable(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biufc"


def frame(header: dict, arrays: Sequence[np.ndarray] = ()) -> bytes:
    """One frame: ``header`` (a JSON object; its "arrays" entry is set here, in place) and the arrays' data."""
    metas, chunks = [], []
    for arr in arrays:
        meta, data = _meta_and_data(arr if type(arr) is np.ndarray else np.asarray(arr))
        metas.append(meta)
        chunks.append(data)
    if metas:
        header["arrays"] = metas
    head = _ENCODE(header).encode()
    payload = sum(map(len, chunks))
    return b"".join([PREFIX.pack(MAGIC, len(head), payload), head, *chunks])


def _dtype(text) -> np.dtype:
    dt = _DTYPES.get(text)
    if dt is None:
        dt = np.dtype(text)
        if dt.hasobject or dt.kind not in "biufc":
            raise TypeError(f"{text!r} is not a numeric dtype")
        _DTYPES[text] = dt
    return dt


def array_of(meta, buffer, offset: int) -> Tuple[np.ndarray, int]:
    """(a fresh writable array, the offset after it) for ``meta`` = [dtype, shape, order] at ``offset``."""
    try:
        text, shape, order = meta
        if order != "C" and order != "F":
            raise ValueError("the order must be 'C' or 'F'")
        arr = np.ndarray(shape, _dtype(text), buffer, offset, order=order)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"bad array metadata {meta!r} at byte {offset} of {len(buffer)} (expected [dtype, "
                            f"shape, order] within the payload): {exc}") from None
    return arr.copy(order=order), offset + arr.nbytes


def parse(buffer) -> Optional[Tuple[dict, List[np.ndarray], int]]:
    """(header, arrays, bytes used) of the frame at the start of ``buffer``, or None if it is incomplete."""
    if len(buffer) < PREFIX.size:
        if bytes(buffer[:len(MAGIC)]) != MAGIC[:len(buffer)]:
            raise ProtocolError(f"not a frame: starts with {bytes(buffer[:80])!r}")
        return None
    magic, h, p = PREFIX.unpack_from(buffer)
    if magic != MAGIC or h > MAX_HEADER:
        raise ProtocolError(f"not a frame: starts with {bytes(buffer[:80])!r}")
    if len(buffer) < PREFIX.size + h + p:
        return None
    header, arrays = parse_body(memoryview(buffer)[PREFIX.size:PREFIX.size + h + p], h)
    return header, arrays, PREFIX.size + h + p


def parse_body(body, h: int) -> Tuple[dict, List[np.ndarray]]:
    """(header, arrays) from the bytes after a frame's prefix: H bytes of header, then the payload."""
    try:
        header = json.loads(str(body[:h], "utf-8"))
    except ValueError as exc:
        raise ProtocolError(f"the header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"the header is not a JSON object: {header!r:.80}")
    arrays, offset = [], h
    for meta in header.get("arrays") or ():
        arr, offset = array_of(meta, body, offset)
        arrays.append(arr)
    if offset != len(body):
        raise ProtocolError(f"the arrays take {offset - h} bytes, the frame says {len(body) - h}")
    return header, arrays


def _read_exactly(fd: int, n: int) -> Optional[bytes]:
    chunk = os.read(fd, n)
    if len(chunk) == n or not chunk:
        return chunk or None
    buf = bytearray(chunk)
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise ProtocolError(f"end of input inside a frame ({len(buf)} of {n} bytes)")
        buf += chunk
    return bytes(buf)


def read_frame(fd: int) -> Optional[Tuple[dict, List[np.ndarray]]]:
    """The next frame from a blocking file descriptor, or None at the end of input."""
    prefix = _read_exactly(fd, PREFIX.size)
    if prefix is None:
        return None
    magic, h, p = PREFIX.unpack(prefix)
    if magic != MAGIC or h > MAX_HEADER:
        raise ProtocolError(f"not a frame: starts with {bytes(prefix)!r}")
    body = _read_exactly(fd, h + p) if h + p else bytearray()
    if body is None:
        raise ProtocolError("end of input after a frame's prefix")
    return parse_body(body, h)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to a blocking file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def to_tree(value, arrays: list, inputs: Sequence[np.ndarray] = ()):
    """``value`` as a JSON tree; its arrays are appended to ``arrays`` (an input array as {"$input": k})."""
    ids = {id(a): k for k, a in enumerate(inputs)} if inputs else None
    return _tree(value, arrays, ids, 0)


def _tree(value, arrays: list, ids, depth: int):
    kind = type(value)
    if kind is np.ndarray:
        if ids is not None and id(value) in ids:
            return {"$input": ids[id(value)]}
        if value.dtype.kind not in "biufc":
            return {"$object": "ndarray", "repr": _short_repr(value), "dtype": str(value.dtype),
                    "shape": list(value.shape)}
        arrays.append(value)
        return {"$array": len(arrays) - 1}
    if kind is tuple or kind is list:
        if depth > MAX_DEPTH:
            return _opaque(value)
        items = [_tree(v, arrays, ids, depth + 1) for v in value]
        return items if kind is list else {"$tuple": items}
    if value is None or kind is bool or kind is str or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if depth > MAX_DEPTH:
        return _opaque(value)
    if isinstance(value, (list, tuple)):
        return _tree(list(value) if isinstance(value, list) else tuple(value), arrays, ids, depth)
    if isinstance(value, dict):
        return {"$dict": [[_tree(k, arrays, ids, depth + 1), _tree(v, arrays, ids, depth + 1)]
                          for k, v in value.items()]}
    if isinstance(value, (bool, str, int, float)) and not isinstance(value, np.generic):
        return _tree((bool if isinstance(value, bool) else str if isinstance(value, str) else
                      int if isinstance(value, int) else float)(value), arrays, ids, depth)
    return _array_like(value, arrays, depth)


def _array_like(value, arrays: list, depth: int):
    """A numpy scalar, or an object with ``__array__`` (a torch tensor, a jax array), as an array."""
    if isinstance(value, np.generic) or hasattr(value, "__array__"):
        try:
            arr = np.asarray(value)
        except Exception:
            return _opaque(value)
        if isinstance(arr, np.ndarray) and _sendable(arr):
            return _tree(arr, arrays, None, depth)
    return _opaque(value)


def _short_repr(value, n: int = 200) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<{type(value).__name__} whose repr raised {type(exc).__name__}>"
    return text if len(text) <= n else text[:n - 3] + "..."


def _opaque(value) -> dict:
    return {"$object": type(value).__name__, "repr": _short_repr(value)}


def from_tree(tree, arrays: Sequence[np.ndarray], inputs: Sequence = ()):
    """The value a JSON tree stands for (the inverse of ``to_tree``)."""
    kind = type(tree)
    if kind is list:
        return [from_tree(t, arrays, inputs) for t in tree]
    if kind is not dict:
        return tree
    if len(tree) == 1:
        if "$array" in tree:
            return _index(arrays, tree["$array"], "$array")
        if "$tuple" in tree:
            return tuple([from_tree(t, arrays, inputs) for t in tree["$tuple"]])
        if "$input" in tree:
            return _index(inputs, tree["$input"], "$input")
        if "$float" in tree:
            return float(tree["$float"])
        if "$dict" in tree:
            return {_hashable(from_tree(k, arrays, inputs)): from_tree(v, arrays, inputs) for k, v in tree["$dict"]}
    if "$object" in tree:
        if tree.get("dtype") is not None and tree.get("shape") is not None:
            return np.full(tuple(tree["shape"]), Opaque(str(tree["dtype"]), str(tree.get("repr", ""))), dtype=object)
        return Opaque(str(tree["$object"]), str(tree.get("repr", "")))
    raise ProtocolError(f"not a value of this protocol: {json.dumps(tree)[:120]}")


def _index(items: Sequence, k, what: str):
    if type(k) is int and 0 <= k < len(items):
        return items[k]
    raise ProtocolError(f"{{{what!r}: {k!r}}} refers to no array (the frame has {len(items)})")


def _hashable(key):
    return key if isinstance(key, (str, int, float, bool, tuple, type(None))) else repr(key)
