"""The visible stamp's font: the packaged CJK font, embedded as the subset a stamp uses."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

_FONT_PACKAGE = "paperang_p2_fonts_cjk"  # WenQuanYi Micro Hei, shipped as a PyPI package
_font_cache: list[bytes] = []


def cjk_font() -> bytes:
    """The stamp's CJK font (TrueType outlines), read from the installed font package; the
    package ships a TrueType collection, of which the first face is the regular one."""
    if not _font_cache:
        from importlib.resources import files

        from fontTools.ttLib import TTCollection

        collection = TTCollection(io.BytesIO(files(_FONT_PACKAGE).joinpath("fonts/wqy-microhei.ttc").read_bytes()))
        font = collection.fonts[0]
        if "FFTM" in font:  # FontForge's own table, which the subsetter does not know
            del font["FFTM"]
        out = io.BytesIO()
        font.save(out)
        _font_cache.append(out.getvalue())
    return _font_cache[0]


# The layout tables pyHanko leaves out of the embedded subset (its default subsetting options).
_NOT_EMBEDDED = ("GDEF", "GPOS", "GSUB")


class _CjkGlyphAccumulator(GlyphAccumulator):
    """pyHanko's engine, whose subset leaves out the layout tables without reading them
    first. fontTools' subsetter decodes GDEF, GSUB and GPOS (this font's GPOS: 27,000
    records) before it drops them, a third of each visible stamp's font work (~0.15 s).
    HarfBuzz shapes the text from the whole font still (its own copy, made at start), so
    the positions and the embedded subset are the same as before."""

    def _extract_subset(self, options=None):
        if options is None:  # pyHanko's own options, which drop exactly these
            for tag in _NOT_EMBEDDED:
                if tag in self.tt:
                    del self.tt[tag]
        super()._extract_subset(options)


class CjkFont(FontEngineFactory):
    """pyHanko's OpenType engine over the packaged CJK font: embedded as a subset (only the
    glyphs the stamp uses) with a ToUnicode map, so the text extracts as the same Chinese."""

    def __init__(self, font_size: int = 9):
        self.font_size = font_size

    def create_font_engine(self, writer, obj_stream=None):
        return _CjkGlyphAccumulator(writer=writer, font_handle=io.BytesIO(cjk_font()), font_size=self.font_size,
                                    obj_stream=obj_stream)
