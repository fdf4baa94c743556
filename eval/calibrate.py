"""`rag calibrate`: fit the extractive answerer's sentence scorer and its abstention model on a dev split.

1. For every dev question, the chain's own retrieval gives the passages and the answerer its candidate sentences
   and features (the same code `rag ask` runs). A candidate is positive when it contains a gold answer (SQuAD
   normalisation) — that trains the sentence model (logistic regression over rag.answering.extractive.FEATURES).
2. With that model, each question's best sentence gives the abstention features (ABSTAIN_FEATURES in
   rag.answering.extractive);
   answerable vs unanswerable trains the abstention model.
3. The threshold is the one that refuses the most unanswerable dev questions while keeping false refusals on the
   answerable dev questions at or under --max-false-refusal.
The fitted numbers are printed as RAG_* settings (and written with --write), to be put in rag/settings.py.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from eval.cli import reports_errors
from eval.metrics import share


def collect(services, items):
    """Per question: (item, candidate sentences with their features, labels 1 = holds a gold answer)."""
    from eval.squad import normalize_answer

    answerer = services.assistant.answerers["extractive"]
    questions = []
    for item in items:
        # One prepare + retrieval, as the chain runs it: the same (possibly rewritten) query and its vector.
        state = services.assistant.retrieve_state(item.question, history=item.history)
        candidates = answerer.candidates(state.query, state.passages)
        answerer.featurize(state.query, candidates, state.query_vector)
        golds = [normalize_answer(a) for a in item.answers if normalize_answer(a)]
        labels = [int(any(g in normalize_answer(c.text) for g in golds)) for c in candidates]
        questions.append((item, candidates, labels))
    return questions


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0, balanced: bool = False) -> list[float]:
    """Logistic regression; unbalanced keeps the outputs calibrated probabilities (the sentence model's scores
    are compared with each other and with the threshold), balanced suits the abstention model, whose threshold
    is chosen afterwards anyway."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
    model.fit(x, y)
    # sklearn ships no annotations; pyright infers intercept_ as ndarray | float from liblinear's no-intercept
    # branch, but with fit_intercept (the default) it is an ndarray of shape (1,).
    intercept = model.intercept_[0]  # pyright: ignore[reportIndexIssue]
    return [round(float(intercept), 4), *[round(float(w), 4) for w in model.coef_[0]]]


def _no_store_view() -> NoReturn:
    """The store getter of the scorers below: they only score features already computed (probability,
    abstain_vector, confidence), which never read the store."""
    raise RuntimeError("the calibration scorer reads no store view; its features come from collect()")


def choose_threshold(conf_answerable: list[float], conf_unanswerable: list[float], max_false_refusal: float) -> float:
    """The highest threshold whose false-refusal rate on answerable questions stays within the budget."""
    candidates = sorted(set(conf_answerable) | set(conf_unanswerable) | {0.0})
    best = 0.0
    for t in candidates:
        false_refusal = np.mean([c < t for c in conf_answerable]) if conf_answerable else 0.0
        if false_refusal <= max_false_refusal:
            best = t
    # halfway to the next lower answerable confidence, so the boundary is not on a training point
    lower = [c for c in conf_answerable if c < best]
    return round((best + max(lower)) / 2, 4) if lower else round(best, 4)


@click.command("calibrate")
@click.argument("gold", nargs=-1, type=click.Path(path_type=Path))
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="dev", show_default=True)
@click.option("--max-false-refusal", type=click.FloatRange(0, 1), default=0.08, show_default=True,
              help="False-refusal budget on the dev answerable questions.")
@click.option("--write", "write_to", type=click.Path(path_type=Path), help="Also write the fitted values as JSON.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Dataset corpus cache (as rag eval).")
@click.option("--threshold-only", is_flag=True,
              help="Keep the configured weights; fit only the abstention threshold.")
@reports_errors
def calibrate(gold, split, max_false_refusal, write_to, cache_dir, threshold_only):
    """Fit answer-sentence and abstention weights on the dev split of GOLD (default: seeds + SQuAD v2 slice)."""
    from eval.session import DEFAULT_CACHE, default_gold_files, prepare_index, read_datasets, select
    from rag.answering.extractive import ABSTAIN_FEATURES, FEATURES
    from rag.embedding import make_embedder
    from rag.runtime import configure
    from rag.services import build_services
    from rag.settings import load_settings

    settings = load_settings()
    configure(settings)
    paths = list(gold) or [p for p in default_gold_files() if p.name == "seeds.jsonl"] + _squad_default()
    embedder = make_embedder(settings)
    rows = []
    for path in paths:
        with contextlib.ExitStack() as stack:
            datasets = read_datasets([path], cache_dir or DEFAULT_CACHE)
            items = select([i for d in datasets for i in d.items], split)
            run_settings = prepare_index(stack, settings, embedder, datasets, [], None, False)
            services = build_services(run_settings, embedder=embedder)
            rows.extend(collect(services, items))
            click.echo(f"{path}: {len(items)} {split} questions", err=True)

    if threshold_only:
        _fit_threshold_only(rows, settings, embedder, max_false_refusal, paths, split, write_to)
        return
    x = np.array([c.vector() for item, cands, _labels in rows if item.answerable for c in cands])
    y = np.array([label for item, _cands, labels in rows if item.answerable for label in labels])
    sentence_weights = fit_logistic(x, y)

    from rag.answering.extractive import ExtractiveAnswerer

    scorer = ExtractiveAnswerer(embedder, _no_store_view, 0.0, weights=sentence_weights)
    bests = []
    for item, cands, _ in rows:
        if not cands:
            continue
        for c in cands:
            c.score = scorer.probability(c.vector())
        bests.append((item, max(cands, key=lambda c: c.score)))
    abstain_weights = fit_logistic(np.array([scorer.abstain_vector(best) for _, best in bests]),
                                   np.array([int(item.answerable) for item, _ in bests]), balanced=True)
    scorer.abstain_weights = abstain_weights
    answerable = [scorer.confidence(best) for item, best in bests if item.answerable]
    unanswerable = [scorer.confidence(best) for item, best in bests if not item.answerable]
    threshold = choose_threshold(answerable, unanswerable, max_false_refusal)
    result = {
        "answer_weights": sentence_weights,
        "abstain_weights": abstain_weights,
        "abstain_threshold": threshold,
        "features": list(FEATURES),
        "abstain_features": list(ABSTAIN_FEATURES),
        "fit_on": {"gold": [str(p) for p in paths], "split": split, "questions": len(rows),
                   "candidates": int(len(y)), "positives": int(y.sum())},
        "dev": _dev_rates(answerable, unanswerable, threshold),
    }
    _emit(result, write_to)


def _dev_rates(answerable: list[float], unanswerable: list[float], threshold: float) -> dict:
    """Refusal rates at ``threshold`` on the dev split (None, JSON null, for an empty group)."""
    def refused(confidences: list[float]) -> float | None:
        rate = share(sum(c < threshold for c in confidences), len(confidences))
        return None if rate is None else round(rate, 4)

    return {"correct_refusal": refused(unanswerable), "false_refusal": refused(answerable)}


def _emit(result: dict, write_to) -> None:
    """Print the fit as JSON and as the RAG_* settings to put in rag/settings.py; write it with --write."""
    click.echo(json.dumps(result, indent=2))
    if "features" in result:  # a full fit; --threshold-only keeps the configured weights
        for name in ("answer_weights", "abstain_weights"):
            click.echo(f"RAG_{name.upper()}='{json.dumps(result[name])}'", err=True)
    click.echo(f"RAG_ABSTAIN_THRESHOLD={result['abstain_threshold']}", err=True)
    if write_to:
        Path(write_to).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _squad_default() -> list[Path]:
    path = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "squad_v2_dev_subset"
    squad = path / "dev-v2.0-subset.json"
    return [squad] if squad.exists() else []


def _fit_threshold_only(rows, settings, embedder, max_false_refusal, paths, split, write_to) -> None:
    from rag.answering.extractive import ExtractiveAnswerer

    scorer = ExtractiveAnswerer(embedder, _no_store_view, 0.0, weights=settings.answer_weights,
                                abstain_weights=settings.abstain_weights)
    answerable, unanswerable = [], []
    for item, cands, _labels in rows:
        if not cands:
            continue
        best = max(cands, key=lambda c: c.score)
        (answerable if item.answerable else unanswerable).append(scorer.confidence(best))
    threshold = choose_threshold(answerable, unanswerable, max_false_refusal)
    result = {
        "answer_weights": settings.answer_weights,
        "abstain_weights": settings.abstain_weights,
        "abstain_threshold": threshold,
        "fit_on": {"gold": [str(p) for p in paths], "split": split, "questions": len(rows)},
        "dev": _dev_rates(answerable, unanswerable, threshold),
    }
    _emit(result, write_to)
