"""The three documents' examples: printed values as data, and one runnable check per example.

    core      CheckResult, DocumentCheck, the mse = 2 C / n_L translation
    printed   the documents' printed numbers, transcribed
    first     first document: truth tables, sin regression, circular boundary, printed weights
    forum     forum question: initialize(3, 4, 4, 2, 5)
    last      last document: toy data, shapes, gradient checking, circles SGD vs network.py
    networkpy network.py as the last document quotes it (comparison baseline only)

The registry of check ids is ``reference.examples.CHECKS``.
"""
from reference.documents.core import CheckResult, DocumentCheck

__all__ = ["CheckResult", "DocumentCheck"]
