"""Starting a review of 2 000 talents on SQLite: how long it takes, and how long another user waits meanwhile.

Issue 17 point 5. The review starts one ``talent_assessment`` case per talent. Before, all of them
were created inside the review's own step: one transaction holding SQLite's write lock for seconds,
while every other user's step waited. Now the step plans them and they start after it in batches of
50 (``engine/cases/child_batches.py``), each its own transaction, so other writers get in between.

For each variant, in the same run: a fresh SQLite database with N active talents (four years of
history each, over two units); hr starts the review (``CaseService.start``, the call the API makes,
children included) while a second thread, another user, starts a one-task case and completes its
task again and again. Prints when the start answered, when every assessment had started, the
longest and the median step (start or completion) of the other user meanwhile, and how many of
their steps got in. "inline" is the old behaviour's lock hold: the batch size set to N, every child
started in one transaction right after the review's step (as long as when they were created inside
it); "in background" answers after the review's step and starts the batches in a thread (for
comparison: the product runs them in the request, so its answer shows every assessment).

    python bench/review_start.py [--talents 2000] [--batch 50]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import review_scale  # noqa: E402  (the talents it fills its databases with)

from sqlalchemy import func, select  # noqa: E402

from engine.definitions.versions import SourceFile  # noqa: E402
from engine.people.actors import actor_for  # noqa: E402
from engine.people.directory import add_user, get_user, grant_role  # noqa: E402
from engine.store.models import Case, Task  # noqa: E402
from engine.time import clock  # noqa: E402
from workflows import deploy_files  # noqa: E402


def setup(workdir: Path, talents: int):  # type: ignore[no-untyped-def]
    """review_scale's database (hr, the talents), plus a one-task process and its user, "other"."""
    app, store = review_scale.setup(workdir, talents)
    with store.transaction() as session:
        deploy_files(session, [SourceFile("one_task.bpmn", (HERE / "one_task.bpmn").read_bytes())], "bench")
        grant_role(session, add_user(session, "other", "x", unit_code="HP"), "bench_reviewer")
    return app, store


def measure(talents: int, batch: int, in_background: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        app, store = setup(Path(tmp), talents)
        service = app.extensions["talentflow"].cases
        service.child_batches.size = batch
        background: list[threading.Thread] = []
        if in_background:  # the request answers after the review's step; a thread starts the batches
            run_now = service.child_batches.run_planned

            def run_later(parents):  # type: ignore[no-untyped-def]
                background.append(threading.Thread(target=run_now, args=(list(parents),)))
                background[-1].start()
                return 0
            service.child_batches.run_planned = run_later
        with store.read() as session:
            hr, other = (actor_for(session, get_user(session, name)) for name in ("hr", "other"))
        waits: list[tuple[float, float]] = []  # (ended at, ms) of each step of the other user
        stop = threading.Event()

        def task_of(conn, case):  # type: ignore[no-untyped-def]
            return conn.execute(select(Task.id).where(Task.case_id == case.id, Task.status == "ready")).scalar()

        def other_user() -> None:
            """Starts a one-task case and completes its task, again and again: two steps a round."""
            while not stop.is_set():
                began = time.perf_counter()
                task_id = service.start(other, "bench_one_task", {}, view=task_of)
                middle = time.perf_counter()
                service.complete(other, task_id, {})
                ended = time.perf_counter()
                waits.extend([(middle, (middle - began) * 1000), (ended, (ended - middle) * 1000)])

        worker = threading.Thread(target=other_user)
        worker.start()
        time.sleep(0.3)  # the other user is completing tasks before the start begins
        began = time.perf_counter()
        service.start(hr, "annual_talent_review", {"year": 2026})
        answered = time.perf_counter()
        for thread in background:
            thread.join()
        ended = time.perf_counter()
        stop.set()
        worker.join()
        # a step that began during the start and ended after it waited for it too: counted while it ends
        # within a second of the start's end
        during = [ms for at, ms in waits if began <= at <= ended + 1] or [0.0]
        with store.read() as session:
            children = session.scalar(select(func.count()).select_from(Case).where(Case.parent_case_id.is_not(None)))
        assert children == talents, (children, talents)
        store.dispose()
    return {"answer_ms": (answered - began) * 1000, "start_ms": (ended - began) * 1000, "longest_ms": max(during), "median_ms": statistics.median(during),
            "steps": len([1 for at, _ in waits if began <= at <= ended])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talents", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    clock.use(clock.ManualClock(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)))  # 2 Nov: the review is open
    print(f"talents: {args.talents}, load: {os.getloadavg()[0]:.2f}")
    print(f"{'variant':>36} {'answer':>9} {'all started':>12} {'longest wait':>13} {'median wait':>12} "
          f"{'other steps in':>15}")
    results = {}
    for name, batch, later in (("inline (one transaction)", args.talents, False),
                               (f"batches of {args.batch}, in the request", args.batch, False),
                               (f"batches of {args.batch}, in background", args.batch, True)):
        m = results[name] = measure(args.talents, batch, later)
        print(f"{name:>36} {m['answer_ms']:>7.0f}ms {m['start_ms']:>10.0f}ms {m['longest_ms']:>11.0f}ms "
              f"{m['median_ms']:>10.1f}ms {m['steps']:>15}")
    before, after, _ = results.values()
    print(f"longest wait after/before: {after['longest_ms'] / before['longest_ms']:.3f}; "
          f"start after/before: {after['start_ms'] / before['start_ms']:.2f}")


if __name__ == "__main__":
    main()
