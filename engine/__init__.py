"""Generic workflow runtime: BPMN cases on SpiffWorkflow, kept in a database, woken by timers.

Nothing in this package knows about the talent programme or about Flask; the ``workflows``
package plugs domain rules in through :mod:`engine.policy`. One package per concern, each with a
small public ``__init__``: ``store`` (database, models, migrations), ``time`` (clock, business
calendar, timers, timer executor, the SpiffWorkflow patches), ``people`` (users, units, grants,
the acting person), ``definitions`` (BPMN/DMN parsing, versions, serializer state, the script
sandbox), ``cases`` (the runner and its one-transaction steps, the task projection, worklists,
reading cases), ``audit`` (the hash-chained events, verification, signed checkpoints),
``replay`` (re-running a history), ``diagram`` (BPMNDI to SVG). :mod:`engine.errors` and
:mod:`engine.policy` are the vocabulary they all share; ``workflows.build_services`` wires
them together with the programme's processes.
"""
