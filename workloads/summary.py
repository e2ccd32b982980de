"""Extractive summaries: TextRank over sentence-embedding similarity, the top sentences of each
document kept in their original order.

Outputs: summaries.json, summaries.md.
"""

import time
from typing import Any

import numpy as np

from workloads.embedding import MODEL_NAME, Encoder
from workloads.jobdir import Job, heartbeat
from workloads.registry import REGISTRY
from workloads.text import join_sentences, split_sentences

DAMPING = 0.85
ITERATIONS = 100
# Two sentences this similar say the same thing; a summary keeps only the better-ranked one.
DUPLICATE_SIMILARITY = 0.97

LABELS = {
    "zh": {"title": "文档摘要", "document": "文档", "sentences": "句，摘录"},
    "en": {"title": "Document summaries", "document": "Document", "sentences": "sentences, kept"},
}


def run(job: Job) -> None:
    started = time.monotonic()
    documents: list[str] = job.params["documents"]
    max_sentences = int(job.params.get("max_sentences", 5))
    language = job.params.get("language", "zh")

    job.progress(5, "Splitting documents into sentences")
    sentences = [split_sentences(document) for document in documents]
    job.progress(10, "Loading the embedding model")
    encoder = Encoder()

    summaries = []
    with heartbeat("summarising"):
        for index, document_sentences in enumerate(sentences):
            vectors = encoder.queries(document_sentences)
            summaries.append(summarise(index, document_sentences, vectors, max_sentences))
            job.progress(15 + 80 * (index + 1) // len(documents), f"Summarised document {index + 1}/{len(documents)}")

    job.write_output("summaries.json", {"model": MODEL_NAME, "max_sentences": max_sentences, "summaries": summaries})
    job.write_text("summaries.md", render_markdown(summaries, LABELS.get(language, LABELS["en"])))
    job.write_output(
        "result.json",
        {
            "workload": "text_summary",
            "title": REGISTRY["text_summary"].title,
            "model": MODEL_NAME,
            "documents": len(documents),
            "max_sentences": max_sentences,
            "summaries": [summary["summary"] for summary in summaries],
            "options": {key: job.params[key] for key in sorted(job.params) if key not in ("documents",)},
            "seconds": round(time.monotonic() - started, 2),
            "files": list(REGISTRY["text_summary"].outputs),
        },
    )
    job.progress(100, "Done")


def summarise(index: int, sentences: list[str], vectors: np.ndarray, max_sentences: int) -> dict[str, Any]:
    similarity = vectors @ vectors.T
    scores = textrank(similarity)
    chosen = pick_sentences(scores, similarity, max_sentences)
    return {
        "document": index,
        "sentences_in_document": len(sentences),
        "summary": join_sentences([sentences[i] for i in chosen]),
        "sentences": [{"index": i, "text": sentences[i], "score": round(float(scores[i]), 4)} for i in chosen],
    }


def textrank(similarity: np.ndarray) -> np.ndarray:
    """PageRank over the sentence graph, scores summing to 1.

    e5 cosines sit in a narrow high band (about 0.7 to 0.95), so raw weights would make every
    sentence look equally central; shifting by the weakest link restores the contrast.
    """
    count = len(similarity)
    if count < 3:
        return np.full(count, 1.0 / max(count, 1))
    weights = similarity.astype(np.float64).copy()
    np.fill_diagonal(weights, np.nan)
    weights = np.nan_to_num(np.clip(weights - np.nanmin(weights), 0.0, None), nan=0.0)
    row_sums = weights.sum(axis=1, keepdims=True)
    # A sentence linked to nothing spreads its vote evenly (the usual dangling-node rule).
    transition = np.where(row_sums > 0, weights / np.where(row_sums > 0, row_sums, 1.0), 1.0 / count)
    scores = np.full(count, 1.0 / count)
    for _ in range(ITERATIONS):
        updated = (1 - DAMPING) / count + DAMPING * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-9:
            return updated
        scores = updated
    return scores


def pick_sentences(scores: np.ndarray, similarity: np.ndarray, max_sentences: int) -> list[int]:
    """The best-ranked sentences (earlier wins a tie), no near-duplicates, in document order."""
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(chosen) == max_sentences:
            break
        if all(similarity[i, j] < DUPLICATE_SIMILARITY for j in chosen):
            chosen.append(int(i))
    return sorted(chosen)


def render_markdown(summaries: list[dict[str, Any]], labels: dict[str, str]) -> str:
    lines = [f"# {labels['title']}", ""]
    for summary in summaries:
        kept = len(summary["sentences"])
        heading = f"{labels['document']} {summary['document'] + 1}"
        lines += [f"## {heading} ({summary['sentences_in_document']} {labels['sentences']} {kept})", ""]
        lines += [summary["summary"], ""]
    return "\n".join(lines)
