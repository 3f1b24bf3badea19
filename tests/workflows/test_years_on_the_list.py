"""Years on the list, counted to the letter, in the 2026 review through the HTTP API.

DOMAIN.md (Process 3): a talent with no sign of development is removed after
5 years on the list and at risk after 4, the years being those **completed**
from the recognition date to the review's closing day, 15 December — not the
difference of calendar years. Trần Thị Lan (Sở GD&ĐT) has no sign of
development: rated "hoàn thành" this year, never appointed, not in a planning
list, no earlier review rows. Only the day she was recognised changes.

An assessment started on the first version of the assessment diagram, which
counted calendar years, keeps that count after the new version is deployed.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from engine.definitions.specs import SourceFile
from engine.definitions.versions import sources_for
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from tests.workflows.test_annual_talent_review import (API, PLAIN, assessments, outcome_of, review, start_review,
                                                       talent)
from workflows import BPMN_DIR, deploy_files

FIRST_VERSION_HISTORY = Path(__file__).resolve().parents[1] / "data" / "histories" / "talent_assessment_v1.json"


def lan_assessed_in_the_2026_review(auth: Auth, store: Any, recognised: date) -> dict[str, Any]:
    """Lan, recognised on ``recognised``, assessed by her unit head: her line in the review (and the review)."""
    lan = talent(store, "Trần Thị Lan", "SGDDT", recognised)
    case = start_review(auth)
    [task] = assessments(auth, "head_gddt", case["id"])
    complete(auth, "head_gddt", task["id"], PLAIN)
    case = review(auth, case["id"])
    return {**outcome_of(case, lan), "review": case}


def test_a_talent_recognised_exactly_5_years_before_the_closing_day_is_removed(auth, store):
    line = lan_assessed_in_the_2026_review(auth, store, date(2021, 12, 15))
    assert (line["years_on_list"], line["years_counted_to"], line["rule_outcome"]) == (5, "2026-12-15", "remove")
    reason = ("Trong danh sách đủ 5 năm (tính đến ngày 15/12/2026), không có triển vọng phát triển (không được "
              "bổ nhiệm, đề bạt, không trong quy hoạch, không có năm xếp loại từ Tốt trở lên)")
    assert line["rule_reason"] == reason

    case = complete(auth, "hr", ready_task(line["review"], "consolidate_review")["id"], {})
    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"], {"decision": "approve"})
    removed = auth.as_("hr").get(f"{API}/talents/{line['talent_id']}").get_json()
    assert (case["status"], removed["status"], removed["removal_reason"]) == ("approved", "removed", reason)


def test_a_talent_recognised_4_years_364_days_before_the_closing_day_is_only_at_risk(auth, store):
    line = lan_assessed_in_the_2026_review(auth, store, date(2021, 12, 16))
    assert (line["years_on_list"], line["rule_outcome"]) == (4, "at_risk")
    assert line["rule_reason"] == "Trong danh sách đủ 4 năm (tính đến ngày 15/12/2026), chưa có dấu hiệu phát triển"


def test_a_talent_recognised_on_20_december_2021_is_at_risk_not_removed_in_the_2026_review(auth, store):
    """Calendar years said 5 (2026 - 2021) and removed her; by 15 December she has completed 4."""
    line = lan_assessed_in_the_2026_review(auth, store, date(2021, 12, 20))
    assert (line["years_on_list"], line["rule_outcome"]) == (4, "at_risk")


def test_a_talent_recognised_on_20_december_2022_is_kept_not_at_risk_in_the_2026_review(auth, store):
    """Calendar years said 4 and put her at risk; by 15 December she has completed 3."""
    line = lan_assessed_in_the_2026_review(auth, store, date(2022, 12, 20))
    assert (line["years_on_list"], line["rule_outcome"]) == (3, "keep")


# ------------------------------------------------------------------ the first version keeps its rule
def first_version_sources() -> list[SourceFile]:
    """The first assessment diagram and its table, as its golden history recorded them."""
    [definition] = json.loads(FIRST_VERSION_HISTORY.read_text(encoding="utf-8"))["definitions"].values()
    return [SourceFile(s["name"], s["content"].encode("utf-8")) for s in definition["sources"]]


def deploy(store: Any, sources: list[SourceFile]) -> int:
    with store.transaction() as session:
        row, created = deploy_files(session, sources, "admin")
    assert created
    return int(row.version)


def test_the_recorded_first_version_asks_for_calendar_years():
    """Its diagram asks for the facts without the closing moment and its table words the reason
    without the day counted to: the version the next test runs, as the city deployed it."""
    files = {s.name: s.content.decode("utf-8") for s in first_version_sources()}
    assert "appointed_or_promoted=appointed_or_promoted)" in files["talent_assessment.bpmn"]
    assert "closes_at" not in files["talent_assessment.bpmn"]
    assert '" năm, không có triển vọng phát triển' in files["talent_review_outcome.dmn"]


def test_an_assessment_started_on_the_first_version_keeps_its_calendar_count_after_the_new_one_is_deployed(
        auth, store):
    old = deploy(store, first_version_sources())  # the city still ran the first version ...
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2021, 12, 20))
    case = start_review(auth)                       # ... when the 2026 review started its assessments
    [task] = assessments(auth, "head_gddt", case["id"])
    new = deploy(store, sources_for(BPMN_DIR / "talent_assessment.bpmn"))  # then the new count is deployed
    assert new == old + 1

    assessed = complete(auth, "head_gddt", task["id"], PLAIN)
    assert (assessed["process_version"], assessed["status"]) == (old, "assessed")
    line = outcome_of(review(auth, case["id"]), lan)
    assert (line["years_on_list"], line["rule_outcome"]) == (5, "remove")  # the rule it started under
    assert "years_counted_to" not in line
    assert line["rule_reason"].startswith("Trong danh sách 5 năm, không có triển vọng phát triển")
