"""Spreadsheets row by row: .csv (the csv module) and .xlsx (openpyxl).

The loaded text of a sheet IS its generated row text: the first non-empty row names the columns, and every later
row is one line "header: value; header: value" (empty cells left out), one "table_row" unit each, so a question
about one cell finds its row with the column names, and a citation quotes that line (offsets refer to it, not to
the file's bytes). An .xlsx gives each sheet as a section (its name as a title line, then its rows); formulas are
read as their last computed values.
"""

from __future__ import annotations

import csv
import io

from rag.archive_guard import expect_type
from rag.errors import LoadError
from rag.ingest.formats import Extracted, ReadOptions, TextBuilder, add_table, cell_text

DELIMITERS = ",;\t|"
MAX_FIELD = 1 << 20


def read_csv(name: str, text: str, options: ReadOptions) -> Extracted:
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    out = TextBuilder(name, options.max_chars)
    csv.field_size_limit(MAX_FIELD)
    try:
        add_table(out, ([cell_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)))
    except csv.Error as err:
        raise LoadError(name, f"is not a readable CSV file ({err})") from None
    return out.finish()


def read_xlsx(name: str, data: bytes, options: ReadOptions) -> Extracted:
    expect_type(data, name, ".xlsx", "[Content_Types].xml", b"spreadsheetml.sheet.main+xml")
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except LoadError:
        raise
    except Exception as err:  # openpyxl raises many types on damaged workbooks
        raise LoadError(name, f"is not a readable .xlsx file ({type(err).__name__})") from None
    out = TextBuilder(name, options.max_chars)
    try:
        for sheet in book.worksheets:
            out.section(sheet.title)
            add_table(out, ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)), sheet.title)
    except LoadError:
        raise
    except Exception as err:
        raise LoadError(name, f"is not a readable .xlsx file ({type(err).__name__})") from None
    finally:
        book.close()
    return out.finish()
