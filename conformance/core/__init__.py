"""The machinery every check and the diagnosis share, independent of any one check.

    strategies   all Hypothesis strategies (``Problem``, ``problems_in``, ...)
    search       driving Hypothesis for one check within time budgets (``CheckFailure``)
    minimize     the structured shrink after Hypothesis
    tolerances   tolerances from the written error model
    assertions   mismatches between gradients, and messages that name every place
    calls        calling an implementation safely (time limit, captured output, no escape)
    context      what a check receives: the implementation, the profile's budgets, a seed
"""
