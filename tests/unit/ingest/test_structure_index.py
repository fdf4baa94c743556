"""Units and sections through a real index on disk, and through `rag ask --json` with the real model."""

from __future__ import annotations

import json

import pytest

from rag.cli import main
from rag.ingest.chunking import chunk_document
from rag.ingest.indexer import index_paths
from rag.ingest.loaders import load
from rag.store.snapshot import load_snapshot

GUIDE = """---
title: Frobnicator Guide
---

<!-- overview -->

The Frobnicator turns queued jobs into finished reports. It runs on any Linux host.

## Configuration {#configuration}

The configuration file lives in `/etc/frob/frob.yaml`. Every option below is optional.

### Retries { #retries }

{{< note >}}
Retries only apply to jobs that failed with a temporary error.
{{< /note >}}

These options control retries:

* `retry_limit` - Sets how often a failed job is retried before it is given up.
  Defaults to `7`.
* `retry_wait` - Sets the pause between two attempts.
  Defaults to `90s`.

### Storage

| Option | Meaning |
|--------|---------|
| `spool_dir` | where queued jobs wait |

```yaml
spool_dir: /var/spool/frob
```
"""

OTHER = """# Release notes

## Version 2.0

Version 2.0 added a web dashboard for watching the queue.
The dashboard listens on port 8088.
"""


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    (folder / "notes.md").write_text(OTHER, encoding="utf-8")
    (folder / "page.html").write_text("<html><head><title>Page</title></head><body><h1>Intro</h1>"
                                      "<ul><li>First item.</li><li>Second item.</li></ul></body></html>",
                                      encoding="utf-8")
    return folder


def test_units_and_sections_round_trip_through_the_index(make_settings, fake_embedder, corpus):
    settings = make_settings(chunk_size=200, chunk_overlap=20)
    index_paths([corpus], settings, embedder=fake_embedder)
    snap = load_snapshot(settings.index_dir, fake_embedder)
    for path in sorted(corpus.iterdir()):
        fresh = load(path)
        stored = snap.docs[fresh.source]
        assert stored.sections == fresh.sections and stored.sections
        want = chunk_document(fresh, 200, 20)
        got = [c for c in snap.chunks if c.source == fresh.source]
        assert [(c.start, c.end, c.sentences, c.unit_kinds, c.section) for c in got] == \
            [(c.start, c.end, c.sentences, c.unit_kinds, c.section) for c in want]
    kinds = {k for c in snap.chunks for k in c.unit_kinds}
    assert {"sentence", "list_item", "table_row", "code"} <= kinds
    sections = {c.section for c in snap.chunks}
    assert "Frobnicator Guide > Configuration > Retries" in sections and "Page > Intro" in sections


@pytest.mark.slow
def test_ask_json_cites_a_list_item_with_its_section(tmp_path, corpus, real_embedder, capsys):
    from rag.settings import Settings

    index_dir = tmp_path / "index"
    index_paths([corpus], Settings(_env_file=None, index_dir=index_dir), embedder=real_embedder)
    main(["ask", "How many times is a failed job retried by default?", "--index-dir", str(index_dir), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert not data["abstained"]
    citation = data["citations"][0]
    text = (corpus / "guide.md").read_text(encoding="utf-8")
    assert text[citation["start"]:citation["end"]] == citation["quote"]
    assert citation["quote"].startswith("`retry_limit` - Sets how often") and "Defaults to `7`." in citation["quote"]
    assert citation["section"] == "Frobnicator Guide > Configuration > Retries"
    assert "`7`" in data["answer"] and not data["answer"].startswith("*")
