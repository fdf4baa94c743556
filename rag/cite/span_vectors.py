"""Vectors of passage spans without a model call: the store keeps every answer unit's vector (StoreView.unit_vectors),
and a span of consecutive sentences gets their length-weighted mean, L2-normalised (the same pooling the index
uses for chunk vectors). Only the answer's sentences, claims and single words are embedded at verification time.
"""

from __future__ import annotations

import numpy as np

from rag.store import StoreView


def span_vector(snapshot: StoreView, source: str, sentences: list[tuple[int, int]]) -> np.ndarray | None:
    """The vector of the text covering ``sentences`` (document offsets), or None when one is not stored (the
    caller embeds the text then)."""
    if not sentences:
        return None
    try:
        rows = snapshot.unit_vectors(source, sentences)
    except KeyError:
        return None
    weights = np.array([max(1, e - s) for s, e in sentences], np.float32)
    vector = weights @ rows
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None
