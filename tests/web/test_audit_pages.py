"""Auditor pages: history step by step, replay verdict, chain verification; nobody else gets them."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update

from engine.store.models import Event
from tests.helpers import complete, ready_task, start_training
from tests.web.support import signed_in, text_of


def finished_training(auth):  # type: ignore[no-untyped-def]
    case = start_training(auth)
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"], {"recommendation": "support", "mentor_comment": "Phù hợp"})
    return case["id"]


def test_the_step_slider_shows_the_state_and_diagram_after_each_event(app, auth):
    case_id = finished_training(auth)
    page = signed_in(app, "auditor")
    html = page.get(f"/audit/cases/{case_id}")
    last = int(re.search(r'type="range" id="step" name="step" min="1" max="(\d+)"', html).group(1))
    assert last > 3 and f'value="{last}"' in html
    first = page.get(f"/audit/cases/{case_id}?step=1")
    state = text_of(re.search(r'<h3>Trạng thái sau bước này</h3>.*?</div>\s*<div class="col-side">', first, re.S).group(0))
    assert "#1 · " in text_of(first) and "Khởi tạo hồ sơ" in text_of(first)
    # the first step (the start, with the task it created): the mentor may act (the role's words, not
    # ``role:mentor``), nothing is filled in yet
    assert "Nhận xét của người hướng dẫn Cần xử lý Người hướng dẫn" in state and "Nhận xét Phù hợp" not in state
    assert "role:" not in state
    assert 'aria-current="step"' in first and "<svg" in first
    last_page = page.get(f"/audit/cases/{case_id}?step={last}")
    state = text_of(re.search(r'<h3>Trạng thái sau bước này</h3>.*?</div>\s*<div class="col-side">', last_page,
                              re.S).group(0))
    assert "Nhận xét của người hướng dẫn Hoàn thành expert1" in state and "Nhận xét Phù hợp" in state  # labelled
    assert "mentor_comment" not in state
    assert 'class="bpmn-element' in last_page and " completed" in last_page
    assert f'value="{last}"' in page.get(f"/audit/cases/{case_id}?step=999")  # clamped to the last step
    assert f'value="{last}"' in page.get(f"/audit/cases/{case_id}?step=abc")


def test_replay_says_consistent_and_verification_finds_a_tampered_event(app, auth, store):
    case_id = finished_training(auth)
    page = signed_in(app, "auditor")
    html = page.post(f"/audit/cases/{case_id}/replay", status=200).get_data(as_text=True)
    assert "Nhất quán" in text_of(html)
    html = page.post("/audit/verify", status=200).get_data(as_text=True)
    assert "Toàn vẹn" in text_of(html)
    with store.transaction() as db:
        db.execute(update(Event).where(Event.case_id == case_id, Event.seq == 2).values(actor="mallory"))
    html = page.post("/audit/verify", status=200).get_data(as_text=True)
    assert "Bị phá vỡ" in text_of(html) and f"/audit/cases/{case_id}?step=2" in html


def test_audit_pages_are_for_auditors_only(app, auth):
    case_id = finished_training(auth)
    head = signed_in(app, "head_khcn")
    head.get(f"/audit/cases/{case_id}", status=403)
    head.get("/audit/verify", status=403)
    head.post(f"/audit/cases/{case_id}/replay", status=403)
    signed_in(app, "auditor").get("/audit/cases/999999", status=404)


def test_verification_on_the_page_trusts_only_checkpoints_signed_with_the_server_key(app, auth, store):
    """The page uses the same rule as the API: a newer checkpoint stored under a made-up key does not
    stand in for the signed one that shows a history cut short."""
    from sqlalchemy import delete, insert, select

    from engine.audit import checkpoints as checkpoint
    from engine.store.models import Case

    case_id = finished_training(auth)
    with store.command() as conn:
        taken = checkpoint.write_checkpoint(conn, str(app.config["SECRET_KEY"]), "auditor")
    with store.transaction() as db:  # cut the tail and rewind the case row: the chain is consistent in itself
        last = db.scalar(select(Case.event_seq).where(Case.id == case_id))
        kept = db.scalar(select(Event.hash).where(Event.case_id == case_id, Event.seq == last - 1))
        db.execute(delete(Event).where(Event.case_id == case_id, Event.seq == last))
        db.execute(update(Case).where(Case.id == case_id).values(event_seq=last - 1, last_event_hash=kept))
    with store.command() as conn:
        heads = checkpoint.chain_heads(conn)
        now = taken["created_at"]
        digest = checkpoint.digest_of(now, heads)
        conn.execute(insert(checkpoint.CHECKPOINT).values(
            created_at=datetime.fromisoformat(now), created_by="mallory", heads=heads, digest=digest,
            signature=checkpoint.sign("guessed", digest), key_id="sha256:0123456789abcdef"))
    html = signed_in(app, "auditor").post("/audit/verify", status=200).get_data(as_text=True)
    assert "Bị phá vỡ" in text_of(html) and f"/audit/cases/{case_id}?step={last}" in html
    assert f"#{taken['id']}" in text_of(html)
