"""Catalog search that finds two-character Chinese terms and English words.

PostgreSQL has no Chinese word segmentation by default, so each run of CJK characters is indexed as
its overlapping bigrams (医疗影像 → 医疗 疗影 影像) next to lower-cased Latin words, in a `simple`
tsvector with a GIN index. A query term becomes the AND of its bigrams (a two-character term is one
token), or a prefix match for a Latin word. Other databases (the SQLite demo) use substring search.
"""

import re

from django.db import connection, models

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> str:
    text = (text or "").lower()
    out: list[str] = []
    for run in CJK_RUN.findall(text):
        out += _bigrams(run)
    out += LATIN_WORD.findall(text)
    return " ".join(out)


def tsquery(terms: list[str]) -> str:
    """A raw tsquery (AND of every token); tokens hold only CJK characters or [a-z0-9]."""
    parts: list[str] = []
    for term in (t.lower() for t in terms):
        for run in CJK_RUN.findall(term):
            parts += [f"{t}:*" if len(t) == 1 else t for t in _bigrams(run)]
        parts += [f"{w}:*" for w in LATIN_WORD.findall(term)]
    return " & ".join(dict.fromkeys(parts))


@models.TextField.register_lookup
class StoredTsMatch(models.Lookup):
    """`search_tokens__tsmatch=raw`: match against the stored tsvector column that PostgreSQL keeps
    beside `search_tokens` (migration 0005). Compiling from the column keeps the table alias right
    inside subqueries (facet counts)."""

    lookup_name = "tsmatch"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        column = lhs.replace('"search_tokens"', '"search_vector"')
        return f"{column} @@ to_tsquery('simple', {rhs})", [*lhs_params, *rhs_params]


def filter_by_terms(qs, terms: list[str]):
    if not terms:
        return qs
    if connection.vendor == "postgresql":
        raw = tsquery(terms)
        if not raw:
            return qs.none()
        return qs.filter(search_tokens__tsmatch=raw)
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return qs
