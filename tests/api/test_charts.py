"""The dashboard's inline SVG charts: readable without colour, escaped, in the reader's number format."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from api.web.charts import count_columns, percent, share_bars, share_gauge

SVG = "http://www.w3.org/2000/svg"
NS = {"s": SVG}
UNITS = [("Sở Nội vụ", 0.25), ("Sở KH&CN <Khoa học>", 0.125), ("Sở Giáo dục và Đào tạo thành phố Hải Phòng", None),
         ("UBND xã Thủy Nguyên", 0.2)]


def parse(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{{{SVG}}}svg" and root.get("role") == "img"
    assert root.find("s:title", NS).text == root.get("aria-label")
    assert root.find("s:desc", NS).text
    return root


def rows(root: etree._Element, css: str) -> list[etree._Element]:
    return [g for g in root.iter(f"{{{SVG}}}g") if css in g.get("class", "").split()]


def words(element: etree._Element) -> str:
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def test_the_exam_share_per_unit_against_the_target_reads_without_colour():
    root = parse(share_bars(UNITS, target=0.2, title="Tỷ lệ bổ nhiệm qua thi tuyển"))
    lines = rows(root, "chart-row")
    assert [line.find("s:title", NS).text for line in lines] == [
        "Sở Nội vụ: 25 % · đạt (Mục tiêu 20 %)",
        "Sở KH&CN <Khoa học>: 12,5 % · chưa đạt (Mục tiêu 20 %)",
        "Sở Giáo dục và Đào tạo thành phố Hải Phòng: chưa có số liệu (Mục tiêu 20 %)",
        "UBND xã Thủy Nguyên: 20 % · đạt (Mục tiêu 20 %)",
    ]
    assert "25 % · đạt" in words(lines[0]) and "12,5 % · chưa đạt" in words(lines[1])
    assert [("on-track" in g.get("class"), "behind" in g.get("class")) for g in lines] == [
        (True, False), (False, True), (False, False), (True, False)]
    assert root.find("s:desc", NS).text == "2 trên 4 đạt mục tiêu 20 %"
    assert "Mục tiêu 20 %" in words(root)


def test_bar_lengths_follow_the_values_and_the_target_line_sits_between():
    root = parse(share_bars(UNITS, target=0.2, title="t"))
    bars = {words(g).split(":")[0]: g.find("s:rect", NS) for g in rows(root, "chart-row")}
    long, short = float(bars["Sở Nội vụ"].get("width")), float(bars["Sở KH&CN <Khoa học>"].get("width"))
    assert abs(long - 2 * short) < 0.05
    assert bars["Sở Giáo dục và Đào tạo thành phố Hải Phòng"] is None  # no data: no bar, the words say so
    start = float(bars["Sở Nội vụ"].get("x"))
    target = next(line for line in root.iter(f"{{{SVG}}}line") if line.get("class") == "target")
    assert abs(float(target.get("x1")) - start - long * 0.2 / 0.25) < 0.05


def test_labels_are_escaped_and_long_ones_shortened_with_the_whole_label_kept():
    svg = share_bars(UNITS, target=0.2, title='Tỷ lệ "thi tuyển" <2026> & đơn vị')
    assert "<Khoa học>" not in svg and "Sở KH&amp;CN &lt;Khoa học&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label") == 'Tỷ lệ "thi tuyển" <2026> & đơn vị'
    long_row = rows(root, "chart-row")[2]
    drawn = long_row.find("s:text", NS).text
    assert drawn.endswith("…") and "Sở Giáo dục và Đào tạo thành phố Hải Phòng" in long_row.find("s:title", NS).text


def test_control_characters_in_a_label_do_not_break_the_picture():
    root = parse(share_bars([("Đơn vị\x00\x07 lạ", 0.1)], target=0.2, title="t\x1b"))
    assert "Đơn vị lạ" in words(root)


def test_numbers_follow_the_reader_s_locale():
    assert percent(0.125, "vi") == "12,5 %" and percent(0.125, "en") == "12.5 %" and percent(0.2) == "20 %"
    root = parse(share_bars(UNITS, target=0.2, title="Exam share", locale="en"))
    assert "12.5 % · behind" in words(rows(root, "chart-row")[1])
    assert root.find("s:desc", NS).text == "2 of 4 at or above the 20 % target"


def test_talents_recognised_and_removed_per_year_as_columns_with_a_legend():
    root = parse(count_columns([("2024", (18, 5)), ("2025", (9, 0)), ("2026", (21, 4))],
                               series=["Công nhận", "Đưa ra khỏi danh sách"], title="Nhân tài theo năm"))
    columns = rows(root, "chart-column")
    assert [c.find("s:title", NS).text for c in columns] == [
        "2024: Công nhận 18, Đưa ra khỏi danh sách 5", "2025: Công nhận 9, Đưa ra khỏi danh sách 0",
        "2026: Công nhận 21, Đưa ra khỏi danh sách 4"]
    assert "Công nhận" in words(root) and "Đưa ra khỏi danh sách" in words(root)  # legend in words
    heights = [float(r.get("height")) for r in columns[0].findall("s:rect", NS)]
    assert abs(heights[0] / heights[1] - 18 / 5) < 0.01
    ticks = [t.text for t in root.iter(f"{{{SVG}}}text") if t.get("class") == "muted"]
    assert ticks == ["0", "5", "10", "15", "20", "25"]  # whole numbers for counts


def test_a_single_series_of_counts_such_as_overdue_tasks_per_unit():
    root = parse(count_columns([("SNV", 3), ("SKHCN", 0), ("SGDDT", 11)], title="Việc quá hạn theo đơn vị"))
    assert [c.find("s:title", NS).text for c in rows(root, "chart-column")] == ["SNV: 3", "SKHCN: 0", "SGDDT: 11"]
    assert root.find("s:desc", NS).text == "SNV: 3; SKHCN: 0; SGDDT: 11"
    empty = parse(count_columns([], title="Không có việc quá hạn"))
    assert not rows(empty, "chart-column") and empty.find("s:desc", NS).text == "chưa có số liệu"


def test_a_single_share_against_its_target_as_a_gauge():
    behind = parse(share_gauge(0.16, target=0.2, title="Toàn thành phố"))
    assert "16 % · chưa đạt" in words(behind) and "Mục tiêu 20 %" in words(behind)
    assert "behind" in behind.get("class")
    ahead = parse(share_gauge(0.31, target=0.2, title="City", locale="en"))
    assert "31 % · on track" in words(ahead) and "on-track" in ahead.get("class")
    track, bar = ahead.findall("s:rect", NS)[:2]
    assert abs(float(bar.get("width")) / float(track.get("width")) - 0.31) < 0.001
    unknown = parse(share_gauge(None, target=0.2, title="Chưa có"))
    assert "chưa có số liệu" in words(unknown) and len(unknown.findall("s:rect", NS)) == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=60), st.one_of(st.none(), st.floats(0, 1))), max_size=8),
       st.floats(0, 1), st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_any_labels_and_shares_make_a_well_formed_chart(items, target, title):
    root = parse(share_bars(items, target=target, title=title))
    assert len(rows(root, "chart-row")) == len(items)
    counts = [(label, (int(v * 100),)) for label, v in items if v is not None]
    assert len(rows(parse(count_columns(counts, title=title)), "chart-column")) == len(counts)
