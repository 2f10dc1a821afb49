"""The whole catalogue: ``BUGS`` (must be caught and named) and ``CORRECT`` (must pass everything)."""
from tests.catalogue import (bugs_equations, bugs_findings, bugs_layers, bugs_memory, bugs_models, bugs_reduction,
                             bugs_sizes, bugs_state, correct, correct_models, correct_scale)

__all__ = ["BUGS", "CORRECT", "ENTRIES", "by_name"]

BUGS = (bugs_equations.ENTRIES + bugs_reduction.ENTRIES + bugs_layers.ENTRIES + bugs_state.ENTRIES
        + bugs_findings.ENTRIES + bugs_sizes.ENTRIES + bugs_memory.ENTRIES + bugs_models.ENTRIES)
CORRECT = correct.ENTRIES + correct_scale.ENTRIES + correct_models.ENTRIES
ENTRIES = BUGS + CORRECT


def by_name(name: str):
    """The entry whose implementation is called ``name``."""
    for entry in ENTRIES:
        if entry.name == name:
            return entry
    raise KeyError(f"no catalogue entry named {name!r}")
