"""`python -m rag ...` runs the `rag` command."""

from rag.cli import main

main()
