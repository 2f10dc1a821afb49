"""Implementations under test: one module per system, each declaring ``IMPLEMENTATION(S)``.

See ``impls/README.md`` for the drop-in protocol.  Modules whose name starts with
an underscore are helpers, not implementations.
"""
