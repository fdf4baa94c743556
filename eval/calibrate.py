"""`rag calibrate`: fit the short-answer reader and the abstention model on the dev splits of several corpora.

1. For every dev question of every gold set, the chain's own retrieval gives the passages and the answerer its
   decision (rag.answering.extractive.ExtractiveAnswerer.decide: the best unit with its continuation), the same
   code `rag ask` runs. The unit scorer keeps the configured (hand-set) weights.
2. Reader: each span candidate of the cited unit of an answerable factoid question is positive when its SQuAD F1
   with a short gold answer (at most 6 words; long-form answers such as ClapNQ's train nothing here) is >= 0.5;
   a logistic model over rag.answering.short_answer.SPAN_FEATURES is fitted, every corpus weighing the same.
   Its threshold is the one that maximises the mean dev F1 over the corpora (below it the whole unit is the
   answer scored).
3. Abstention: with that reader, each question's abstention signals (rag.answering.abstention.ABSTAIN_FEATURES)
   train one logistic model, answerable vs unanswerable, every corpus weighing the same. Its one threshold is the
   highest whose false-refusal rate stays within --max-false-refusal on the dev answerable questions of every
   corpus. No per-corpus threshold.
The fitted numbers are printed as RAG_* settings (and written with --write), to be put in rag/settings.py;
eval/calibration.json records the fits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click
import numpy as np

from eval.cli import reports_errors
from eval.metrics import share

if TYPE_CHECKING:
    from eval.gold_io import GoldItem
    from rag.answering.chain import ChainState
    from rag.answering.extractive import Decision, ExtractiveAnswerer
    from rag.store import StoreView

SHORT_GOLD_WORDS = 6


@dataclass
class Row:
    corpus: str
    item: GoldItem
    state: ChainState  # the chain's state after retrieval (query, query_vector, passages)
    decision: Decision
    snapshot: StoreView | None = None  # the index the question was answered from (set by _rows_for)
    answerer: ExtractiveAnswerer | None = None  # its extractive answerer (set by _rows_for)


def collect(services, items, corpus: str) -> list[Row]:
    """One prepare + retrieval per question, as the chain runs it, then the answerer's decision."""
    answerer = services.assistant.answerers["extractive"]
    rows = []
    for item in items:
        state = services.assistant.retrieve_state(item.question, history=item.history)
        rows.append(Row(corpus, item, state, answerer.decide(state.query, state.passages,
                                                             state.query_vector)))
    return rows


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0, balanced: bool = False,
                 weight: np.ndarray | None = None) -> list[float]:
    """Logistic regression: [bias, *weights]; ``balanced`` weighs the classes equally, ``weight`` the samples."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit(x, y, sample_weight=weight)
    # sklearn ships no annotations; pyright infers intercept_ as ndarray | float from liblinear's no-intercept
    # branch, but with fit_intercept (the default) it is an ndarray of shape (1,).
    intercept = model.intercept_[0]  # pyright: ignore[reportIndexIssue]
    return [round(float(intercept), 4), *[round(float(w), 4) for w in model.coef_[0]]]


HAND_SET_UNIT_WEIGHTS = (-6.0, 6.0, 3.0, 1.0, 1.5, 0.5, 1.0, 2.0)  # bias + the first 7 unit features (before fitting)
UNIT_PRIOR_STRENGTH = (1000.0, 3.0)  # penalty on moving a hand-set weight, on a new feature's weight


def fit_unit_scorer(questions: list[tuple[str, list[list[float]], list[bool]]], prior: Sequence[float],
                    strength: tuple[float, float] = UNIT_PRIOR_STRENGTH) -> list[float]:
    """The unit scorer's logistic weights [bias, *weights], fitted on candidate units labelled by whether they hold
    a gold answer, with an L2 penalty pulling the weights toward ``prior`` rather than toward 0: the weights that
    have a hand-set value (HAND_SET_UNIT_WEIGHTS) under ``strength[0]``, the others (prior 0) under
    ``strength[1]``. With a few hundred dev questions a free fit of every weight scored worse on held-out data
    than the hand-set weights (docs/EVAL.md); this keeps them and fits what the new features add. ``questions``
    holds (corpus, candidate vectors, labels) of answerable questions with at least one positive unit; every
    corpus weighs the same, every question of a corpus the same, and the units of a question share its weight."""
    from scipy.optimize import minimize

    per_corpus: dict[str, int] = {}
    for corpus, *_ in questions:
        per_corpus[corpus] = per_corpus.get(corpus, 0) + 1
    rows, labels, weights = [], [], []
    for corpus, vectors, marks in questions:
        for vector, mark in zip(vectors, marks):
            rows.append(vector)
            labels.append(float(mark))
            weights.append(1.0 / (per_corpus[corpus] * len(vectors)))
    x, y = np.array(rows, float), np.array(labels)
    sample = np.array(weights) * len(rows) / len(per_corpus)
    center = np.array(prior, float)
    penalty = np.array([strength[0] if i < len(HAND_SET_UNIT_WEIGHTS) - 1 else strength[1]
                        for i in range(len(center) - 1)])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = np.clip(w[0] + x @ w[1:], -50, 50)
        p = 1.0 / (1.0 + np.exp(-z))
        nll = -np.sum(sample * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        gap = w[1:] - center[1:]
        grad = np.concatenate([[np.sum(sample * (p - y))], x.T @ (sample * (p - y)) + 2 * penalty * gap])
        return nll + float(penalty @ (gap * gap)), grad

    fitted = minimize(loss, center.copy(), jac=True, method="L-BFGS-B").x
    return [round(float(v), 4) for v in fitted]


def unit_labels(row: Row) -> list[bool]:
    """Which candidate units of an answerable row answer it: those holding a gold answer (token-boundary match,
    as the ``contains`` metric); when every gold answer is long-form (more than SHORT_GOLD_WORDS words, ClapNQ),
    those overlapping an evidence quote instead."""
    from eval.metrics import contains_answer
    from eval.relevance import quote_spans

    golds = row.item.answers
    long_form = all(len(g.split()) > SHORT_GOLD_WORDS for g in golds)
    labels = []
    for cand in row.decision.ranked:
        hit = any(contains_answer(g, cand.text) for g in golds)
        if not hit and long_form:
            assert row.snapshot is not None  # set by _rows_for
            text = row.snapshot.document(cand.passage.chunk.source).text
            hit = any(a < cand.end and cand.start < b for q in row.item.evidence for a, b in quote_spans(text, q))
        labels.append(hit)
    return labels


def fit_units(rows: list[Row]) -> tuple[list[float], dict]:
    """Fit the unit scorer (fit_unit_scorer) on the answerable rows whose candidates hold an answer."""
    from rag.answering.extractive import FEATURES

    questions = []
    for row in rows:
        if not row.item.answerable or not row.decision.ranked:
            continue
        labels = unit_labels(row)
        if any(labels):
            questions.append((row.corpus, [c.vector() for c in row.decision.ranked], labels))
    prior = list(HAND_SET_UNIT_WEIGHTS) + [0.0] * (len(FEATURES) + 1 - len(HAND_SET_UNIT_WEIGHTS))
    weights = fit_unit_scorer(questions, prior)
    per_corpus: dict[str, int] = {}
    for corpus, *_ in questions:
        per_corpus[corpus] = per_corpus.get(corpus, 0) + 1
    return weights, {"questions": len(questions), "per_corpus": per_corpus, "prior_strength": UNIT_PRIOR_STRENGTH}


VETOED = float("-inf")  # the confidence recorded for a question the type veto refuses (Decision.veto)


def choose_threshold(conf_answerable: list[float], conf_unanswerable: list[float], max_false_refusal: float) -> float:
    """The highest threshold whose false-refusal rate on answerable questions stays within the budget."""
    return choose_joint_threshold({"all": (conf_answerable, conf_unanswerable)}, max_false_refusal)


def choose_joint_threshold(groups: dict[str, tuple[list[float], list[float]]], max_false_refusal: float) -> float:
    """One threshold for several corpora: the highest whose false-refusal rate stays within the budget on the
    answerable questions of every corpus, moved halfway down to the next lower answerable confidence. A question
    the type veto refuses (confidence VETOED) counts as refused at every threshold."""
    answerable = [c for a, _ in groups.values() for c in a if c != VETOED]
    candidates = sorted(set(answerable) | {c for _, u in groups.values() for c in u if c != VETOED} | {0.0})
    best = 0.0
    for t in candidates:
        if all(np.mean([c < t for c in a]) <= max_false_refusal for a, _ in groups.values() if a):
            best = t
    lower = [c for c in answerable if c < best]
    return round((best + max(lower)) / 2, 4) if lower else round(best, 4)


def _corpus_weights(rows: list[Row], keep) -> np.ndarray:
    """Sample weights under which every corpus weighs the same, whatever its size."""
    counts: dict[str, int] = {}
    for row in rows:
        if keep(row):
            counts[row.corpus] = counts.get(row.corpus, 0) + 1
    return np.array([1.0 / counts[row.corpus] for row in rows if keep(row)]) * len(rows)


def _span_rows(rows: list[Row], reader, idf_of):
    """(row, unit text, span candidates, F1 of each with the gold answers) for answerable factoid questions."""
    from eval.squad import compute_f1

    out = []
    for row in rows:
        decision = row.decision
        # Long-form gold answers (ClapNQ's, explanations) are not short answers: those items do not train the reader.
        golds = [g for g in row.item.answers if len(g.split()) <= SHORT_GOLD_WORDS]
        if not golds or decision.best is None:
            continue
        text = _unit_text(row)
        candidates = reader.candidates(row.state.query, text, idf_of(row))
        if candidates:
            f1s = [max(compute_f1(g, text[c.start:c.end]) for g in golds) for c in candidates]
            unit_f1 = max(compute_f1(g, text) for g in golds)
            out.append((row, candidates, f1s, unit_f1))
    return out


def fit_reader(rows: list[Row], idf_of) -> tuple[list[float], float, dict]:
    from rag.answering.short_answer import SPAN_FEATURES, ShortAnswerReader

    probe = ShortAnswerReader([0.0] * (len(SPAN_FEATURES) + 1), 0.0)
    spans = _span_rows(rows, probe, idf_of)
    x, y, w = [], [], []
    per_corpus: dict[str, int] = {}
    for row, _cands, _f1s, _ in spans:
        per_corpus[row.corpus] = per_corpus.get(row.corpus, 0) + 1
    for row, cands, f1s, _ in spans:
        for cand, f1 in zip(cands, f1s):
            x.append(cand.vector())
            y.append(int(f1 >= 0.5))
            w.append(1.0 / (per_corpus[row.corpus] * len(cands)))
    weights = fit_logistic(np.array(x), np.array(y), weight=np.array(w) * len(x))
    reader = ShortAnswerReader(weights, 0.0)
    scored = []
    for row, _cands, f1s, unit_f1 in spans:
        fresh = reader.candidates(row.state.query, _unit_text(row), idf_of(row))
        best = max(range(len(fresh)), key=lambda i: (fresh[i].score, -(fresh[i].end - fresh[i].start)))
        scored.append((row.corpus, fresh[best].score, f1s[best], unit_f1))
    thresholds = sorted({0.0} | {round(p, 3) for _, p, _, _ in scored})
    corpora = sorted({c for c, *_ in scored})

    def mean_f1(t: float) -> float:
        return float(np.mean([np.mean([f1 if p >= t else unit for c2, p, f1, unit in scored if c2 == c])
                              for c in corpora]))

    threshold = max(thresholds, key=lambda t: (round(mean_f1(t), 4), -t))
    dev = {c: round(float(np.mean([f1 if p >= threshold else unit for c2, p, f1, unit in scored if c2 == c])), 4)
           for c in corpora}
    return weights, threshold, {"answered_factoid_f1": dev, "questions": len(spans), "candidates": len(x),
                                "positives": int(sum(y))}


def _unit_text(row: Row) -> str:
    assert row.snapshot is not None and row.decision.best is not None  # set by _rows_for; callers skip best None
    doc = row.snapshot.document(row.decision.best.passage.chunk.source)
    return doc.text[row.decision.span[0]:row.decision.span[1]]


@click.command("calibrate")
@click.argument("gold", nargs=-1, type=click.Path(path_type=Path))
@click.option("--corpus", "corpora", nargs=2, multiple=True, type=click.Path(path_type=Path),
              metavar="GOLD PATH", help="Index PATH for the gold file GOLD (repeatable; cached under --cache-dir).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="dev", show_default=True)
@click.option("--max-false-refusal", type=click.FloatRange(0, 1), default=0.08, show_default=True,
              help="False-refusal budget on the dev answerable questions of every corpus.")
@click.option("--write", "write_to", type=click.Path(path_type=Path), help="Also write the fitted values as JSON.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Dataset corpus cache (as rag eval).")
@click.option("--threshold-only", is_flag=True,
              help="Keep the configured weights; fit only the abstention threshold.")
@reports_errors
def calibrate(gold, corpora, split, max_false_refusal, write_to, cache_dir, threshold_only):
    """Fit the short-answer reader and the abstention model jointly on the dev split of every GOLD
    (default: seeds + SQuAD v2 slice)."""
    from eval.session import DEFAULT_CACHE, default_gold_files
    from rag.embedding import make_embedder
    from rag.runtime import configure
    from rag.settings import load_settings

    settings = load_settings()
    configure(settings)
    paths = list(gold) or [p for p in default_gold_files() if p.name == "seeds.jsonl"] + _squad_default()
    extra = {Path(g).resolve(): Path(c) for g, c in corpora}
    embedder = make_embedder(settings)
    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        for path in paths:
            rows.extend(_rows_for(stack, path, extra.get(Path(path).resolve()), settings, embedder, split,
                                  Path(cache_dir or DEFAULT_CACHE)))
        if threshold_only:
            _fit_threshold_only(rows, settings, max_false_refusal, paths, split, write_to)
            return
        _fit_all(rows, max_false_refusal, paths, split, write_to)


def _rows_for(stack, path: Path, corpus: Path | None, settings, embedder, split: str, cache: Path) -> list[Row]:
    from eval.session import index_key, prepare_index, read_datasets, select
    from rag.services import build_services

    datasets = read_datasets([path], cache)
    items = select([i for d in datasets for i in d.items], split)
    index_dir = None
    if corpus is not None:
        digest = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
        index_dir = cache / f"corpus-{digest}" / f"index-{index_key(settings, embedder.model_id)}"
    run_settings = prepare_index(stack, settings, embedder, datasets, [corpus] if corpus else [], index_dir, False)
    services = build_services(run_settings, embedder=embedder)
    rows = collect(services, items, Path(path).stem)
    snapshot = services.view()
    for row in rows:
        row.snapshot = snapshot
        row.answerer = cast("ExtractiveAnswerer", services.assistant.answerers["extractive"])  # built as one
    click.echo(f"{path}: {len(items)} {split} questions", err=True)
    return rows


def _idf_of(row: Row) -> dict[str, float]:
    from rag.answering.extractive import TermWeights
    from rag.text import content_terms

    assert row.snapshot is not None  # set by _rows_for
    weights = TermWeights.of(row.snapshot)
    return {t: weights.idf(t) for t in content_terms(row.state.query)}


def _fit_all(rows: list[Row], max_false_refusal: float, paths, split, write_to) -> None:
    from rag.answering.abstention import ABSTAIN_FEATURES, logistic
    from rag.answering.extractive import FEATURES
    from rag.answering.short_answer import SPAN_FEATURES, ShortAnswerReader

    answer_weights, units_fit = fit_units(rows)
    for row in rows:  # re-decide with the fitted unit scorer: the reader reads the unit it picks
        assert row.answerer is not None  # set by _rows_for
        row.answerer.weights = answer_weights
        row.decision = row.answerer.decide(row.state.query, row.state.passages, row.state.query_vector)
    units_fit["dev_top_unit_holds_answer"] = _top_unit_rates(rows)
    reader_weights, reader_threshold, reader_dev = fit_reader(rows, _idf_of)
    for row in rows:  # re-decide with the fitted reader: the abstention signals include its probability
        assert row.answerer is not None  # set by _rows_for
        row.answerer.reader = ShortAnswerReader(reader_weights, reader_threshold)
        row.decision = row.answerer.decide(row.state.query, row.state.passages, row.state.query_vector)
    decided = [r for r in rows if r.decision.best is not None]
    x = np.array([r.decision.signals for r in decided])
    y = np.array([int(r.item.answerable) for r in decided])
    abstain_weights = fit_logistic(x, y, balanced=True, weight=_corpus_weights(decided, lambda r: True))
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for row in decided:
        confidence = VETOED if row.decision.veto else logistic(abstain_weights, row.decision.signals)
        answerable, unanswerable = groups.setdefault(row.corpus, ([], []))
        (answerable if row.item.answerable else unanswerable).append(confidence)
    threshold = choose_joint_threshold(groups, max_false_refusal)
    result = {
        "answer_weights": answer_weights,
        "short_answer_weights": reader_weights,
        "short_answer_threshold": reader_threshold,
        "abstain_weights": abstain_weights,
        "abstain_threshold": threshold,
        "features": list(FEATURES),
        "span_features": list(SPAN_FEATURES),
        "abstain_features": list(ABSTAIN_FEATURES),
        "fit_on": {"gold": [str(p) for p in paths], "split": split, "questions": len(rows),
                   "per_corpus": {c: len(a) + len(u) for c, (a, u) in groups.items()}},
        "dev": {c: _dev_rates(a, u, threshold) for c, (a, u) in groups.items()},
        "reader_dev": reader_dev,
        "units_fit": units_fit,
    }
    _emit(result, write_to)


def _top_unit_rates(rows: list[Row]) -> dict[str, float]:
    """Per corpus: the share of answerable dev questions whose best unit holds an answer (unit_labels)."""
    hits: dict[str, list[bool]] = {}
    for row in rows:
        if row.item.answerable and row.decision.best is not None:
            best = row.decision.best
            labels = unit_labels(row)
            hits.setdefault(row.corpus, []).append(any(
                label for cand, label in zip(row.decision.ranked, labels) if cand is best))
    return {c: round(float(np.mean(v)), 4) for c, v in hits.items()}


def _dev_rates(answerable: list[float], unanswerable: list[float], threshold: float) -> dict:
    """Refusal rates at ``threshold`` on the dev split (None, JSON null, for an empty group)."""
    def refused(confidences: list[float]) -> float | None:
        rate = share(sum(c < threshold for c in confidences), len(confidences))
        return None if rate is None else round(rate, 4)

    return {"correct_refusal": refused(unanswerable), "false_refusal": refused(answerable)}


def _emit(result: dict, write_to) -> None:
    """Print the fit as JSON and as the RAG_* settings to put in rag/settings.py; write it with --write."""
    click.echo(json.dumps(result, indent=2))
    for name in ("answer_weights", "short_answer_weights", "short_answer_threshold", "abstain_weights"):
        if name in result and "span_features" in result:
            click.echo(f"RAG_{name.upper()}='{json.dumps(result[name])}'", err=True)
    click.echo(f"RAG_ABSTAIN_THRESHOLD={result['abstain_threshold']}", err=True)
    if write_to:
        Path(write_to).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _squad_default() -> list[Path]:
    path = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "squad_v2_dev_subset"
    squad = path / "dev-v2.0-subset.json"
    return [squad] if squad.exists() else []


def _fit_threshold_only(rows: list[Row], settings, max_false_refusal, paths, split, write_to) -> None:
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        if row.decision.best is None:
            continue
        answerable, unanswerable = groups.setdefault(row.corpus, ([], []))
        (answerable if row.item.answerable else unanswerable).append(
            VETOED if row.decision.veto else row.decision.confidence)
    threshold = choose_joint_threshold(groups, max_false_refusal)
    pooled_a = [c for a, _ in groups.values() for c in a]
    pooled_u = [c for _, u in groups.values() for c in u]
    result = {
        "answer_weights": settings.answer_weights,
        "abstain_weights": settings.abstain_weights,
        "abstain_threshold": threshold,
        "fit_on": {"gold": [str(p) for p in paths], "split": split, "questions": len(rows)},
        "dev": _dev_rates(pooled_a, pooled_u, threshold),
        "dev_per_corpus": {c: _dev_rates(a, u, threshold) for c, (a, u) in groups.items()},
    }
    _emit(result, write_to)
