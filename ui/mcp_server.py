"""`rag mcp`: the assistant as an MCP server over stdio (the official ``mcp`` SDK), for editors, agents and chat apps.

Tools:
- ``search_documents(query, k=5)``: the best passages for a query, with scores (``text == document[start:end]``).
- ``ask(question)``: the answer with its citations, the `rag ask --json` object (``quote == document[start:end]``).

Only the protocol goes to stdout: setup runs with Python's stdout sent to stderr, and while serving the SDK points
file descriptor 1 at stderr too, so nothing a library prints can corrupt the stream.
"""

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

import click
from pydantic import Field

SERVER_NAME = "rag-assistant"
INSTRUCTIONS = ("Answers questions from the user's own indexed documents. `ask` returns an answer whose [n] markers "
                "refer to `citations`; each citation's `quote` is verbatim text of `source` (characters start..end). "
                "When the documents do not answer, `abstained` is true; say so rather than guessing. "
                "`search_documents` returns the best matching passages without an answer.")


def create_mcp_server(services):
    """The MCP server for ``services`` (built once; the tools share the warm model and the index)."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp_types import ToolAnnotations

    from rag.errors import RagError
    from ui.api.results import search_json

    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=read_only)
    def search_documents(query: str,
                         k: Annotated[int, Field(ge=1, le=100, description="How many passages (1..100).")] = 5,
                         ) -> dict[str, Any]:
        """Find the passages of the indexed documents that best match QUERY, best first, with their scores.
        Each passage gives `source` (the file), `start`/`end` (character offsets) and `text` (verbatim)."""
        try:
            return search_json(services.assistant, query, k)
        except RagError as err:
            raise ToolError(str(err)) from None

    @server.tool(annotations=read_only)
    def ask(question: str) -> dict[str, Any]:
        """Answer QUESTION from the indexed documents. Returns `answer` (with [n] markers), `abstained`, and
        `citations`: n, source, start, end, quote (verbatim text of the source), score."""
        try:
            return services.assistant.ask(question).to_json()
        except RagError as err:
            raise ToolError(str(err)) from None

    return server


@click.command("mcp")
@click.option("--index-dir", type=click.Path(path_type=Path), help="Index folder (default: index/, RAG_INDEX_DIR).")
def mcp_command(index_dir):
    """Serve the assistant to MCP clients over stdio (tools: search_documents, ask)."""
    from rag.runtime import configure
    from rag.services import build_services, ensure_default_index
    from rag.settings import load_settings

    with contextlib.redirect_stdout(sys.stderr):  # stdout belongs to the protocol
        settings = load_settings(index_dir=index_dir)
        configure(settings)
        ensure_default_index(settings, echo=lambda line: click.echo(line, err=True))
        services = build_services(settings)
        services.embedder.embed_array(["warm up"])  # load the model now, not on the first call
        server = create_mcp_server(services)
    click.echo(f"rag mcp: serving {settings.index_dir} over stdio (tools: search_documents, ask)", err=True)
    server.run("stdio")


if __name__ == "__main__":  # `python -m ui.mcp_server` = `rag mcp` without the installed entry point
    from rag.cli import cli, main

    cli.add_command(mcp_command)
    main(["mcp", *sys.argv[1:]])
