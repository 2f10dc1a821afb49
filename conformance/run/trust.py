"""Whose known failures a run applies: the implementation's own declarations, the caller's file, or both.

    apply_known_failures(impls, strict=False, known_failures=None) -> (impls, ignored)

* Default: an implementation's own ``known_failures`` apply (a failing check shows as xfail with
  the declared reason), and so do the caller's.
* ``--strict`` (grading): the implementation's own declarations are ignored; only the caller's
  apply.  An implementation cannot declare exactly its failing checks and go green.
* ``--strict`` also ignores the limits an implementation claims for itself (depths, widths,
  batch sizes, fixed architectures, input memory layouts, its own time limit): every check draws
  from the full support and the run's time limit applies, so a submission cannot declare
  ``max_N=1`` to keep its batch bug out of sight.  Its model (activations, loss, L2 term, biases)
  and conventions stay: they say what it computes.  What was ignored is listed with the ignored
  known failures (under ``interface.support``).
* ``--known-failures FILE`` (JSON, or TOML on Python 3.11+): the caller's, by implementation
  name (exact, a prefix ending in ".", or "*" for every implementation)::

      {"student.alice": {"interface.quiet": "prints its progress; accepted in this course"},
       "*": {"documents.": "the course does not cover the documents' examples"}}

  Check ids are exact ids, prefixes ending in "." or "*", as in ``implementation(...)``.

Every known failure applied carries its ``origin`` ("" for the implementation's own, else the
file); the report lists what was applied and from where, and under ``--strict`` what was ignored.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from conformance.dropin.protocol import Implementation, KnownFailure, Support
from conformance.isolation.native import read_table

__all__ = ["read_known_failures", "apply_known_failures", "without_own_limits", "origin_text", "records"]


def read_known_failures(path: str) -> Dict[str, Dict[str, str]]:
    """{implementation name or pattern: {check: reason}} from the caller's file (ValueError naming the file)."""
    table = read_table(path)
    out = {}
    for pattern, checks in table.items():
        if not isinstance(checks, dict) or not all(isinstance(r, str) for r in checks.values()):
            raise ValueError(f"{path}: the entry for {pattern!r} must map check ids to reasons (strings)")
        out[str(pattern)] = {str(c): r for c, r in checks.items()}
    return out


def _matches(pattern: str, name: str) -> bool:
    return pattern in (name, "*") or (pattern.endswith(".") and name.startswith(pattern))


def _callers(table: Dict[str, Dict[str, str]], name: str, origin: str) -> Tuple[KnownFailure, ...]:
    """The caller's known failures for ``name``: an exact name first, then prefixes (longest first), then "*"."""
    order = sorted((p for p in table if _matches(p, name)), key=lambda p: (p != name, p == "*", -len(p)))
    seen, out = set(), []
    for pattern in order:
        for check, reason in table[pattern].items():
            if check not in seen:
                seen.add(check)
                out.append(KnownFailure(check, reason, origin))
    return tuple(out)


#: The Support fields that bound an implementation's claim (its model and outputs are not bounds).
BOUNDS = ("min_depth", "max_depth", "min_width", "max_width", "min_N", "max_N", "layer_sizes", "input_layouts")


def without_own_limits(impl: Implementation) -> Tuple[Implementation, Tuple[KnownFailure, ...]]:
    """(``impl`` with the default bounds and no time limit of its own, the claims set aside as records)."""
    if impl.load_error or impl.unavailable:
        return impl, ()
    default = Support()
    claimed = [f"{key}={getattr(impl.support, key)!r}" for key in BOUNDS
               if getattr(impl.support, key) != getattr(default, key)]
    if impl.time_limit is not None:
        claimed.append(f"time_limit={impl.time_limit!r}")
    if not claimed:
        return impl, ()
    support = dataclasses.replace(impl.support, **{key: getattr(default, key) for key in BOUNDS})
    why = (f"declared {', '.join(claimed)}; ignored (--strict): every check draws from the full support "
           "and the run's time limit applies")
    return dataclasses.replace(impl, support=support, time_limit=None), (KnownFailure("interface.support", why),)


def apply_known_failures(impls: Sequence[Implementation], *, strict: bool = False,
                         known_failures: Optional[str] = None
                         ) -> Tuple[List[Implementation], Dict[str, Tuple[KnownFailure, ...]]]:
    """(the implementations with the known failures this run applies, {name: the ones ignored}); under
    ``strict`` also without the limits they claim for themselves (``without_own_limits``)."""
    table = read_known_failures(known_failures) if known_failures else {}
    out, ignored = [], {}
    for impl in impls:
        callers = _callers(table, impl.name, known_failures or "")
        own = tuple(kf for kf in impl.known_failures if kf.origin == "")
        if strict:
            impl, limits = without_own_limits(impl)
            if own or limits:
                ignored[impl.name] = own + limits
        kept = callers + (() if strict else own)
        out.append(impl if kept == impl.known_failures else dataclasses.replace(impl, known_failures=kept))
    return out, ignored


def origin_text(kf: KnownFailure) -> str:
    """'declared by the implementation' or 'given in FILE'."""
    return f"given in {kf.origin}" if kf.origin else "declared by the implementation"


def records(impl: Implementation, ignored: Sequence[KnownFailure] = ()) -> Tuple[List[dict], List[dict]]:
    """(the known failures applied to ``impl``, those ignored) as JSON records {check, reason, origin}."""
    as_dict = lambda kf: {"check": kf.check, "reason": kf.reason, "origin": kf.origin}  # noqa: E731
    return [as_dict(kf) for kf in impl.known_failures], [as_dict(kf) for kf in ignored]
