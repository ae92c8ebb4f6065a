"""The two icons of the Teams app package, drawn with the standard library (zlib + struct).

Teams wants a 192x192 colour icon and a 32x32 outline icon (white on a
transparent background). Both show the same mark: a speech bubble with a
heart, for "talk, and care". Two small PNGs do not justify an imaging library.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]

ACCENT = (0x2B, 0x6C, 0xB0)
WHITE = (0xFF, 0xFF, 0xFF)


def png(width: int, height: int, pixel: Callable[[float, float], Pixel]) -> bytes:
    """An RGBA PNG; `pixel(x, y)` gets coordinates in 0..1 (pixel centres)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel((x + 0.5) / width, (y + 0.5) / height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def _in_heart(x: float, y: float) -> bool:
    """A heart centred in the unit square, about half its width."""
    u, v = (x - 0.5) * 5.5, (0.47 - y) * 5.5
    return (u * u + v * v - 1) ** 3 - u * u * v ** 3 <= 0


def _in_bubble(x: float, y: float) -> bool:
    """A rounded speech bubble with a tail at the bottom left."""
    inside = (x - 0.5) ** 2 / 0.40 ** 2 + (y - 0.46) ** 2 / 0.34 ** 2 <= 1
    tail = 0.22 <= x <= 0.42 and 0.70 <= y <= 0.92 and (y - 0.70) <= (0.42 - x) * 1.1
    return inside or tail


def _colour(x: float, y: float) -> Pixel:
    if _in_bubble(x, y) and not _in_heart(x, y):
        return (*WHITE, 255)
    if _in_heart(x, y):
        return (*ACCENT, 255)
    return (*ACCENT, 255)


def _outline(x: float, y: float) -> Pixel:
    """White outline of the bubble, and the heart filled, on transparent."""
    near_edge = _in_bubble(x, y) and not all(
        _in_bubble(x + dx, y + dy) for dx, dy in ((0.06, 0), (-0.06, 0), (0, 0.06), (0, -0.06))
    )
    if near_edge or _in_heart(x, y):
        return (*WHITE, 255)
    return (0, 0, 0, 0)


def colour_icon(size: int = 192) -> bytes:
    return png(size, size, _colour)


def outline_icon(size: int = 32) -> bytes:
    return png(size, size, _outline)


__all__ = ["colour_icon", "outline_icon", "png"]
