"""Generic workflow runtime: specs, cases, tasks, persistence, sandbox, clock.

Nothing in this package knows about the talent programme or about Flask; the
``workflows`` package plugs domain rules in through :mod:`engine.policy`.
"""
