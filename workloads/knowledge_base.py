"""Knowledge-base Q&A: split documents into passages, embed them, answer each question with the
passages nearest to it by cosine similarity.

Outputs: answers.json, answers.md, index.npz (passage embeddings and where each passage comes from).
"""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from workloads.embedding import MODEL_NAME, Encoder, ProgressCallback
from workloads.jobdir import Job
from workloads.registry import REGISTRY
from workloads.text import chunk_text

LABELS = {
    "zh": {"title": "知识库问答结果", "question": "问题", "document": "文档", "passage": "段落", "score": "相似度"},
    "en": {
        "title": "Knowledge-base answers",
        "question": "Question",
        "document": "Document",
        "passage": "passage",
        "score": "score",
    },
}


@dataclass(frozen=True)
class Passage:
    """A piece of a document small enough to answer one question precisely."""

    document: int  # 0-based index into params["documents"]
    position: int  # 0-based passage number within its document
    text: str


def run(job: Job) -> None:
    started = time.monotonic()
    documents: list[str] = job.params["documents"]
    questions: list[str] = job.params["questions"]
    language = job.params.get("language", "zh")

    job.progress(5, "Splitting documents into passages")
    passages = split_documents(documents)
    top_k = min(int(job.params.get("top_k", 3)), len(passages))

    job.progress(10, "Loading the embedding model")
    encoder = Encoder()
    job.progress(15, f"Embedding {len(passages)} passages")
    passage_vectors = encoder.passages(
        [p.text for p in passages], on_batch=_reporter(job, 15, 80, "Embedding passages")
    )
    job.progress(85, f"Embedding {len(questions)} questions")
    question_vectors = encoder.queries(questions)

    job.progress(90, "Ranking passages for each question")
    answers = answer_questions(questions, question_vectors, passages, passage_vectors, top_k)
    _write_outputs(job, answers, passages, passage_vectors, language)
    job.write_output(
        "result.json",
        {
            "workload": "knowledge_base",
            "title": REGISTRY["knowledge_base"].title,
            "model": MODEL_NAME,
            "documents": len(documents),
            "passages": len(passages),
            "questions": len(questions),
            "top_k": top_k,
            "best_answers": [
                {"question": a["question"], "passage": a["passages"][0]["text"], "score": a["passages"][0]["score"]}
                for a in answers
            ],
            "seconds": round(time.monotonic() - started, 2),
            "files": list(REGISTRY["knowledge_base"].outputs),
        },
    )
    job.progress(100, "Done")


def split_documents(documents: list[str]) -> list[Passage]:
    return [
        Passage(document=index, position=position, text=text)
        for index, document in enumerate(documents)
        for position, text in enumerate(chunk_text(document))
    ]


def answer_questions(
    questions: list[str],
    question_vectors: np.ndarray,
    passages: list[Passage],
    passage_vectors: np.ndarray,
    top_k: int,
) -> list[dict[str, Any]]:
    """The top_k passages per question, best first; vectors are normalised, so dot = cosine."""
    scores = question_vectors @ passage_vectors.T
    answers = []
    for question, row in zip(questions, scores, strict=True):
        best = np.argsort(-row, kind="stable")[:top_k]
        answers.append(
            {
                "question": question,
                "passages": [
                    {
                        "rank": rank,
                        "score": round(float(row[i]), 4),
                        "document": passages[i].document,
                        "passage": passages[i].position,
                        "text": passages[i].text,
                    }
                    for rank, i in enumerate(best, start=1)
                ],
            }
        )
    return answers


def _reporter(job: Job, low: int, high: int, stage: str) -> ProgressCallback:
    """Map batch progress onto the [low, high] percent band."""

    def report(done: int, total: int) -> None:
        job.progress(low + (high - low) * done // max(total, 1), f"{stage}: {done}/{total}")

    return report


def _write_outputs(
    job: Job, answers: list[dict[str, Any]], passages: list[Passage], vectors: np.ndarray, language: str
) -> None:
    job.write_output("answers.json", {"model": MODEL_NAME, "answers": answers})
    job.write_text("answers.md", render_markdown(answers, LABELS.get(language, LABELS["en"])))
    np.savez_compressed(
        job.output / "index.npz",
        embeddings=vectors,
        document=np.array([p.document for p in passages], dtype=np.int32),
        passage=np.array([p.position for p in passages], dtype=np.int32),
        text=np.array([p.text for p in passages], dtype=np.str_),
    )


def render_markdown(answers: list[dict[str, Any]], labels: dict[str, str]) -> str:
    lines = [f"# {labels['title']}", ""]
    for number, answer in enumerate(answers, start=1):
        lines += [f"## {labels['question']} {number}: {answer['question']}", ""]
        for hit in answer["passages"]:
            source = f"{labels['document']} {hit['document'] + 1}, {labels['passage']} {hit['passage'] + 1}"
            lines += [
                f"{hit['rank']}. **{source}** ({labels['score']} {hit['score']:.3f})",
                "",
                f"   > {hit['text']}",
                "",
            ]
    return "\n".join(lines)
