"""Documents to sign: real PDFs made with Pillow."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def make_pdf(pages: int = 1, text: str = "Nanhai-Tong test document") -> bytes:
    """A real PDF (Pillow writes one page per image)."""
    images = []
    for number in range(pages):
        image = Image.new("RGB", (595, 842), "white")
        ImageDraw.Draw(image).text((60, 60), f"{text} - page {number + 1}", fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=72)
    return out.getvalue()
