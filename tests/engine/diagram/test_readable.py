"""A diagram sized for a page: fitted to the room, never a word under 10 px; its steps as text."""
from __future__ import annotations

import re
from pathlib import Path

from engine.diagram.render import Marks, SMALLEST_TEXT, readable_zoom, render_svg, steps

ROOT = Path(__file__).resolve().parents[3]


def source(path: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes())]


def drawn_size(svg: str) -> tuple[float, float]:
    """(width attribute / view box width, smallest font-size drawn)"""
    tag = re.search(r"<svg [^>]*>", svg).group(0)
    box = float(re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', tag).group(1))
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return float(re.search(r' width="([\d.]+)"', tag).group(1)) / box, min(sizes)


def test_a_small_diagram_is_drawn_at_its_size_and_a_wide_one_no_smaller_than_ten_pixel_words() -> None:
    assert readable_zoom(970, 1130) == 1.0  # fits: never enlarged
    assert readable_zoom(1200, 1130) == 1130 / 1200  # a little too wide: fitted, words still over 10 px
    assert readable_zoom(5550, 1130) == 0.91 and 0.91 * SMALLEST_TEXT >= 10  # the exam: it scrolls instead
    assert readable_zoom(5550, 330) == 0.91  # on a phone too


def test_every_deployed_diagram_drawn_for_a_page_has_no_word_under_ten_pixels() -> None:
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        zoom, smallest = drawn_size(render_svg(source(path), room=1130))
        assert zoom * smallest >= 10, (path.name, zoom, smallest)
        assert f'data-smallest-text="{SMALLEST_TEXT:g}"' in render_svg(source(path))
    assert drawn_size(render_svg(source(ROOT / "bpmn/leadership_exam.bpmn")))[0] == 1.0  # no room: as drawn


def test_the_steps_are_the_named_activities_in_reading_order_with_their_states() -> None:
    listed = steps(source(ROOT / "bpmn/training_nomination.bpmn"),
                   marks=Marks(frozenset({"StartEvent_1"}), frozenset({"mentor_assessment"})))
    assert [(s.name, s.states) for s in listed] == [
        ("Nhận xét của người hướng dẫn", ("active",)), ("Thủ trưởng đơn vị phê duyệt", ()),
        ("Ghi nhận không phê duyệt", ()), ("Xếp lớp đào tạo", ()), ("Báo cáo kết quả đào tạo", ()),
        ("Ghi nhận kết quả", ())]  # left to right as drawn; events and gateways are not steps
