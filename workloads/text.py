"""Splitting Chinese and English text into sentences and passages (stdlib only)."""

import re
from itertools import pairwise

# A sentence ends at Chinese 。！？；… (with any closing quotes or brackets after them), at . ! ?
# followed by whitespace (so 0.05 and 1.20 stay whole), or at a line break.
_SENTENCE_END = re.compile(r"[。！？；…]+[”’」』）)\"']*|[.!?]+[\"')\]]*(?=\s)|\n+")
# A unit of length: one CJK character or one run of other non-space characters (a word, a number).
_CJK_CHARS = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"  # kana, han, hangul
_UNIT = re.compile(rf"[{_CJK_CHARS}]|[^\s{_CJK_CHARS}]+")
_CJK = re.compile(rf"[{_CJK_CHARS}]")

# Passages of about this many units keep one topic each and sit well inside the model's 512 tokens.
PASSAGE_UNITS = 200


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence in `text`, whitespace trimmed."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, span))]


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def units(text: str) -> int:
    """Length in words and CJK characters, which tracks the model's token count in both languages."""
    return len(_UNIT.findall(text))


def chunk_text(text: str, max_units: int = PASSAGE_UNITS) -> list[str]:
    """Passages of whole sentences up to `max_units`; a longer single sentence is cut at unit bounds."""
    pieces = [piece for span in sentence_spans(text) for piece in _cut(text, span, max_units)]
    passages: list[tuple[int, int]] = []
    size = 0
    for start, end in pieces:
        length = units(text[start:end])
        if passages and size + length <= max_units:
            passages[-1] = (passages[-1][0], end)
            size += length
        else:
            passages.append((start, end))
            size = length
    return [text[start:end] for start, end in passages]


def join_sentences(sentences: list[str]) -> str:
    """Chinese sentences join without spaces, others with one."""
    separator = "" if any(_CJK.search(sentence) for sentence in sentences) else " "
    return separator.join(sentences)


def _cut(text: str, span: tuple[int, int], max_units: int) -> list[tuple[int, int]]:
    start, end = span
    starts = [match.start() for match in _UNIT.finditer(text, start, end)]
    cuts = [start, *starts[max_units::max_units], end]
    return [trimmed for piece in pairwise(cuts) if (trimmed := _trim(text, piece))]


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
