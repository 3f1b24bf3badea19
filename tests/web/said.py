"""What a page says in its error areas, and whether it says it in the page's language.

The judge of "no English on a Vietnamese page": a message shown beside a field, in an error
banner or on an error page must be a Vietnamese catalogue string (with its parameters filled in),
or the Vietnamese half of a process's bilingual rule — never an English msgid, never one of
marshmallow's or the engine's English sentences, never a "vi / en" message shown whole.
"""
from __future__ import annotations

import html
import inspect
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from marshmallow import fields, validate

ROOT = Path(__file__).resolve().parents[2]
_AREAS = [re.compile(r'<ul class="field-errors"[^>]*>(.*?)</ul>', re.S),
          re.compile(r'<div class="flash flash-error"[^>]*>(.*?)</div>', re.S),
          re.compile(r'<div class="flash flash-error" role="alert" id="sheet-errors">(.*?)</div>', re.S),
          re.compile(r'<p id="form-errors-title"><strong>(.*?)</strong></p>', re.S),  # the error summary's
          re.compile(r'<div class="error-summary"[^>]*>.*?<ul>(.*?)</ul>', re.S)]  # title and its lines
_NOTICE = re.compile(r'<p class="notice">(.*?)</p>', re.S)
#: What the engine and the processes say in English (engine/, workflows/): a few of each kind.
ENGINE_PHRASES = ("unknown unit", "unknown user", "you may not", "you are not", "not found", "declare relations",
                  "is claimed", "no longer ready", "reload and retry", "already", "not a candidate", "one of",
                  "required", "must be", "must not", "choose someone", "is running", "is completed")
#: Words no Vietnamese sentence of ours uses; two of them in one message make it English.
ENGLISH_WORDS = {"the", "is", "not", "must", "be", "of", "to", "may", "you", "field", "valid", "for", "and",
                 "or", "was", "with", "only", "required", "missing", "unknown", "case", "task", "data", "than"}
#: Words of Vietnamese that any sentence of ours in Vietnamese nearly always has and English never.
VIETNAMESE_WORDS = re.compile(r"\b(không|phải|là|có|được|của|và|hồ sơ|công việc|giá trị|hợp lệ|bắt buộc)\b",
                              re.I)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def messages_in(page: str, status: int = 200) -> list[str]:
    """Each message of the page's error areas (field messages, error banners, an error page's notice)."""
    found = [_text(li) for area in _AREAS for block in area.findall(page)
             for li in (re.findall(r"<li>(.*?)</li>", block, re.S) or [block])]
    if status >= 400:
        found += [_text(m) for m in _NOTICE.findall(page)]
    return [m for m in found if m]


def _catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po) if m.id and isinstance(m.id, str)}


@lru_cache(maxsize=1)
def catalogues() -> tuple[dict[str, str], ...]:
    pages = ROOT / "api/web/translations/vi/LC_MESSAGES/messages.po"
    processes = sorted((ROOT / "workflows/translations").glob("vi/LC_MESSAGES/*.po"))
    return tuple(_catalogue(p) for p in [pages, *processes])


def _pattern(text: str, placeholder: str, whole: bool = True) -> re.Pattern[str]:
    body = "(.+?)".join(re.escape(p) for p in re.split(placeholder, text))
    return re.compile("^" + body + "$" if whole else body, re.S)


@lru_cache(maxsize=1)
def vietnamese_patterns() -> list[re.Pattern[str]]:
    """Every Vietnamese catalogue string, its ``%(name)s`` parameters free."""
    return [_pattern(vi, r"%\([a-z_]+\)[sd]") for cat in catalogues() for vi in cat.values() if vi]


@lru_cache(maxsize=1)
def english_msgids() -> set[str]:
    """The catalogues' English msgids (those whose Vietnamese differs)."""
    return {msgid for cat in catalogues() for msgid, vi in cat.items() if vi and vi != msgid}


@lru_cache(maxsize=1)
def marshmallow_messages() -> list[re.Pattern[str]]:
    """marshmallow's own default messages, their ``{parameters}`` free."""
    said = [m for _, cls in inspect.getmembers(fields, inspect.isclass) if issubclass(cls, fields.Field)
            for m in getattr(cls, "default_error_messages", {}).values()]
    said += [getattr(cls, name) for _, cls in inspect.getmembers(validate, inspect.isclass)
             for name in dir(cls) if name.startswith("message") or name == "default_message"
             if isinstance(getattr(cls, name, None), str)]
    return [_pattern(m, r"\{[a-z_]*\}", whole=False) for m in said
            if isinstance(m, str) and len(re.sub(r"\{[a-z_]*\}", "", m)) > 8]


def why_not_vietnamese(message: str) -> str | None:
    """None when ``message`` is Vietnamese as the catalogues say it; else what is wrong with it."""
    if message in english_msgids():
        return "an English msgid"
    if " / " in message and VIETNAMESE_WORDS.search(message):
        return "a bilingual message shown whole"
    if any(p.search(message) for p in marshmallow_messages()):
        return "marshmallow's English"
    lower = message.lower()
    if phrase := next((p for p in ENGINE_PHRASES if p in lower), None):
        return f"the engine's English ({phrase!r})"
    if len(set(re.findall(r"[a-z]+", lower)) & ENGLISH_WORDS) >= 2:
        return "English words"
    if any(p.match(message) for p in vietnamese_patterns()):
        return None
    if re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", lower):
        return None  # the Vietnamese half of a process's own bilingual rule
    return "not a Vietnamese catalogue string"


def not_vietnamese(messages: list[str]) -> dict[str, str]:
    """The messages that are not Vietnamese, each with why."""
    return {m: why for m in messages if (why := why_not_vietnamese(m))}


def not_english(messages: list[str]) -> list[str]:
    """The messages an English page shows in Vietnamese."""
    return [m for m in messages if VIETNAMESE_WORDS.search(m)]
