"""Running the checks and reporting the verdicts.

    verdicts     Verdict, ImplementationReport: the records of a run
    runner       run_check, check_implementation, run_in_process: in this process
    pytest_run   run_pytest and its Collector: one pytest test per (implementation, check), pytest-xdist
    live         progress on a terminal, the JSON report rewritten as verdicts arrive, SIGINT / SIGTERM
    report       the table, the failure details, the JSON report
    cli          ``python -m conformance`` / ``backprop-conformance``
"""
from conformance.run.pytest_run import (META_PROPERTY, TEST_MODULE, VERDICT_PROPERTY, Collector, run_pytest,
                                        settings_from_env)
from conformance.run.runner import check_implementation, run_check, run_in_process
from conformance.run.verdicts import ImplementationReport, Verdict

__all__ = ["META_PROPERTY", "TEST_MODULE", "VERDICT_PROPERTY", "Collector", "run_pytest", "settings_from_env",
           "check_implementation", "run_check", "run_in_process", "ImplementationReport", "Verdict"]
