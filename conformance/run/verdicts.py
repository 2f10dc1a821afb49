"""The records of a run: one ``Verdict`` per (implementation, check), one ``ImplementationReport`` per implementation.

The same objects are built whether the checks ran in-process
(``conformance.run.runner``) or under pytest (``conformance/test_implementations.py``,
verdicts carried to the controller as JSON in ``record_property``), so the table
and the JSON come out the same either way (``conformance.run.report``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from conformance.diagnosis.causes import Diagnosis

__all__ = ["STATUSES", "FAMILIES", "Verdict", "FamilySummary", "ImplementationReport", "family_of"]

STATUSES = ("pass", "fail", "xfail", "xpass", "skip")
#: Table columns, in order; families of new check ids are appended after these.
FAMILIES = ("interface", "reference", "symbolic", "finite_differences", "properties", "sizes", "documents")
_SEVERITY = {"fail": 4, "xpass": 3, "xfail": 2, "pass": 1, "skip": 0}


def family_of(check: str) -> str:
    """The family of a check id: the part before the first dot."""
    return check.split(".", 1)[0]


@dataclass
class Verdict:
    """The verdict of one check on one implementation."""

    check: str
    status: str                      # pass | fail | xfail | xpass | skip
    message: str = ""
    diagnosis: Optional[Diagnosis] = None
    reason: str = ""                 # the declared known-failure reason, if any
    examples: int = 0
    seconds: float = 0.0
    data: dict = field(default_factory=dict)   # JSON-ready figures for the reports (loss curves, ...)

    @property
    def unexpected(self) -> bool:
        """A failure not declared as known, or a known failure that passed."""
        return self.status in ("fail", "xpass")

    def to_dict(self) -> dict:
        return {"check": self.check, "status": self.status, "message": self.message, "reason": self.reason,
                "examples": self.examples, "seconds": round(self.seconds, 4),
                "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None, "data": self.data}

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        diag = Diagnosis.from_dict(d["diagnosis"]) if d.get("diagnosis") else None
        return cls(check=d["check"], status=d["status"], message=d.get("message", ""), diagnosis=diag,
                   reason=d.get("reason", ""), examples=d.get("examples", 0), seconds=d.get("seconds", 0.0),
                   data=d.get("data") or {})


@dataclass
class FamilySummary:
    """Counts of statuses in one family; ``status`` is the most severe one."""

    counts: Dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        present = [s for s, n in self.counts.items() if n]
        return max(present, key=_SEVERITY.get) if present else "skip"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def cell(self) -> str:
        """'ok 5', 'FAIL 1/5', 'xfail 2/5', 'XPASS 1/5', each with ' +2 skip' when checks were skipped;
        'skip 3' when every check of the family was skipped; '-' when the family has no check here."""
        if not self.total:
            return "-"
        skipped = self.counts.get("skip", 0)
        ran = self.total - skipped
        s = self.status
        if s == "skip":
            return f"skip {skipped}"
        if s == "pass":
            text = f"ok {ran}"
        else:
            label = {"fail": "FAIL", "xpass": "XPASS", "xfail": "xfail"}[s]
            text = f"{label} {self.counts[s]}/{ran}"
        return text + (f" +{skipped} skip" if skipped else "")

    def __str__(self) -> str:
        return self.cell()


@dataclass
class ImplementationReport:
    """All verdicts of one implementation."""

    impl_name: str
    verdicts: Dict[str, Verdict] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    seconds: float = 0.0
    known_failures: List[dict] = field(default_factory=list)   # applied: {check, reason, origin ("" = its own)}
    ignored_known_failures: List[dict] = field(default_factory=list)  # declared by it, ignored under --strict

    @property
    def ok(self) -> bool:
        """No unexpected failure and no unexpected pass."""
        return not any(v.unexpected for v in self.verdicts.values())

    @property
    def ran(self) -> bool:
        """At least one check ran (a row whose every check was skipped is "not run", never "ok")."""
        return any(v.status != "skip" for v in self.verdicts.values())

    @property
    def verdict(self) -> str:
        """The row's verdict: 'ok', 'UNEXPECTED' or 'not run'."""
        if not self.ok:
            return "UNEXPECTED"
        return "ok" if self.ran else "not run"

    @property
    def families(self) -> Dict[str, FamilySummary]:
        out: Dict[str, FamilySummary] = {}
        for v in self.verdicts.values():
            fam = out.setdefault(family_of(v.check), FamilySummary())
            fam.counts[v.status] = fam.counts.get(v.status, 0) + 1
        return out

    def to_dict(self) -> dict:
        return {"name": self.impl_name, "ok": self.ok, "verdict": self.verdict, "description": self.description,
                "source": self.source,
                "seconds": round(self.seconds, 3),
                "families": {f: {"status": s.status, "cell": s.cell(), "counts": s.counts}
                             for f, s in sorted(self.families.items())},
                "known_failures": {"applied": self.known_failures, "ignored": self.ignored_known_failures},
                "verdicts": {c: v.to_dict() for c, v in sorted(self.verdicts.items())}}
