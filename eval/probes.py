"""Verifier probes: scripted answer sentences run through the llm mode's citation verifier, scored per kind.

A probe file is JSONL, one object a line:
``{"id", "kind", "corpus", "question", "claim", "cite", "source", "supported", "split"}``
- ``kind``: faithful (a paraphrase of the cited text: should pass), wrong_citation (true, but the cited passage
  does not say it), changed (one number, date or name changed), reversed (negation, antonym or roles swapped),
  invented (a plausible claim the document never makes, citing a related passage), no_citation;
- ``cite``: a verbatim quote of the document the claim cites (whitespace may differ); ``source``: its file name;
- ``supported``: the expected verdict (true only for faithful); ``corpus``: a label ("seeds", "k8s").

A probe runs as in llm mode: the real assistant retrieves passages for ``question`` (k = RAG_K), the scripted
answer is ``claim [n]`` with n the number of the retrieved passage, as shown to the model, that contains
``cite`` (no marker for no_citation), and LLMAnswerer.build_answer renumbers, verifies and cites it. A probe
whose quote is in no indexed document is left out (another corpus); one whose quote is indexed but not
retrieved is reported as not run. "Unsupported" is the positive class of precision and recall.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.errors import GoldFileError

KINDS = ("faithful", "wrong_citation", "changed", "reversed", "invented", "no_citation")
FIELDS = ("id", "kind", "corpus", "question", "claim", "cite", "source", "supported", "split")
_SPACE = re.compile(r"\s+")


@dataclass
class Probe:
    id: str
    kind: str
    corpus: str
    question: str
    claim: str
    cite: str
    source: str
    supported: bool
    split: str


def is_probe_file(path: Path) -> bool:
    """A JSONL file whose first object has "claim" and "kind" fields."""
    from eval.files import parse_json, read_dataset_text
    from rag.errors import RagError

    try:  # the one bounded reader (regular files only); what it refuses, the gold loader reports
        text = read_dataset_text(Path(path), "dataset")
    except (RagError, OSError, UnicodeDecodeError):
        return False
    for line in text.splitlines():
        if line.strip():
            try:
                head = parse_json(line)
            except json.JSONDecodeError:
                return False
            return isinstance(head, dict) and {"claim", "kind"} <= head.keys()
    return False


def load_probes(path: Path) -> list[Probe]:
    """Every probe of the file; raises GoldFileError naming each bad line."""
    probes, problems, seen = [], [], set()
    from eval.files import parse_json, read_dataset_text

    for number, line in enumerate(read_dataset_text(Path(path), "dataset").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = parse_json(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        missing = [f for f in FIELDS if f not in obj]
        if missing:
            problems.append(f"line {number}: missing {', '.join(missing)}")
            continue
        if obj["kind"] not in KINDS:
            problems.append(f"line {number}: kind {obj['kind']!r} is not one of {', '.join(KINDS)}")
            continue
        if obj["id"] in seen:
            problems.append(f"line {number}: duplicate id {obj['id']!r}")
            continue
        seen.add(obj["id"])
        probes.append(Probe(**{f: obj[f] for f in FIELDS}))
    if problems:
        raise GoldFileError(f"{path} has {len(problems)} invalid probe line(s): " + "; ".join(problems[:10]))
    return probes


def squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def passage_number(shown, cite: str, source: str | None = None) -> int | None:
    """The 1-based number of the first prompt passage whose shown text contains ``cite``, from the document
    named ``source`` when one of them is (a quote may occur in two documents)."""
    want = squash(cite)
    hits = [i for i, window in enumerate(shown, 1) if want in squash(window.text)]
    own = [i for i in hits if Path(shown[i - 1].passage.chunk.source).name == source]
    return (own or hits or [None])[0]


VERIFY_TARGET_MS = 50  # issue 17: verification adds at most this per answer sentence (p95)
TIMING_REPEATS = 3  # each answer is verified this many times; its time is the median (the verdict is the same)


def run_probe(probe: Probe, services, answerer, cold: bool = True, repeats: int = TIMING_REPEATS
              ) -> dict[str, Any]:
    """One probe as in llm mode; returns its record (verdict, reason, score, verification time). With ``cold``
    the verifier's caches are emptied before each run, so the time is that of an answer citing passages not seen
    before; the answer is verified ``repeats`` times and its time is the median run's, so that a moment of
    contention on a shared machine does not pass for the verifier's cost."""
    from rag.answering.prompt import trim_passages
    from rag.cite.claim_verify import clear_caches
    from rag.cite.verify import MarkerRenumberer

    settings = services.settings
    passages = services.assistant.retrieve(probe.question, k=settings.k)
    shown = trim_passages(passages, settings.llm_context_chars)
    n = passage_number(shown, probe.cite, probe.source)
    record = {"id": probe.id, "kind": probe.kind, "corpus": probe.corpus, "expected_supported": probe.supported,
              "passage": n}
    if n is None and probe.kind != "no_citation":
        return {**record, "error": "the cited quote is not in the retrieved passages"}
    text = probe.claim if probe.kind == "no_citation" else f"{probe.claim} [{n}]"
    renumber = MarkerRenumberer(len(shown))
    text = (renumber.feed(text) + renumber.flush()).strip()
    walls, cpus = [], []
    for _ in range(max(1, repeats)):
        if cold:
            clear_caches()
        started, cpu = time.perf_counter(), time.process_time()
        answer = answerer.build_answer(probe.question, text, passages, shown, renumber.mapping)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)  # all threads of this process: the work, whatever else runs
    latency, cpu = float(np.median(walls)), float(np.median(cpus))
    sentences = answer.sentences
    flagged = any(not s.supported for s in sentences)
    reason = next((s.unsupported_reason for s in sentences if not s.supported), None)
    return {**record, "answer": text, "flagged": flagged, "reason": reason,
            "support_score": round(min((s.support_score for s in sentences), default=0.0), 4),
            "sentences": len(sentences),
            "latency_ms_per_sentence": latency / max(1, len(sentences)),
            "cpu_ms_per_sentence": cpu / max(1, len(sentences))}


def warm_up(embedder) -> None:
    """Load and first-run what verification uses (spaCy model, sentence splitter, embedding session) on text of
    no probe, so that one-time start-up costs (about 2 s) are not counted as verification latency."""
    from rag.cite.verify import parse_citations
    from rag.nlp import parse_many

    parse_many(["A warm-up sentence that no probe contains [1]."])
    parse_many(["Another warm-up sentence without entities."], entities=False)
    parse_citations("A warm-up sentence [1]. And another one [2].")
    embedder.embed_array(["warm-up"])


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    ran = [r for r in records if "flagged" in r]
    positives = [r for r in ran if not r["expected_supported"]]
    flagged = [r for r in ran if r["flagged"]]
    tp = sum(1 for r in positives if r["flagged"])

    def rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    per_kind = {}
    for kind in KINDS:
        rows = [r for r in ran if r["kind"] == kind]
        if not rows:
            continue
        hits = sum(1 for r in rows if r["flagged"])
        per_kind[kind] = {"n": len(rows), "flagged": hits, "flagged_rate": rate(hits, len(rows)),
                          "recall": rate(hits, len(rows)) if kind != "faithful" else None,
                          "reasons": _count(r["reason"] for r in rows if r["flagged"])}
    latencies = [r["latency_ms_per_sentence"] for r in ran]
    cpu = [r["cpu_ms_per_sentence"] for r in ran]
    cpu_p95 = _pct(cpu, 95)
    wall_p95 = _pct(latencies, 95)
    return {
        "probes": True,
        "n": len(records),
        "n_run": len(ran),
        "not_run": [{"id": r["id"], "error": r["error"]} for r in records if "error" in r],
        "unsupported": {"precision": rate(tp, len(flagged)), "recall": rate(tp, len(positives)),
                        "true_positives": tp, "flagged": len(flagged), "positives": len(positives)},
        "faithful_flagged": rate(sum(1 for r in ran if r["kind"] == "faithful" and r["flagged"]),
                                 sum(1 for r in ran if r["kind"] == "faithful")),
        "per_kind": per_kind,
        "per_corpus": {c: summarize_corpus([r for r in ran if r["corpus"] == c])
                       for c in sorted({r["corpus"] for r in ran})},
        "latency_ms_per_sentence": {"p50": _pct(latencies, 50), "p95": wall_p95,
                                    "max": round(max(latencies), 2) if latencies else None},
        "cpu_ms_per_sentence": {"p50": _pct(cpu, 50), "p95": cpu_p95, "max": round(max(cpu), 2) if cpu else None},
        "verification": {"answers": len(ran), "sentences": sum(r.get("sentences", 1) for r in ran),
                         "target_p95_ms": VERIFY_TARGET_MS,
                         "cpu_p95_within_target": None if cpu_p95 is None else cpu_p95 <= VERIFY_TARGET_MS,
                         "wall_p95_within_target": None if wall_p95 is None else wall_p95 <= VERIFY_TARGET_MS},
    }


def summarize_corpus(rows: list[dict[str, Any]]) -> dict[str, Any]:
    pos = [r for r in rows if not r["expected_supported"]]
    faithful = [r for r in rows if r["kind"] == "faithful"]
    return {"n": len(rows), "recall": round(sum(r["flagged"] for r in pos) / len(pos), 4) if pos else None,
            "faithful_flagged": f"{sum(r['flagged'] for r in faithful)}/{len(faithful)}"}


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        key = re.sub(r"'[^']*'|\b\d[\d.,:]*\b", "…", v or "none")
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _pct(values: list[float], q: int) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def in_corpus(probe: Probe, documents: dict[str, str]) -> bool:
    want = squash(probe.cite)
    return any(Path(source).name == probe.source and want in squash(text) for source, text in documents.items())


def evaluate(paths, settings, corpus=(), index_dir=None, split="all", limit=None, embedder=None,
             progress=True):
    """`rag eval PROBES.jsonl`: run the probes whose quote is in the indexed corpus, and score the verifier."""
    import contextlib

    from tqdm import tqdm

    from eval.runner import EvalRun
    from eval.session import prepare_index
    from rag.answering.llm import LLMAnswerer
    from rag.embedding import make_embedder
    from rag.errors import ConfigError
    from rag.services import build_services

    every = [p for path in paths for p in load_probes(path)]
    probes = [p for p in every if split == "all" or p.split == split][:limit]
    if not probes:
        present = ", ".join(sorted({p.split for p in every})) or "none"
        raise ConfigError(f"No probe of {', '.join(str(p) for p in paths)} is in split {split!r} (its splits: "
                          f"{present}); pass --split with one of them, or --split all.")
    embedder = embedder or make_embedder(settings)
    with contextlib.ExitStack() as stack:
        settings = prepare_index(stack, settings, embedder, [], list(corpus), index_dir, progress)
        services = build_services(settings, embedder=embedder)
        documents = {source: doc.text for source, doc in services.view().documents().items()}
        chosen = [p for p in probes if in_corpus(p, documents)]
        if not chosen:
            raise ConfigError(f"None of the {len(probes)} probes quotes a document of the index at "
                              f"{settings.index_dir}; pass --corpus with the probes' corpus.")
        answerer = LLMAnswerer(settings, services.embedder, services.view,
                               fallback=services.assistant.answerers["extractive"])
        warm_up(services.embedder)
        load_before = _load_average()
        records = [run_probe(p, services, answerer)
                   for p in tqdm(chosen, desc="probes", unit="probe", file=sys.stderr, disable=not progress)]
        load_after = _load_average()
    summary = summarize(records)
    summary["verification"].update(caches="cold", repeats=TIMING_REPEATS,
                                   load_average={"before": load_before, "after": load_after})
    summary["n"] = len(probes)  # of the split, run or left out
    summary["config"] = {"datasets": [str(p) for p in paths], "split": split, "limit": limit,
                         "index_dir": str(settings.index_dir), "k": settings.k,
                         "support_threshold": settings.llm_support_threshold,
                         "left_out_other_corpus": len(probes) - len(chosen)}
    return EvalRun(summary, records)


def _load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (what else ran on the machine while the times were taken)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # not on every platform
        return None


def render(summary: dict[str, Any]) -> str:
    """The human-readable report of a probe run."""
    u = summary["unsupported"]
    lines = [f"verifier probes: {summary['n_run']} run of {summary['n']} "
             f"({summary['config']['left_out_other_corpus']} left out: other corpus)",
             f"unsupported  precision {_f(u['precision'])}  recall {_f(u['recall'])}  "
             f"({u['true_positives']} of {u['positives']} caught, {u['flagged']} flagged)",
             f"faithful flagged {_f(summary['faithful_flagged'])}",
             "", f"{'kind':<15}{'n':>4}{'flagged':>9}  reasons"]
    for kind, row in summary["per_kind"].items():
        reasons = ", ".join(f"{k} x{v}" for k, v in row["reasons"].items())
        lines.append(f"{kind:<15}{row['n']:>4}{row['flagged']:>9}  {reasons}")
    lat = summary["latency_ms_per_sentence"]
    cpu = summary["cpu_ms_per_sentence"]
    ver = summary.get("verification", {})
    load = ver.get("load_average") or {}
    def met(key: str) -> str:
        return {True: "met", False: "not met"}.get(ver.get(key), "n/a")

    lines += ["", f"verification per answer sentence ({ver.get('sentences')} sentences in {ver.get('answers')} "
              f"answers, {ver.get('caches', 'warm')} caches, median of {ver.get('repeats', 1)} runs each; target p95 "
              f"<= {ver.get('target_p95_ms')} ms):",
              f"  wall p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms   "
              f"({met('wall_p95_within_target')})",
              f"  CPU  p50 {cpu['p50']} ms, p95 {cpu['p95']} ms, max {cpu.get('max')} ms   "
              f"({met('cpu_p95_within_target')})"]
    if load.get("before") and load.get("after"):
        lines.append(f"  load average (1/5/15 min) before {'/'.join(map(str, load['before']))}, after "
                     f"{'/'.join(map(str, load['after']))} on {os.cpu_count()} cores")
    for row in summary["not_run"]:
        lines.append(f"not run: {row['id']}: {row['error']}")
    return "\n".join(lines)


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def as_dict(probe: Probe) -> dict[str, Any]:
    return asdict(probe)
