"""A timer that cannot fire becomes an incident on its case, once, instead of a silent retry.

Firing a timer runs more than the diagram: the notifying rules are read from the stored
BPMN source, notices are written, the process's ``after_step`` runs, the step is saved.
When any of that fails for a reason outside the diagram (a stored source that cannot be
read, a bug in a hook), the firing step rolls back whole and the timer stays due. Left
alone, every timer executor would claim it again once its claim expired and fail the same
way, forever, seen by nobody. :func:`record_timer_failure` is what the executor does
instead (:meth:`engine.cases.runner.CaseService.timer_failed`): in a transaction of its
own, on the last good state, it marks the case ``error`` with the timer's element and the
message, through the same :meth:`CaseSteps.mark_failed` every engine failure takes, so the
case page shows it, ``/healthz`` counts it and an admin retries it.

The incident's command is ``timers``. Retrying it (:mod:`engine.cases.incidents`) runs
nothing — running the engine would fire the timer without its ``timer_fired`` event and its
notices — but saves the case ``running`` with its timer still due, so the timer executor
fires it at its next run through the one firing path, or, if the cause is still there,
records a new incident.
"""
from __future__ import annotations

from types import SimpleNamespace

from engine.cases import statements as sql
from engine.cases.steps import CaseSteps
from engine.people.actors import Actor
from engine.time import clock, timers

#: How much of the cause's text an incident keeps.
MAX_CAUSE = 500


class TimerNotFired(Exception):
    """Why a due timer did not fire: the element (for the incident) and the underlying cause."""

    def __init__(self, element_id: str, cause: Exception) -> None:
        # read by engine.cases.steps.describe_failure: the element and the kind of failure
        self.task_spec = SimpleNamespace(bpmn_id=element_id, name=element_id)
        self.error_type = type(cause).__name__
        super().__init__(f"{self.error_type}: {str(cause)[:MAX_CAUSE]} (the timer could not fire)")


def record_timer_failure(steps: CaseSteps, case_id: int, cause: Exception, actor: Actor) -> bool:
    """Make the case's failed firing an incident; False when there was nothing to record.

    Nothing is written when the case is no longer running or no timer is due any more
    (another executor fired it meanwhile, or a command moved the case on): then the
    failure belongs to no current state of the case. The executor's claim ends here.
    """
    with steps.store.command() as conn:
        case = steps.lock(conn, case_id)
        conn.execute(sql.RELEASE_CLAIM, {"case_id": case_id})
        now = clock.now()
        if case.status != "running" or case.next_timer_at is None or case.next_timer_at >= now:
            return False
        loaded = steps.load(conn, case)
        due = [element for element, at in sorted(timers.waiting_timers(loaded.workflow), key=lambda t: t[1])
               if at < now]
        steps.mark_failed(conn, loaded, actor, TimerNotFired(due[0] if due else "", cause), {"type": "timers"})
    return True
