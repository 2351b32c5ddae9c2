"""Make the letter fonts shipped in transfer_engine/letters/fonts/ from Noto Sans as released.

    python scripts/letter_fonts.py /usr/share/fonts/truetype/noto   # Debian's fonts-noto-core

Every glyph, every OpenType feature and every name are kept; what is removed is the TrueType
hinting (the instructions that fit outlines to a screen's pixels, and the tables they use) and
the digital signature that no longer matches. A PDF viewer rasterises text its own way, so
hinting only makes each letter bigger and slower to write: every PDF embeds a subset of each
face it uses, and the hinting was about a fifth of a letter's bytes and 7% of the
work of typesetting it (``bench/letters_bench.py``). The SIL Open Font License 1.1
(fonts/OFL.txt) allows the change; Noto Sans has no reserved font name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

FACES = ("NotoSans-Regular.ttf", "NotoSans-Italic.ttf", "NotoSans-Bold.ttf",
         "NotoSans-BoldItalic.ttf")
TARGET = Path(__file__).resolve().parents[1] / "transfer_engine" / "letters" / "fonts"


def main(source: Path) -> None:
    options = subset.Options()
    options.glyph_names = True
    options.legacy_kern = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.layout_features = ["*"]
    options.passthrough_tables = True
    options.hinting = False
    options.drop_tables = ["DSIG"]
    for face in FACES:
        font = subset.load_font(str(source / face), options)
        everything = subset.Subsetter(options)
        everything.populate(glyphs=font.getGlyphOrder())
        everything.subset(font)
        subset.save_font(font, str(TARGET / face), options)
        print(f"{face}: {(TARGET / face).stat().st_size:,} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
