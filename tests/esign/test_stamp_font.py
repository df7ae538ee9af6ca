"""The stamp's font engine skips reading the layout tables pyHanko drops from the embedded
subset (nanhaitong/esign/pdf.py): its output must stay pyHanko's own engine's."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import PdfFileWriter

from nanhaitong.esign.stamp_font import CjkFont, cjk_font

TEXT = "陈大文 签署 Signed 2026-12-05 10:00:00Z, AVAWAY To 广州南沙"


def _shaped_and_embedded(engine) -> tuple[bytes, dict[str, bytes]]:
    shaped = engine.shape(TEXT).graphics_ops
    engine.prepare_write()  # subsets engine.tt in place, as embedded
    embedded = TTFont(io.BytesIO(_saved(engine.tt)))
    # 'head' carries the time the subset was written
    return shaped, {tag: embedded.reader[tag] for tag in embedded.reader.keys() if tag != "head"}


def _saved(font: TTFont) -> bytes:
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def test_the_stamp_text_is_placed_and_embedded_as_pyhanko_does_it():
    ours = CjkFont().create_font_engine(PdfFileWriter())
    theirs = GlyphAccumulator(writer=PdfFileWriter(), font_handle=io.BytesIO(cjk_font()), font_size=ours.font_size)
    shaped, embedded = _shaped_and_embedded(ours)
    their_shaped, their_embedded = _shaped_and_embedded(theirs)
    assert shaped == their_shaped  # HarfBuzz shaped it from the whole font, kerning (GPOS) included
    assert embedded == their_embedded
    assert not {"GDEF", "GPOS", "GSUB"} & set(embedded)
