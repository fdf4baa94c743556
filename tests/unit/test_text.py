"""rag.text: the content terms every lexical signal counts (BM25, unit coverage, the verifier's overlap)."""

from rag.text import content_terms


def test_function_words_are_not_content_terms():
    # "among" in "compatible with HTTP/2 and Trio among other features" matched the question "Among the servers
    # listed, which one is a Rust HTTP server?" as its rarest word; prepositions and quantifiers say nothing of
    # what a unit is about
    assert content_terms("Among the servers listed, which one is a Rust HTTP server?") == [
        "server", "list", "one", "rust", "http", "server"]
    assert content_terms("several wars within many regions, without either side") == ["war", "region", "side"]


def test_content_words_are_stemmed_and_kept():
    assert content_terms("The missiles' ranges") == ["missile", "range"]
