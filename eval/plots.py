"""The report's figures as PNG files (matplotlib, Agg backend, imported only here and only when called)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

RATE_SECTIONS = ("retrieval", "answer", "citations", "abstention")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def metric_bars(summary: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    names, values = [], []
    for section in RATE_SECTIONS:
        for key, value in (summary.get(section) or {}).items():
            names.append(f"{section}.{key}")
            values.append(value)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
    shown = [v if v is not None else 0.0 for v in values]
    bars = ax.barh(names[::-1], shown[::-1], color="#4477aa")
    for bar, value in zip(bars, values[::-1]):
        label = "n/a" if value is None else f"{value:.3f}"
        ax.text(min(bar.get_width() + 0.01, 0.9), bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("rate (0..1)")
    ax.set_title("Metrics")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def latency_histogram(latencies: Sequence[float], summary: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if latencies:
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#66ccee", edgecolor="#336677")
        for key, style in (("p50", "--"), ("p95", ":")):
            value = (summary.get("latency_ms") or {}).get(key)
            if value is not None:
                ax.axvline(value, color="black", linestyle=style, label=f"{key} {value:.1f} ms")
        ax.legend()
    ax.set_xlabel("time per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def recall_curve(summary: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    curve = summary.get("recall_curve") or {}
    ks = sorted(int(k) for k, v in curve.items() if v is not None)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(ks, [curve[str(k)] for k in ks], marker="o", color="#228833")
    ax.set_xticks(range(1, 11))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k (hit rate)")
    ax.set_title("Recall@k over answerable questions")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
