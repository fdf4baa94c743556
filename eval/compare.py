"""Plain-text tables of one `rag eval --json` result, or of two side by side with their differences (B - A)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.errors import GoldFileError
from eval.files import parse_json, read_dataset_text

SECTIONS = ("retrieval", "answer", "citations", "abstention", "latency_ms")
COUNTS = ("n", "n_answerable", "n_unanswerable")
CONFIG_KEYS = ("mode", "k", "retrieval_depth", "chunk_size", "chunk_overlap", "retrieval_mode", "embedding_model")


def headline(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (name, value) rows every table shows, in DESIGN.md order."""
    rows: list[tuple[str, Any]] = [(key, summary.get(key)) for key in COUNTS]
    for section in SECTIONS:
        for key, value in (summary.get(section) or {}).items():
            rows.append((f"{section}.{key}", value))
    return rows


def _fmt(value: Any, latency: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if latency else f"{value:.4f}"
    return str(value)


def _fmt_delta(a: Any, b: Any, latency: bool) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool):
        return "-" if a != b else ""
    delta = b - a
    if delta == 0:
        return "0"
    if isinstance(delta, int):
        return f"{delta:+d}"
    return f"{delta:+.1f}" if latency else f"{delta:+.4f}"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_summary(summary: dict[str, Any]) -> str:
    rows = [["metric", "value"]]
    rows += [[name, _fmt(value, name.startswith("latency"))] for name, value in headline(summary)]
    config = summary.get("config") or {}
    setup = ", ".join(f"{key}={config[key]}" for key in CONFIG_KEYS if key in config)
    return _table(rows) + (f"\n\n{setup}" if setup else "")


def render_comparison(a: dict[str, Any], b: dict[str, Any], name_a: str = "A", name_b: str = "B") -> str:
    rows_a = dict(headline(a))
    rows_b = dict(headline(b))
    names = list(rows_a) + [name for name in rows_b if name not in rows_a]
    rows = [["metric", name_a, name_b, "B - A"]]
    for name in names:
        latency = name.startswith("latency")
        va, vb = rows_a.get(name), rows_b.get(name)
        rows.append([name, _fmt(va, latency), _fmt(vb, latency), _fmt_delta(va, vb, latency)])
    out = _table(rows)
    config_a, config_b = a.get("config") or {}, b.get("config") or {}
    changed = [
        f"{key}: {config_a.get(key)} -> {config_b.get(key)}"
        for key in CONFIG_KEYS
        if config_a.get(key) != config_b.get(key)
    ]
    if changed:
        out += "\n\nconfiguration differences:\n" + "\n".join(f"  {line}" for line in changed)
    return out


def load_result(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise GoldFileError(f"The result file {path} does not exist; save one with `rag eval --json > FILE`.")
    try:
        data = parse_json(read_dataset_text(path, "result file"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldFileError(f"The result file {path} is not JSON ({exc}); save it with `rag eval --json`.") from None
    if not isinstance(data, dict) or "retrieval" not in data:
        raise GoldFileError(f"The result file {path} is not a `rag eval --json` object (no 'retrieval' section).")
    return data


def compare_files(path_a: Path, path_b: Path) -> str:
    return render_comparison(load_result(path_a), load_result(path_b), Path(path_a).name, Path(path_b).name)
