"""The `rag` CLI through click's runner: index, ask (human and JSON), errors as messages and exit codes."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from rag.cli import cli, main
from tests.conftest import SEED_FILE


def run(args, **kwargs):
    return CliRunner().invoke(cli, args, catch_exceptions=False, standalone_mode=False, **kwargs)


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("index", "ask", "serve", "eval"):
        assert name in result.output


def test_main_turns_errors_into_messages_and_exit_codes(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "anything", "--index-dir", str(tmp_path / "none")])
    assert exit_info.value.code == 4
    err = capsys.readouterr().err
    assert err.startswith("error: No index in") and "rag index" in err and "Traceback" not in err


@pytest.mark.slow
def test_index_and_ask_end_to_end(tmp_path, seed_text, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED_FILE, docs / "article.txt")
    (docs / "junk.bin.txt").write_bytes(b"\x00\xff" * 50)
    index_dir = tmp_path / "index"

    main(["index", str(docs), "--index-dir", str(index_dir), "--quiet"])
    out = capsys.readouterr()
    assert "1 added, 0 changed, 0 removed" in out.out
    assert "junk.bin.txt: looks like a binary file" in out.err

    main(["index", str(docs), "--index-dir", str(index_dir), "--quiet"])
    assert "0 added, 0 changed, 0 removed" in capsys.readouterr().out

    main(["ask", "Which missile has North Korea likely provided to Russia?", "--index-dir", str(index_dir),
          "--json"])
    data = json.loads(capsys.readouterr().out)
    assert "KN-23" in data["answer"] and not data["abstained"]
    c = data["citations"][0]
    assert seed_text[c["start"]:c["end"]] == c["quote"]
    assert c["source"].endswith("article.txt")

    main(["ask", "Where did Kim welcome Putin?", "--index-dir", str(index_dir), "--k", "3"])
    human = capsys.readouterr().out
    assert "Pyongyang" in human and "Sources:" in human and "[1] article.txt (chars " in human

    with pytest.raises(SystemExit) as exit_info:
        main(["index", str(tmp_path / "missing"), "--index-dir", str(index_dir)])
    assert exit_info.value.code != 0


@pytest.mark.slow
def test_history_file_resolves_follow_up(seeds_index_dir, tmp_path, capsys):
    history = tmp_path / "history.json"
    history.write_text(json.dumps([
        {"role": "user", "content": "Who did Biden meet with at the NATO anniversary in Washington?"},
        {"role": "assistant", "content": "The Indo-Pacific Four (IP4) leaders."},
    ]))
    main(["ask", "and who represented Australia?", "--index-dir", str(seeds_index_dir), "--history", str(history),
          "--json"])
    data = json.loads(capsys.readouterr().out)
    assert "Richard Marles" in data["answer"], data["answer"]


def test_the_package_facade_is_lazy_and_complete():
    """`import rag` loads no heavy library; every name in rag.__all__ resolves."""
    import subprocess
    import sys

    code = ("import sys, rag\n"
            "heavy = [m for m in ('faiss', 'langchain_core', 'onnxruntime', 'torch', 'gradio') if m in sys.modules]\n"
            "print(heavy)\n"
            "print(all(getattr(rag, n) is not None for n in rag.__all__) "
            "and set(rag.__all__) == {'__version__', *rag._EXPORTS})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"
