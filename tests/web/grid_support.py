"""A year's review at real volume for the grid tests: thirty talents in the units of ``head_khcn``
(SKHCN and its division SKHCN-QLKH), two in SGDDT, hr starts the 2026 review (due 15/12/2026)."""
from __future__ import annotations

from datetime import date
from typing import Any

from workflows.programme import registry

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngọc", "Phúc", "Quân", "Sơn",
         "Thảo", "Uyên"]
GRID = "/tasks/grid/talent_assessment/assess_talent"
#: A plain year, as the grid posts it (a checkbox left unticked is not posted: "no").
PLAIN_ROW = {"rating": "hoan_thanh", "serving_in_city": "1", "recommendation": "keep", "comment": ""}


def names(count: int) -> list[str]:
    """``count`` different Vietnamese names (up to 30), not in alphabetical order."""
    return [f"{FAMILY[(i * 7) % len(FAMILY)]} Văn {GIVEN[(i * 4) % len(GIVEN)]}" for i in range(count)]


def review_with_talents(store: Any, auth: Any, ours: int = 30, theirs: int = 2) -> dict[str, Any]:
    """``ours`` talents in SKHCN / SKHCN-QLKH (alternately), ``theirs`` in SGDDT, then the review of 2026;
    returns the review case and the names by unit group."""
    mine, other = names(ours), [f"Trương Thị Khác {i + 1}" for i in range(theirs)]
    with store.command() as db:
        for i, name in enumerate(mine):
            registry.add_talent(db, full_name=name, category="young_scientist" if i % 3 == 0 else "cbccvc",
                                recognised_on=date(2019 + i % 6, 6, 1), unit="SKHCN" if i % 2 == 0 else "SKHCN-QLKH")
        for name in other:
            registry.add_talent(db, full_name=name, category="expert", recognised_on=date(2022, 6, 1), unit="SGDDT")
    response = auth.as_("hr").post("/api/v1/cases", json={"process": "annual_talent_review", "data": {"year": 2026}})
    assert response.status_code == 201, response.get_json()
    return {"case": response.get_json(), "ours": mine, "theirs": other}


def assessment_tasks(auth: Any, user: str) -> list[dict[str, Any]]:
    """The assessment tasks ``user`` may take, from the API."""
    items = auth.as_(user).get("/api/v1/tasks?scope=available&process=talent_assessment&per_page=200").get_json()
    return items["items"]
