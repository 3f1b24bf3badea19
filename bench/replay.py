"""What verifying the audit log and replaying cases cost, for N completed cases.

A fresh SQLite database (or ``--database-url``), N training nominations run to
the end through the case service (five commands and about twelve events each,
on a manual clock), then:

- verify: ``engine.audit.verify.verify_all`` over every chain (events streamed in
  keyset batches), and again against a signed checkpoint;
- replay: ``engine.replay.replay_case`` for every case, one after another, in
  one read transaction each (as ``POST /cases/{id}/replay`` does).

    python bench/replay.py [-n 1000] [--database-url URL]

What to expect: both grow linearly with the number of events; replay costs
roughly what running the case cost (it re-runs the engine), verification a
small fraction of it (hashing only).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from engine.audit import checkpoints as checkpoint  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from engine.time import clock  # noqa: E402
from engine.store.database import Store  # noqa: E402
from engine.people.directory import add_unit, add_user, grant_role  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Event  # noqa: E402
from engine.replay.rerun import replay_case  # noqa: E402
from engine.people.actors import actor_for  # noqa: E402
from engine.audit.verify import verify_all  # noqa: E402
from workflows import build_services, deploy_bpmn_dir  # noqa: E402

PASSWORD = "bench-password-1"
KEY = "bench-server-key"
PROPOSAL = {"talent_name": "Nguyễn Văn Khoa", "unit": "SKHCN", "course": "Lớp AI ứng dụng",
            "field_of_study": "science_technology", "mentor": "expert1"}


def setup(url: str, manual: clock.ManualClock) -> tuple[Store, object, dict]:
    upgrade(url)
    services = build_services({"DATABASE_URL": url}, clock=manual)
    store = services.store
    actors = {}
    with store.transaction() as session:
        deploy_bpmn_dir(session)
        add_unit(session, "HP", "Thành phố")
        add_unit(session, "SKHCN", "Sở KH&CN", "HP")
        users = {"head_khcn": ("SKHCN", "unit_head", "SKHCN"), "expert1": ("SKHCN", None, None),
                 "hr": ("HP", "hr_officer", None)}
        for name, (unit, role, scope) in users.items():
            user = add_user(session, name, hash_password(PASSWORD), unit_code=unit)
            if role:
                grant_role(session, user, role, scope)
        session.flush()
        for name in users:
            from engine.people.directory import get_user

            actors[name] = actor_for(session, get_user(session, name))
    return store, services.cases, actors


def run_cases(service: Any, actors: dict, count: int, manual: clock.ManualClock) -> list[int]:
    ids = []
    steps = [("expert1", "mentor_assessment", {"recommendation": "support", "mentor_comment": "Tốt"}),
             ("head_khcn", "unit_head_approval", {"decision": "approve"}),
             ("hr", "hr_enrolment", {"class_code": "AI-01", "class_start": "2026-04-01"}),
             ("head_khcn", "report_attendance", {"completed": True, "certificate_ref": "CC-9"})]
    view = lambda conn, case: case.ready_tasks  # noqa: E731 - the new tasks, without reading them again
    for _ in range(count):
        manual.advance(timedelta(minutes=7))
        tasks = service.start(actors["head_khcn"], "training_nomination", PROPOSAL, view=view)
        case_id = tasks[0].case_id
        for who, element, data in steps:
            task = next(t for t in tasks if t.element_id == element)
            tasks = service.complete(actors[who], task.id, data, view=view)
        ids.append(case_id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="completed cases (default 1000)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    manual = clock.ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/replay.db"
        store, service, actors = setup(url, manual)
        began = time.perf_counter()
        ids = run_cases(service, actors, args.n, manual)
        ran = time.perf_counter() - began
        with store.read() as session:
            events = session.scalar(select(func.count()).select_from(Event)) or 0
        print(f"cases: {len(ids)} completed training nominations, {events} events "
              f"(made in {ran:.1f} s, {ran / len(ids) * 1000:.1f} ms per case)")

        with store.read() as session:
            began = time.perf_counter()
            report = verify_all(session.connection())
            verified = time.perf_counter() - began
        assert report.ok, report.as_dict()
        print(f"verify:  {verified:.2f} s for {report.chains} chains, {report.events} events "
              f"({report.events / verified:,.0f} events/s)")
        with store.command() as conn:
            taken = checkpoint.write_checkpoint(conn, KEY, "bench")
        with store.read() as session:
            began = time.perf_counter()
            report = verify_all(session.connection(), taken["heads"])
            against = time.perf_counter() - began
        assert report.ok, report.as_dict()
        print(f"verify against a checkpoint: {against:.2f} s")

        times = []
        began = time.perf_counter()
        for case_id in ids:
            one = time.perf_counter()
            with store.read() as session:
                result = replay_case(service, session.connection(), case_id)
            times.append(time.perf_counter() - one)
            assert result.consistent, result.as_dict()
        replayed = time.perf_counter() - began
        times.sort()
        print(f"replay:  {replayed:.2f} s for {len(ids)} cases, all consistent "
              f"(median {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms "
              f"per case)")
        store.dispose()


if __name__ == "__main__":
    main()
