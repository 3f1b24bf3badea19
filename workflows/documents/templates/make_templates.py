"""Remake the shipped Word templates of the Decree 30 documents (run it after changing it):

    python workflows/documents/templates/make_templates.py

The ``.docx`` files beside this script are what the service fills (docxtpl); an officer edits
copies of them in Word (docs/documents.md says how). This script is only how the shipped ones
were made, so that they can be remade consistently: A4, Times New Roman 14 pt (13 pt in tables)
with Liberation Serif named as its alternative in the font table, the Decree's margins
(top and bottom 20 mm, left 30 mm, right 15 mm), the national heading and the issuing body side by
side, the number and symbol, place and date, title and subject (trích yếu), the body, the
recipients (Nơi nhận) and the signer. It needs python-docx, not the service.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Callable

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
FONT, FALLBACK = "Times New Roman", "Liberation Serif"
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT


def new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(14)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    style.paragraph_format.space_after, style.paragraph_format.space_before = Pt(0), Pt(0)
    return doc


def para(container, text: str = "", bold: bool = False, italic: bool = False, size: float | None = None,
         align=JUSTIFY, indent: bool = False, after: float = 0):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    if indent:
        p.paragraph_format.first_line_indent = Mm(12.7)
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    return p


def _no_borders(table) -> None:
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def _widths(table, *widths) -> None:
    """Column widths in the table grid (what LibreOffice reads) and on every cell (what Word reads)."""
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _cell(table, row: int, col: int):
    cell = table.cell(row, col)
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    return cell


def heading(doc, title: str) -> None:
    """The issuing body and number (left), the national heading, place and date (right), the
    document's title and its subject (trích yếu)."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_borders(table)
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    _widths(table, Mm(70), Mm(95))
    para(left, "{{ issuer_parent }}", size=12, align=CENTER)
    para(left, "{{ issuer }}", bold=True, size=12, align=CENTER)
    para(left, "―――――", size=8, align=CENTER)
    para(left, "Số: {{ symbol }}", size=13, align=CENTER)
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align=CENTER)
    para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align=CENTER)
    para(right, "―――――――――――――", size=8, align=CENTER)
    para(right, "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", italic=True, align=CENTER)
    para(doc)
    para(doc, title, bold=True, align=CENTER)
    para(doc, "{{ subject }}", bold=True, align=CENTER)
    para(doc, "―――――――", size=8, align=CENTER, after=6)


def bases(doc, authority: str) -> None:
    para(doc, authority, bold=True, align=CENTER, after=6)
    para(doc, "{%p for line in bases %}")
    para(doc, "{{ line }}", italic=True, indent=True, after=3)
    para(doc, "{%p endfor %}")


def closing(doc) -> None:
    """Recipients (left) and the signer's title and name (right)."""
    para(doc)
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    _no_borders(table)
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    _widths(table, Mm(80), Mm(85))
    para(left, "Nơi nhận:", bold=True, italic=True, size=12, align=LEFT)
    para(left, "{%p for r in recipients %}", size=11, align=LEFT)
    para(left, "- {{ r }};", size=11, align=LEFT)
    para(left, "{%p endfor %}", size=11, align=LEFT)
    para(left, "- Lưu: VT.", size=11, align=LEFT)
    para(right, "{{ signer_capacity }}", bold=True, align=CENTER)
    para(right, "{{ signer_title }}", bold=True, align=CENTER)
    for _ in range(4):
        para(right, align=CENTER)
    para(right, "{{ signer_name }}", bold=True, align=CENTER)


def grid(doc, headers: list[str], cells: list[str], loop: str, widths: tuple[int, ...] = ()) -> None:
    """A bordered table: a header row, then one row per item of ``loop`` (``{%tr for … %}``); the
    columns ``widths`` mm wide (by default a narrow number, a wide name, the rest alike)."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    rest = (165 - 14 - 55) / (len(headers) - 2)
    _widths(table, *(Mm(w) for w in (widths or (14, 55) + (rest,) * (len(headers) - 2))))
    for i, text in enumerate(headers):
        para(_cell(table, 0, i), text, bold=True, size=13, align=CENTER)
    para(_cell(table, 1, 0), "{%tr for " + loop + " %}", size=13)
    for i in range(1, len(headers)):
        _cell(table, 1, i).add_paragraph()
    for i, text in enumerate(cells):
        para(_cell(table, 2, i), text, size=13, align=LEFT if "name" in text or "reason" in text else CENTER)
    para(_cell(table, 3, 0), "{%tr endfor %}", size=13)
    for i in range(1, len(headers)):
        _cell(table, 3, i).add_paragraph()
    para(doc, after=6)


def recognition_decision(doc) -> None:
    heading(doc, "QUYẾT ĐỊNH")
    bases(doc, "{{ authority }}")
    para(doc, "QUYẾT ĐỊNH:", bold=True, align=CENTER, after=6)
    para(doc, "Điều 1. Công nhận {{ person.title }} {{ person.name }}, sinh ngày {{ person.birth_date }}, "
         "{{ person.workplace }}, là nhân tài của thành phố Hải Phòng: loại {{ person.category }}, "
         "lĩnh vực {{ person.field }}, đơn vị {{ person.unit }}.", indent=True, after=3)
    para(doc, "Điều 2. {{ person.title }} {{ person.name }} được hưởng phụ cấp bằng {{ allowance_percent }}% "
         "mức lương hiện hưởng kể từ ngày {{ allowance_from }}, ngày ký Quyết định này, theo Điều 15 Nghị định "
         "số 179/2024/NĐ-CP.", indent=True, after=3)
    para(doc, "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân thành phố, "
         "Giám đốc Sở Nội vụ, Thủ trưởng {{ person.unit }} và {{ person.title }} {{ person.name }} chịu trách "
         "nhiệm thi hành Quyết định này./.", indent=True)
    closing(doc)


def scoring_minutes(doc) -> None:
    heading(doc, "BIÊN BẢN")
    para(doc, "Hội đồng thi tuyển chức danh {{ post }}, {{ unit }}, họp chấm điểm và tổng hợp kết quả hai "
         "vòng thi tuyển, gồm các thành viên:", indent=True, after=3)
    para(doc, "{%p for m in council %}")
    para(doc, "- {{ m.name }}: {{ m.seat }};", indent=True)
    para(doc, "{%p endfor %}")
    para(doc, "Vòng 1 (thi viết) chấm theo thang điểm 100; vòng 2 (trình bày đề án) là trung bình cộng điểm "
         "của các thành viên, làm tròn hai chữ số thập phân. Điểm đạt của mỗi vòng: {{ pass_mark }}. "
         "Kết quả chấm như sau:", indent=True, after=6)
    grid(doc, ["STT", "Họ và tên", "Số báo danh", "Vòng 1", "Vòng 2", "Tổng điểm"],
         ["{{ c.no }}", "{{ c.name }}", "{{ c.code }}", "{{ c.round1 }}", "{{ c.round2 }}", "{{ c.total }}"],
         "c in candidates")
    para(doc, "{{ remarks }}", indent=True, after=3)
    para(doc, "Biên bản được lập thành 02 bản, các thành viên Hội đồng thống nhất ký tên./.", indent=True)
    closing(doc)


def result_report(doc) -> None:
    heading(doc, "BÁO CÁO")
    para(doc, "Kính gửi: {{ addressee }}", align=CENTER, after=6)
    para(doc, "Hội đồng thi tuyển chức danh {{ post }}, {{ unit }}, báo cáo kết quả thi tuyển và xếp hạng "
         "người dự tuyển (tổng điểm hai vòng; bằng nhau thì điểm vòng 2 cao hơn xếp trước):",
         indent=True, after=6)
    grid(doc, ["Xếp hạng", "Họ và tên", "Vòng 1", "Vòng 2", "Tổng điểm", "Kết quả"],
         ["{{ r.rank }}", "{{ r.name }}", "{{ r.round1 }}", "{{ r.round2 }}", "{{ r.total }}", "{{ r.result }}"],
         "r in ranking")
    para(doc, "Người trúng tuyển: {{ winner }}.", bold=True, indent=True, after=3)
    para(doc, "Kết quả được Chủ tịch Hội đồng xác nhận và công bố ngày {{ published_on }}. Hội đồng kính báo "
         "cáo {{ addressee }} xem xét, quyết định bổ nhiệm theo quy định./.", indent=True)
    closing(doc)


def appointment_decision(doc) -> None:
    heading(doc, "QUYẾT ĐỊNH")
    bases(doc, "{{ authority }}")
    para(doc, "QUYẾT ĐỊNH:", bold=True, align=CENTER, after=6)
    para(doc, "Điều 1. Bổ nhiệm {{ person.title }} {{ person.name }}, người trúng tuyển kỳ thi tuyển chức danh "
         "{{ post }}, giữ chức vụ {{ post }}, {{ unit }}, kể từ ngày {{ effective }}.", indent=True, after=3)
    para(doc, "Điều 2. Thời hạn giữ chức vụ là {{ term_years }} năm, kể từ ngày {{ effective }} đến ngày "
         "{{ until }}.", indent=True, after=3)
    para(doc, "Điều 3. Quyết định này có hiệu lực kể từ ngày {{ effective }}. Chánh Văn phòng Ủy ban nhân dân "
         "thành phố, Giám đốc Sở Nội vụ, Thủ trưởng {{ unit }} và {{ person.title }} {{ person.name }} chịu "
         "trách nhiệm thi hành Quyết định này./.", indent=True)
    closing(doc)


def reviewed_list(doc) -> None:
    heading(doc, "DANH SÁCH")
    para(doc, "Kết quả rà soát danh sách nhân tài năm {{ review_year }} (tính đến ngày {{ counted_to }}), "
         "trình {{ addressee }} phê duyệt:", indent=True, after=6)
    for title, loop in (("I. Tiếp tục duy trì trong danh sách ({{ kept|length }} người)", "t in kept"),
                        ("II. Cảnh báo ({{ at_risk|length }} người)", "t in at_risk"),
                        ("III. Đưa ra khỏi danh sách ({{ removed|length }} người)", "t in removed")):
        para(doc, title, bold=True, after=3)
        grid(doc, ["STT", "Họ và tên", "Đơn vị", "Ngày công nhận", "Số năm", "Lý do"],
             ["{{ t.no }}", "{{ t.name }}", "{{ t.unit }}", "{{ t.recognised_on }}", "{{ t.years }}",
              "{{ t.reason }}"], loop, widths=(12, 40, 28, 26, 14, 45))
    closing(doc)


TEMPLATES: dict[str, Callable] = {
    "recognition_decision.docx": recognition_decision, "scoring_minutes.docx": scoring_minutes,
    "result_report.docx": result_report, "appointment_decision.docx": appointment_decision,
    "reviewed_talent_list.docx": reviewed_list,
}


def name_fallback(path: Path) -> None:
    """Name Liberation Serif as Times New Roman's alternative in the font table (``w:altName``), so
    a reader without Times uses the metric-compatible face and the layout does not move."""
    with zipfile.ZipFile(path) as source:
        parts = {item: source.read(item) for item in source.namelist()}
    table = parts["word/fontTable.xml"].decode("utf-8")
    entry = (f'<w:font w:name="{FONT}"><w:altName w:val="{FALLBACK}"/><w:panose1 w:val="02020603050405020304"/>'
             '<w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>')
    table = re.sub(rf'<w:font w:name="{FONT}">.*?</w:font>', "", table, flags=re.S)
    parts["word/fontTable.xml"] = table.replace("</w:fonts>", entry + "</w:fonts>").encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item, blob in parts.items():
            out.writestr(item, blob)


def main() -> None:
    for name, build in TEMPLATES.items():
        doc = new_document()
        build(doc)
        target = HERE / name
        doc.save(str(target))
        name_fallback(target)
        print(target)


if __name__ == "__main__":
    main()
