"""A large folder of small files in every supported format, generated deterministically (tests and the parsing
benchmark in docs/BENCHMARKS.md): ``python -m tests.mixed_folder DIR [N]`` writes it.

Every file holds one unique fact, "Record N: the <thing> at <place> was checked by <person>." (plus filler prose),
so a test can ask about any file and know which one must be cited. Files are spread over folders of 100.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

from tests.support import format_files as ff

# share of each format (sums to 100)
MIX = {".txt": 30, ".md": 18, ".html": 10, ".csv": 8, ".rst": 5, ".eml": 5, ".docx": 6, ".pdf": 6, ".xlsx": 4,
       ".pptx": 3, ".odt": 3, ".epub": 2}
THINGS = ["lantern", "winch", "anchor", "radio", "boiler", "pump", "rudder", "compass", "ladder", "cable"]
PLACES = ["north quay", "signal tower", "boat shed", "fuel depot", "east jetty", "lamp room", "slipway", "dry dock"]
PEOPLE = ["Ada Moen", "Bo Lund", "Cai Berg", "Dag Holm", "Eli Vik", "Finn Aas", "Gro Dahl", "Hege Lie"]
FILLER = ["The weather was calm and the crew worked through the morning.",
          "Spare parts were ordered from the mainland supplier.",
          "A short note was added to the maintenance ledger.",
          "Nothing unusual was reported during the inspection."]


def fact(number: int) -> tuple[str, str, str, str]:
    rng = random.Random(number)
    thing, place, person = rng.choice(THINGS), rng.choice(PLACES), rng.choice(PEOPLE)
    return f"Record {number}: the {thing} at the {place} was checked by {person}.", thing, place, person


def suffix_for(number: int) -> str:
    slot = (number * 37) % 100
    for suffix, share in MIX.items():
        if slot < share:
            return suffix
        slot -= share
    raise AssertionError("MIX must sum to 100")


def write_file(folder: Path, number: int) -> Path:
    sentence, thing, place, person = fact(number)
    filler = FILLER[number % len(FILLER)]
    suffix = suffix_for(number)
    path = folder / f"record_{number:05d}{suffix}"
    if suffix == ".txt":
        path.write_text(f"{sentence} {filler}\n", encoding="utf-8")
    elif suffix == ".md":
        path.write_text(f"# Record {number}\n\n{sentence}\n\n- {filler}\n", encoding="utf-8")
    elif suffix == ".html":
        path.write_text(f"<html><head><title>Record {number}</title></head><body><p>{sentence}</p>"
                        f"<p>{filler}</p></body></html>", encoding="utf-8")
    elif suffix == ".csv":
        ff.write_csv(path, [["Record", "Item", "Place", "Checked by"], [str(number), thing, place, person]])
    elif suffix == ".rst":
        ff.write_rst(path, f"Record {number}", {"Inspection": [sentence, filler]})
    elif suffix == ".eml":
        ff.write_eml(path, f"Record {number}", f"Hello,\n\n{sentence}\n\nRegards\n",
                     {f"note_{number}.txt": f"{filler}\nNote of record {number}.\n".encode()})  # distinct content
    elif suffix == ".docx":
        ff.write_docx_table(path, sentence, [["Item", "Place", "Checked by"], [thing, place, person]])
    elif suffix == ".pdf":
        ff.write_scanned_pdf(path, [("text", [sentence, filler])])
    elif suffix == ".xlsx":
        ff.write_xlsx(path, {"Checks": [["Record", "Item", "Place", "Checked by"], [number, thing, place, person]]})
    elif suffix == ".pptx":
        ff.write_pptx(path, [(f"Record {number}", [sentence, filler])])
    elif suffix == ".odt":
        ff.write_odt(path, {f"Record {number}": [sentence, filler]})
    elif suffix == ".epub":
        ff.write_epub(path, f"Record {number}", [("Inspection", [sentence, filler])])
    return path


def make_mixed_folder(root: Path, n: int) -> Counter:
    """Write files 0..n-1 under ``root`` (folders of 100); returns how many of each suffix."""
    counts: Counter = Counter()
    for number in range(n):
        folder = Path(root) / f"batch_{number // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        counts[write_file(folder, number).suffix] += 1
    return counts


if __name__ == "__main__":
    target = Path(sys.argv[1])
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    print(dict(make_mixed_folder(target, total)))
