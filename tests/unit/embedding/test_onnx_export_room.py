"""The ONNX export refuses up front, naming the folder and the setting, when a folder it writes to is nearly full
(a full disk once surfaced as protobuf's "Wire format was corrupt" from inside the quantizer)."""

from __future__ import annotations

import shutil
from collections import namedtuple

import pytest

from rag.embedding.onnx_backend import OnnxEmbedder
from rag.errors import ConfigError

Usage = namedtuple("Usage", "total used free")


def _full(full_folder):
    real = shutil.disk_usage

    def disk_usage(path):
        usage = real(path)
        return Usage(usage.total, usage.used, 5 * 2**20) if str(path) == str(full_folder) else usage
    return disk_usage


@pytest.mark.parametrize("quantize", [False, True])
def test_a_full_cache_folder_is_named_before_exporting(tmp_path, monkeypatch, quantize):
    embedder = OnnxEmbedder(quantize=quantize, cache_dir=tmp_path)
    monkeypatch.setattr("rag.embedding.onnx_backend.shutil.disk_usage", _full(embedder.onnx_path.parent))
    with pytest.raises(ConfigError) as err:
        embedder.embed_array(["hello"])
    message = str(err.value)
    assert str(embedder.onnx_path.parent) in message and "5 MB free" in message
    assert "RAG_MODEL_CACHE_DIR" in message
    assert list(embedder.onnx_path.parent.iterdir()) == []  # nothing half-written left behind


def test_a_full_temp_folder_is_named_for_the_int8_export(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    embedder = OnnxEmbedder(quantize=True, cache_dir=tmp_path / "cache")
    monkeypatch.setattr("rag.embedding.onnx_backend.shutil.disk_usage", _full(temp))
    with pytest.raises(ConfigError, match="TMPDIR") as err:
        embedder.embed_array(["hello"])
    assert str(temp) in str(err.value)
