"""Build the document fonts in ``core/documents/fonts/`` from DejaVu Sans (Debian: fonts-dejavu-core).

Documents embed a subset of every font they use, and WeasyPrint subsets the font file it was given
on every render: for the full DejaVu Sans (6,000 glyphs, large layout tables) that was most of the
time of a one-page invoice. These files keep the scripts invoices are written in (Latin with its
extensions, Greek, Cyrillic, currency signs and punctuation) and kerning (in the TrueType ``kern``
table: fontTools reads the OpenType layout tables on every subset, even those it then drops), drop
hinting (a PDF does not use it) and the other layout tables, and are renamed "Coopstack Sans" as the
Bitstream Vera licence asks of modified versions. Text in other scripts falls back to the system's fonts.

Run: ``.venv/bin/python tools/build_fonts.py [DEJAVU_DIR]``; commit the files it writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")
TARGET = Path(__file__).resolve().parent.parent / "core" / "documents" / "fonts"
FAMILY = "Coopstack Sans"
STYLES = {
    "Regular": "DejaVuSans.ttf",
    "Bold": "DejaVuSans-Bold.ttf",
    "Oblique": "DejaVuSans-Oblique.ttf",
    "BoldOblique": "DejaVuSans-BoldOblique.ttf",
}
UNICODES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0259, 0x0259),
    (0x02BB, 0x02DD),  # modifier letters and spacing accents
    (0x0300, 0x036F),  # combining accents
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh)
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x2122),  # letterlike symbols (numero, trade mark)
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2215),  # minus, division slash
    (0x2260, 0x2265),
    (0xFFFD, 0xFFFD),
]


def build(style: str, source: Path) -> Path:
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "MATH", "FFTM"]
    options.legacy_kern = True  # kerning from the small TrueType table, not the OpenType one
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in UNICODES for c in range(first, last + 1)])
    subsetter.subset(font)
    spaced = "Bold Oblique" if style == "BoldOblique" else ("Book" if style == "Regular" else style)
    compact = f"CoopstackSans-{style}"
    names = {1: FAMILY, 3: f"{compact};derived from {source.name}", 4: f"{FAMILY} {spaced}", 6: compact}
    if style in ("Regular", "Bold", "Oblique", "BoldOblique"):
        names[16], names[17] = FAMILY, spaced
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    target = TARGET / f"{compact}.ttf"
    font.save(target)
    return target


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for style, name in STYLES.items():
        written = build(style, SOURCE / name)
        print(f"{written.relative_to(TARGET.parent.parent.parent)}: {written.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
