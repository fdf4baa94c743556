"""Vectors of passage spans without a model call: the index stores every sentence's vector (rag.sentence_table),
and a span of consecutive sentences gets their length-weighted mean, L2-normalised (the same pooling the index
uses for chunk vectors). Only the answer's sentences, claims and single words are embedded at verification time.
"""

from __future__ import annotations

import numpy as np


def span_vector(snapshot, source: str, sentences: list[tuple[int, int]]) -> np.ndarray | None:
    """The vector of the text covering ``sentences`` (document offsets), or None when one is not stored."""
    table = getattr(snapshot, "sentences", None)
    if table is None or not sentences:
        return None
    rows = [table.row(source, s, e) for s, e in sentences]
    if any(r is None for r in rows):
        return None
    weights = np.array([max(1, e - s) for s, e in sentences], np.float32)
    vector = weights @ np.asarray(table.vectors[rows], np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None
