"""Conformance suite: checks any backprop implementation against the reference."""
