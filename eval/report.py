"""`rag eval --report DIR`: results.json, report.md (with PNG figures beside it) and a self-contained report.html
(figures inlined as data URIs, every piece of text HTML-escaped).

The worst-questions section shows, for the lowest-F1 answerable questions and the wrong (non-)abstentions, the
gold answers and evidence next to what was retrieved and answered, so a failure can be traced to its stage.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import plots
from eval.aggregate import by_group
from eval.compare import headline

FIGURES = {"metrics.png": "Metrics", "recall_at_k.png": "Recall@k", "latency.png": "Latency"}
SNIPPET = 300


def failure_key(record: dict[str, Any]) -> tuple:
    """Lower is worse: answerable by F1 (an abstention scores 0), unanswerable 0 when answered, 1 when refused."""
    m = record["metrics"]
    if record["answerable"]:
        return (m.get("f1", 0.0), m.get("recall@10", 0.0), record["id"])
    return (1.0 if record["abstained"] else 0.0, 0.0, record["id"])


def worst_questions(records: Sequence[dict[str, Any]], n: int = 20) -> list[dict[str, Any]]:
    """Up to ``n`` failed questions (F1 < 1 or a wrong abstention decision), worst first."""
    failed = [r for r in records if failure_key(r)[0] < 1.0]
    return sorted(failed, key=failure_key)[:n]


def _verdict(record: dict[str, Any]) -> str:
    if record["error"]:
        return f"error: {record['error']}"
    if record["answerable"]:
        if record["abstained"]:
            return "false refusal (answerable, abstained)"
        if record["metrics"].get("recall@10") == 0.0:
            return "retrieval miss (no relevant chunk in the top 10)"
        return "answer differs from gold"
    return "answered an unanswerable question"


def _short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _scores_line(record: dict[str, Any]) -> str:
    m = record["metrics"]
    keys = ("f1", "exact_match", "contains", "recall@1", "recall@10", "mrr@10")
    return ", ".join(f"{k} {_value(m[k])}" for k in keys if k in m)


# ---------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    """Table-safe and inert: pipes escaped, newlines folded, and &, <, > as entities so no raw HTML survives."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(summary: dict[str, Any], records: Sequence[dict[str, Any]]) -> str:
    lines = ["# Evaluation report", ""]
    config = summary.get("config") or {}
    if config:
        lines += ["## Configuration", ""] + _md_table(["setting", "value"], [[k, _value(v)] for k, v in config.items()])
        lines.append("")
    lines += ["## Metrics", ""] + _md_table(["metric", "value"], [[k, _value(v)] for k, v in headline(summary)])
    lines.append("")
    for field in ("type", "split"):
        groups = by_group(records, field)
        if len(groups) > 1:
            lines += [f"## By {field}", ""]
            rows = [
                [name, str(s["n"]), _value(s["retrieval"]["recall@5"]), _value(s["answer"]["f1"]),
                 _value(s["answer"]["contains"]), _value(s["abstention"]["correct_refusal"]),
                 _value(s["abstention"]["false_refusal"])]
                for name, s in groups.items()
            ]
            lines += _md_table([field, "n", "recall@5", "f1", "contains", "correct_refusal", "false_refusal"], rows)
            lines.append("")
    lines += ["## Figures", ""] + [f"![{title}]({name})" for name, title in FIGURES.items()] + [""]
    lines += ["## Worst questions", ""]
    worst = worst_questions(records)
    if not worst:
        lines.append("No failed question.")
    for r in worst:
        lines += [
            f"### {_md_escape(r['id'])}: {_md_escape(r['question'])}",
            "",
            f"- verdict: {_verdict(r)}",
            f"- scores: {_scores_line(r) or '-'}",
            f"- gold answers: {_md_escape('; '.join(r['gold_answers']) or '(unanswerable)')}",
            f"- answer{' (abstained)' if r['abstained'] else ''}: {_md_escape(_short(r['answer']))}",
        ]
        lines += [f"- gold evidence: {_md_escape(_short(q))}" for q in r["gold_evidence"]]
        for p in r["retrieved"][:5]:
            mark = "relevant" if p["relevant"] else "not relevant"
            lines.append(f"- retrieved #{p['rank']} ({mark}, {_md_escape(Path(p['source']).name)}): "
                         f"{_md_escape(_short(p['text'], 200))}")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- html

CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}
.q{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}.rel{color:#176d2c}.irr{color:#888}
.verdict{font-weight:bold;color:#a33}"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{_h(_value(c))}</td>" if isinstance(c, (int, float)) and not
                         isinstance(c, bool) else f"<td>{_h(_value(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _question_html(r: dict[str, Any]) -> str:
    parts = [
        f"<div class='q'><h3>{_h(r['id'])}: {_h(r['question'])}</h3>",
        f"<p class='verdict'>{_h(_verdict(r))}</p><p>{_h(_scores_line(r) or '-')}</p>",
        f"<p><b>Gold answers:</b> {_h('; '.join(r['gold_answers']) or '(unanswerable)')}</p>",
        f"<p><b>Answer{' (abstained)' if r['abstained'] else ''}:</b> {_h(r['answer'])}</p>",
    ]
    if r["gold_evidence"]:
        parts.append("<p><b>Gold evidence:</b></p><ul>" + "".join(f"<li>{_h(q)}</li>" for q in r["gold_evidence"])
                     + "</ul>")
    if r["retrieved"]:
        items = "".join(
            f"<li class='{'rel' if p['relevant'] else 'irr'}'>#{p['rank']} "
            f"{'relevant' if p['relevant'] else 'not relevant'} &middot; {_h(Path(p['source']).name)} "
            f"[{p['start']}:{p['end']}]: {_h(_short(p['text']))}</li>"
            for p in r["retrieved"][:5]
        )
        parts.append(f"<p><b>Retrieved (top 5 of {len(r['retrieved'])}):</b></p><ol>{items}</ol>")
    if r["citations"]:
        cites = "".join(
            f"<li>[{c['n']}] {'valid' if c['valid'] else 'INVALID'}: {_h(_short(c['quote']))}</li>"
            for c in r["citations"]
        )
        parts.append(f"<p><b>Citations:</b></p><ul>{cites}</ul>")
    parts.append("</div>")
    return "".join(parts)


def render_html(summary: dict[str, Any], records: Sequence[dict[str, Any]], figures: dict[str, bytes]) -> str:
    config = summary.get("config") or {}
    body = ["<h1>Evaluation report</h1>"]
    if config:
        body += ["<h2>Configuration</h2>", _html_table(["setting", "value"], [[k, v] for k, v in config.items()])]
    body += ["<h2>Metrics</h2>", _html_table(["metric", "value"], [[k, v] for k, v in headline(summary)])]
    body.append("<h2>Figures</h2>")
    for name, title in FIGURES.items():
        if name in figures:
            data = base64.b64encode(figures[name]).decode("ascii")
            body.append(f"<figure><img alt='{_h(title)}' src='data:image/png;base64,{data}'></figure>")
    body.append("<h2>Worst questions</h2>")
    worst = worst_questions(records)
    body += [_question_html(r) for r in worst] or ["<p>No failed question.</p>"]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Evaluation report</title>"
        f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def write_report(summary: dict[str, Any], records: Sequence[dict[str, Any]], out_dir: Path) -> dict[str, Path]:
    """Write results.json, the three figures, report.md and report.html into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results.json": out_dir / "results.json"}
    paths["results.json"].write_text(
        json.dumps(dict(summary, per_question=list(records)), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    latencies = [r["latency_ms"] for r in records if r["latency_ms"] is not None]
    plots.metric_bars(summary, out_dir / "metrics.png")
    plots.recall_curve(summary, out_dir / "recall_at_k.png")
    plots.latency_histogram(latencies, summary, out_dir / "latency.png")
    figures = {name: (out_dir / name).read_bytes() for name in FIGURES}
    paths.update({name: out_dir / name for name in FIGURES})
    paths["report.md"] = out_dir / "report.md"
    paths["report.md"].write_text(render_markdown(summary, records), encoding="utf-8")
    paths["report.html"] = out_dir / "report.html"
    paths["report.html"].write_text(render_html(summary, records, figures), encoding="utf-8")
    return paths
