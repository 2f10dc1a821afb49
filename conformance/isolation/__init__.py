"""Implementations run out of process: one worker process per implementation, a language-neutral wire protocol.

    wire      the frames of the protocol (JSON metadata, raw arrays): docs/WIRE.md
    invoke    ``invoke``: calls user code once and observes the call (time limit, output, warnings, changed
              inputs); the same function in a worker process and in ``--in-process`` mode
    observations  what a call did to its arrays (layouts received, results sharing memory with inputs,
              held results and inputs changed by a later call): numpy only, made where the code runs
    worker    the Python worker process: loads a drop-in module and answers the checker's requests
    limits    what a worker may use (time per call and per implementation, memory, output)
    client    the checker's side of one worker process: start, limits, requests, kill, exit status
    handle    the worker of one implementation: start, limits, calls (one, or several at once), failures
    remote    implementations whose entry points are proxies to a worker
    discover  discovery through workers (the checker never imports user code)
    shutdown  how a worker ends when asked to (interface.clean_exit)
    native    drop-ins in any language: ``--impl-cmd COMMAND`` and a conventions file (JSON or TOML)

A worker process imports ``wire``, ``invoke``, ``observations`` and ``worker`` of this package and
``conformance.dropin`` (protocol, ready_adapters, discovery): nothing that imports
the reference, so a user's own top-level ``reference`` package wins there.  This
``__init__`` therefore imports nothing.
"""
