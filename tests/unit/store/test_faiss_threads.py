"""FAISS searches on one OpenMP thread, but only for the search: the count is the calling thread's, shared with
torch when both load the same OpenMP runtime, so setting it once for the process left torch on one thread."""

from __future__ import annotations

from tests.conftest import SEEDS


def test_dense_search_is_single_threaded_and_leaves_torch_threads_alone(make_settings, fake_embedder):
    import faiss
    import torch

    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    settings = make_settings(retrieval_mode="dense")
    index_paths([SEEDS], settings, embedder=fake_embedder)
    services = build_services(settings, fake_embedder)
    view = services.view()
    seen = []

    class Recording:
        def __init__(self, index):
            self.index, self.ntotal = index, index.ntotal

        def search(self, *args):
            seen.append(faiss.omp_get_max_threads())
            return self.index.search(*args)

    torch_before, faiss_before = torch.get_num_threads(), faiss.omp_get_max_threads()
    try:
        torch.set_num_threads(2)
        faiss.omp_set_num_threads(2)
        view.vectorstore.index = Recording(view.vectorstore.index)
        assert services.assistant.retrieve("Where did Kim welcome Putin?")
        assert seen == [1]
        assert torch.get_num_threads() == 2 and faiss.omp_get_max_threads() == 2
    finally:
        torch.set_num_threads(torch_before)
        faiss.omp_set_num_threads(faiss_before)
