"""Images for the mmc data pipeline (data.py): header checks, decoding and preprocessing.

Headers are read as image-header.ts reads them, before any decoder runs; PNGs are refused by
pngjs's rules and JPEG/WebP by the decoders' verdicts; pixels come from Pillow, and the resize and
normalisation are image-preprocess.ts's arithmetic in numpy, so PNG and WebP inputs agree exactly
(`resize: bicubic` is Pillow's bicubic arithmetic in integers, as resample-bicubic.ts has it).
"""

from __future__ import annotations

import functools
import io
import math
import struct
import zlib

import numpy as np
from PIL import Image

# --- image headers (image-header.ts): format and size, read before any decoder runs ---------------


def sniff_image_format(b: bytes) -> str:
    if b[:4] == b"\x89PNG":
        return "png"
    if b[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if b[:4] == b"RIFF" and b[8:12] == b"WEBP":
        return "webp"
    return "unknown"


class ImageRefused(Exception):
    """`reason` is corrupt, unsupported or too-large, as decodeImage's refusals."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def _corrupt(message: str) -> ImageRefused:
    return ImageRefused("corrupt", message)


PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
DECODED_SOF = {0xC0, 0xC1, 0xC2}
OTHER_SOF = {0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image_header(b: bytes) -> tuple[str, int, int, bool] | None:
    """(format, width, height, animated), or None for a JPEG whose frame header was not found."""
    fmt = sniff_image_format(b)
    if fmt == "png":
        return _png_header(b)
    if fmt == "jpeg":
        return _jpeg_header(b)
    if fmt == "webp":
        return _webp_header(b)
    raise _corrupt("not a PNG, JPEG or WebP file (unknown signature)")


def _png_header(b: bytes) -> tuple[str, int, int, bool]:
    if len(b) < 33:
        raise _corrupt(f"cannot decode png: {len(b)} bytes, no IHDR chunk")
    if struct.unpack_from(">I", b, 8)[0] != 13 or b[12:16] != b"IHDR":
        raise _corrupt("cannot decode png: the first chunk is not a 13-byte IHDR")
    width, height, depth, colour, compression, filter_, interlace = struct.unpack_from(
        ">IIBBBBB", b, 16
    )
    if width == 0 or height == 0 or width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        raise _corrupt(f"cannot decode png: IHDR gives an impossible size {width}x{height}")
    if colour not in PNG_DEPTHS:
        raise _corrupt(f"cannot decode png: unknown colour type {colour}")
    if depth not in PNG_DEPTHS[colour]:
        raise _corrupt(
            f"cannot decode png: bit depth {depth} is not allowed for colour type {colour}"
        )
    if compression != 0 or filter_ != 0 or interlace > 1:
        raise _corrupt("cannot decode png: unknown compression, filter or interlace method")
    return "png", width, height, False


def _jpeg_header(b: bytes) -> tuple[str, int, int, bool] | None:
    at_ = lambda i: b[i] if i < len(b) else 0  # bytes[i] ?? 0
    frame = None
    at = 2
    while at + 4 <= len(b) and b[at] == 0xFF:
        marker = at_(at + 1)
        while marker == 0xFF and at + 2 < len(b):  # fill bytes
            at += 1
            marker = at_(at + 1)
        at += 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue
        if marker == 0xD9:
            break
        if marker == 0xDA:
            if frame:
                return ("jpeg", *frame, False)
            raise _corrupt("cannot decode jpeg: a scan starts before the frame header")
        length = (at_(at) << 8) | at_(at + 1)
        if length < 2:
            raise _corrupt(f"cannot decode jpeg: a marker segment at byte {at - 2} is empty")
        if marker in OTHER_SOF:
            coding = "lossless, hierarchical or arithmetic coding"
            message = f"JPEG frame type SOF{marker - 0xC0} ({coding}) is not supported"
            raise ImageRefused("unsupported", message)
        if marker in DECODED_SOF:
            if frame:
                raise _corrupt("cannot decode jpeg: more than one frame header")
            if length < 8 or at + 8 > len(b):
                raise _corrupt("cannot decode jpeg: the frame header is cut short")
            height, width = (at_(at + 3) << 8) | at_(at + 4), (at_(at + 5) << 8) | at_(at + 6)
            if width == 0 or height == 0:
                raise _corrupt(
                    f"cannot decode jpeg: the frame header gives a size of {width}x{height}"
                )
            if not 1 <= at_(at + 7) <= 4:
                raise _corrupt(f"cannot decode jpeg: the frame has {at_(at + 7)} components")
            frame = (width, height)
        at += length
    return ("jpeg", *frame, False) if frame else None


def _vp8_size(b: bytes, tag: bytes, at: int) -> tuple[int, int] | None:
    if tag == b"VP8L" and at + 5 <= len(b) and b[at] == 0x2F:
        bits = struct.unpack_from("<I", b, at + 1)[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if tag == b"VP8 " and at + 10 <= len(b) and b[at + 3 : at + 6] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", b, at + 6)
        return w & 0x3FFF, h & 0x3FFF
    return None


def _webp_header(b: bytes) -> tuple[str, int, int, bool]:
    if len(b) < 25:
        raise _corrupt(f"cannot decode webp: {len(b)} bytes, too short for a WebP header")
    first = b[12:16]
    if first == b"VP8X":
        if len(b) < 30:
            raise _corrupt("cannot decode webp: the VP8X chunk is cut short")
        animated = bool(b[20] & 0x02)
        width = int.from_bytes(b[24:27], "little") + 1
        height = int.from_bytes(b[27:30], "little") + 1
        at = 12 + 8 + struct.unpack_from("<I", b, 16)[0]
        n = 0
        while not animated and n < 64 and at + 8 <= len(b):
            at += at % 2
            if at + 8 > len(b):
                break
            inner = _vp8_size(b, b[at : at + 4], at + 8)
            if inner:
                width, height = max(width, inner[0]), max(height, inner[1])
                break
            at += 8 + struct.unpack_from("<I", b, at + 4)[0]
            n += 1
        return "webp", width, height, animated
    size = _vp8_size(b, first, 20)
    if not size:
        raise _corrupt("cannot decode webp: no VP8, VP8L or VP8X chunk after the RIFF header")
    if size[0] == 0 or size[1] == 0:
        raise _corrupt(f"cannot decode webp: the header gives a size of {size[0]}x{size[1]}")
    return "webp", size[0], size[1], False


def check_image_header(b: bytes, megapixels: float) -> tuple[str, int, int, bool] | None:
    """The header's verdict before any decoder runs (image-decode.ts checkImageHeader)."""
    head = read_image_header(b)
    if head is None:
        return None
    fmt, width, height, animated = head
    if width * height > megapixels * 1e6:
        mp = math.ceil(width * height / 1e6)
        message = (
            f"image is {width}x{height} ({mp} MP) by its header, over the {megapixels:g} MP limit"
        )
        raise ImageRefused("too-large", message)
    if fmt == "webp" and animated:
        raise ImageRefused("unsupported", "animated WebP is not supported (only still images are)")
    return head


# --- decoding: pngjs's acceptance rules, then Pillow for the pixels -------------------------------

_BPP = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel by colour type
_ADAM7 = (((0,), (0,)), ((4,), (0,)), ((0, 4), (4,)), ((2, 6), (0, 4)), ((0, 2, 4, 6), (2, 6)),
          ((1, 3, 5, 7), (0, 2, 4, 6)), (tuple(range(8)), (1, 3, 5, 7)))  # fmt: skip
_KNOWN_CHUNKS = {b"IHDR", b"IEND", b"IDAT", b"PLTE", b"tRNS", b"gAMA"}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _check_png(b: bytes) -> tuple[dict, bytes]:
    """Refuses what pngjs refuses (CRCs of the chunks it reads, truncation, bytes after IEND, a
    short or long image stream, filter types, tRNS rules) and returns the IHDR fields with a clean
    PNG for Pillow: IHDR, PLTE, the joined IDAT and IEND, nothing ancillary to trip on."""
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        raise _corrupt("cannot decode png: Invalid file signature")
    pos, info = 8, {"palette": b"", "trns": None}
    idat: list[bytes] = []
    ended = False
    while not ended:
        if pos + 8 > len(b):
            raise _corrupt("cannot decode png: the file ends inside a chunk")
        length, kind = struct.unpack_from(">I", b, pos)[0], b[pos + 4 : pos + 8]
        body_at = pos + 8
        pos = body_at + length + 4
        if pos > len(b):
            raise _corrupt("cannot decode png: the file ends inside a chunk")
        if kind not in _KNOWN_CHUNKS:
            if not kind[0] & 0x20:
                raise _corrupt(
                    f"cannot decode png: Unsupported critical chunk type {kind.decode('latin-1')}"
                )
            continue
        data = b[body_at : body_at + length]
        if zlib.crc32(kind + data) != struct.unpack_from(">I", b, pos - 4)[0]:
            raise _corrupt("cannot decode png: Crc error")
        if kind == b"IHDR":
            info.update(
                zip(
                    ("width", "height", "depth", "colour", "interlace"),
                    struct.unpack_from(">IIBB2xB", data),
                )
            )
        elif kind == b"PLTE":
            info["palette"] += data[: len(data) // 3 * 3]
        elif kind == b"tRNS":
            _check_trns(info, data)
        elif kind == b"gAMA" and length < 4:
            raise _corrupt("cannot decode png: the gAMA chunk is cut short")
        elif kind == b"IDAT":
            if info["colour"] == 3 and not info["palette"]:
                raise _corrupt("cannot decode png: Expected palette not found")
            idat.append(data)
        ended = kind == b"IEND"
    if pos != len(b):
        raise _corrupt("cannot decode png: unrecognised content at end of stream")
    w, h, depth, bpp = info["width"], info["height"], info["depth"], _BPP[info["colour"]]
    passes = [(w, h)]
    if info["interlace"]:
        passes = [
            (
                w // 8 * len(xs) + sum(x < w % 8 for x in xs),
                h // 8 * len(ys) + sum(y < h % 8 for y in ys),
            )
            for xs, ys in _ADAM7
        ]
        passes = [(pw, ph) for pw, ph in passes if pw > 0 and ph > 0]
    rows = [-(-pw * bpp * depth // 8) + 1 for pw, _ in passes]
    expected = sum(r * ph for r, (_, ph) in zip(rows, passes))
    inflater = zlib.decompressobj()
    try:
        # pngjs inflates a non-interlaced image only up to its size; the stream past it is not read
        raw = inflater.decompress(b"".join(idat), 0 if info["interlace"] else expected)
    except zlib.error as e:
        raise _corrupt(f"cannot decode png: {e}") from None
    if len(raw) != expected or (info["interlace"] and not inflater.eof):
        raise _corrupt("cannot decode png: the image data is truncated or too long")
    at = 0
    for row, (_, ph) in zip(rows, passes):
        filters = np.frombuffer(raw, np.uint8)[at : at + row * ph : row]
        if int(filters.max()) > 4:
            raise _corrupt(f"cannot decode png: Unrecognised filter type - {int(filters.max())}")
        at += row * ph
    clean = b[:8] + _png_chunk(b"IHDR", b[16:29])
    if info["colour"] == 3:
        clean += _png_chunk(b"PLTE", info["palette"][: 256 * 3])
    clean += _png_chunk(b"IDAT", b"".join(idat)) + _png_chunk(b"IEND", b"")
    return info, clean


def _check_trns(info: dict, data: bytes) -> None:
    colour = info["colour"]
    if colour == 3:
        if not info["palette"]:
            raise _corrupt("cannot decode png: Transparency chunk must be after palette")
        if len(data) > len(info["palette"]) // 3:
            raise _corrupt("cannot decode png: More transparent colors than palette size")
    elif colour in (0, 2):
        need = 2 if colour == 0 else 6
        if len(data) < need:
            raise _corrupt("cannot decode png: the tRNS chunk is cut short")
        info["trns"] = struct.unpack_from(">H" if colour == 0 else ">HHH", data)


def _png_rgb(b: bytes) -> np.ndarray:
    """[H, W, 3] uint8 exactly as pngjs decodes it (16-bit colour: see docs/pytorch.md)."""
    info, clean = _check_png(b)
    colour, depth, trns = info["colour"], info["depth"], info["trns"]
    with Image.open(io.BytesIO(clean), formats=["PNG"]) as im:
        im.load()
        if colour == 3:
            index = np.asarray(im)
            palette = np.frombuffer(info["palette"], np.uint8).reshape(-1, 3)
            if int(index.max()) >= len(palette):
                raise _corrupt(f"cannot decode png: index {int(index.max())} not in palette")
            return palette[index]
        if colour == 0:
            maxv = 2**depth - 1
            if depth == 16:
                raw = np.asarray(im).astype(np.int64)
            else:  # Pillow scales low depths to 0-255 (by 255, 85 or 17), which undoes exactly
                raw = np.asarray(im.convert("L")).astype(np.int64) // (255 // maxv)
            black = raw == trns[0] if trns else None
            gray = ((2 * raw * 255 + maxv) // (2 * maxv)).astype(np.uint8)
            rgb = np.repeat(gray[:, :, None], 3, axis=2)
        else:
            rgb = np.array(im.convert("RGB"))
            black = (rgb == np.array(trns, np.int64)).all(axis=2) if trns and depth == 8 else None
        if black is not None:
            rgb[black] = 0  # pngjs clears a pixel that matches the tRNS colour
        return rgb


def _pillow_rgb(b: bytes, fmt: str) -> np.ndarray:
    with Image.open(io.BytesIO(b), formats=[fmt]) as im:
        im.load()
        return np.array(im.convert("RGB"))


def decode_image(b: bytes, megapixels: float) -> np.ndarray:
    """[H, W, 3] uint8 from PNG, JPEG or WebP bytes after the header checks; else ImageRefused."""
    head = check_image_header(b, megapixels)
    fmt = head[0] if head else sniff_image_format(b)
    try:
        if fmt == "png":
            return _png_rgb(b)
        if fmt == "webp":
            return _pillow_rgb(b, "WEBP")
        with Image.open(io.BytesIO(b), formats=["JPEG"]) as im:
            if im.width * im.height > megapixels * 1e6:  # jpeg-js's own limit, a decode error
                raise _corrupt("cannot decode jpeg: maxResolutionInMP limit exceeded")
            if len({(h, v) for _, h, v, _ in im.layer}) > 1:
                # jpeg-js repeats subsampled chroma; libjpeg does so in draft mode (scale 1, draft
                # on), not by default: its smoothing differs by up to 90 levels at colour edges
                im.decoderconfig = (1, 1)
            im.load()
            return np.array(im.convert("RGB"))
    except (ImageRefused, MemoryError):
        raise
    except Exception as e:  # a decoder's complaint about bad bytes, whatever its type
        detail = "damaged image data" if fmt == "webp" else str(e)[:200]  # escaped when shown
        raise _corrupt(f"cannot decode {fmt}: {detail}") from None


# --- preprocessing (image-preprocess.ts): the same arithmetic, float32 where TS stores float32 ----


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False  # cached and shared by every image of the same size
    return arrays


@functools.lru_cache(maxsize=64)
def _area_taps(start: float, length: int, out: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    step = length / out
    width = math.ceil(step) + 1
    index = np.zeros((out, width), np.int64)
    weight = np.zeros((out, width), np.float32)
    for o in range(out):
        a = start + o * step
        b = a + step
        i = math.floor(a)
        for k in range(width):
            if not i < b:
                break
            index[o, k] = min(max(i, 0), limit - 1)
            weight[o, k] = (min(b, i + 1) - max(a, i)) / step
            i += 1
    return _frozen(index, weight)


@functools.lru_cache(maxsize=64)
def _bilinear_taps(
    start: float, length: int, out: int, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    step = length / out
    index = np.zeros((out, 2), np.int64)
    weight = np.zeros((out, 2), np.float32)
    for o in range(out):
        x = min(max(start + (o + 0.5) * step - 0.5, 0), limit - 1)
        i = math.floor(x)
        index[o] = (i, min(i + 1, limit - 1))
        weight[o] = (1 - (x - i), x - i)
    return _frozen(index, weight)


_ONE = 1 << 22  # Pillow's PRECISION_BITS: 22 fractional bits in the fixed-point weights


def _cubic(x: float) -> float:
    """Keys' cubic convolution with a = -0.5, in Pillow's operation order."""
    x = -x if x < 0 else x
    if x < 1:
        return (1.5 * x - 2.5) * x * x + 1
    if x < 2:
        return (((x - 5) * x + 8) * x - 4) * -0.5
    return 0.0


@functools.lru_cache(maxsize=64)
def _bicubic_taps(in_size: int, in0: float, in1: float, out_size: int, start: int, n: int):
    """(first, count, weights [n, stride] int64) for output pixels start .. start + n - 1: Pillow's
    precompute_coeffs and normalize_coeffs_8bpc, the box in single precision as Pillow keeps it
    (resample-bicubic.ts's coefficients)."""
    lo = float(np.float32(in0))
    scale = float(np.float32(in1) - np.float32(in0)) / out_size
    filter_scale = 1.0 if scale < 1 else scale
    support = 2.0 * filter_scale
    stride = math.ceil(support) * 2 + 1
    inverse = 1.0 / filter_scale
    first = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    weights = np.zeros((n, stride), np.int64)
    for i in range(n):
        center = lo + (start + i + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)  # int() truncates toward zero, as C's cast
        xmax = min(int(center + support + 0.5), in_size)
        w = [_cubic((k + xmin - center + 0.5) * inverse) for k in range(max(xmax - xmin, 0))]
        total = 0.0
        for v in w:  # in order: sum() compensates on newer Pythons
            total += v
        for k, v in enumerate(w):
            v = v / total if total != 0 else v
            weights[i, k] = int(-0.5 + v * _ONE) if v < 0 else int(0.5 + v * _ONE)
        first[i], count[i] = xmin, len(w)
    return _frozen(first, count, weights)


def _bicubic_pass(pixels: np.ndarray, first: np.ndarray, weights: np.ndarray, axis: int):
    """One fixed-point pass along `axis` (1: columns, 0: rows) of [h, w, 3] int64 bytes, rounded
    and clipped to bytes as Pillow's clip8 does."""
    limit = pixels.shape[axis] - 1
    acc = np.full(
        (pixels.shape[0], len(first), 3) if axis == 1 else (len(first), pixels.shape[1], 3),
        1 << 21,
        np.int64,
    )
    for k in range(weights.shape[1]):
        index = np.minimum(first + k, limit)  # a tap past the count has weight 0
        if axis == 1:
            acc += pixels[:, index] * weights[None, :, k, None]
        else:
            acc += pixels[index] * weights[:, k, None, None]
    return np.clip(acc >> 22, 0, 255)


def _bicubic(rgb: np.ndarray, box, out_w: int, out_h: int, window=None) -> np.ndarray:
    """[h, w, 3] uint8: Pillow's Image.resize((out_w, out_h), Image.BICUBIC, box) of the box
    (left, upper, right, lower; None is the whole image), or only its window (x, y, w, h):
    resample-bicubic.ts's arithmetic in integers, tested against Pillow itself."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
    wx, wy, ww, wh = window if window is not None else (0, 0, out_w, out_h)
    need_h = out_w != w or np.float32(x0) != 0 or np.float32(x1) != out_w
    need_v = out_h != h or np.float32(y0) != 0 or np.float32(y1) != out_h
    if need_v:
        fv, cv, kv = _bicubic_taps(h, float(y0), float(y1), out_h, wy, wh)
        # the horizontal pass reads only the rows the vertical pass uses
        row_first, row_end = int(fv[0]), int(fv[-1] + cv[-1])
    else:
        row_first, row_end = wy, wy + wh
    rows = rgb[row_first:row_end].astype(np.int64)
    if need_h:
        fh, _, kh = _bicubic_taps(w, float(x0), float(x1), out_w, wx, ww)
        rows = _bicubic_pass(rows, fh, kh, 1)
    else:
        rows = rows[:, wx : wx + ww]
    if need_v:
        rows = _bicubic_pass(rows, fv - row_first, kv, 0)
    return rows.astype(np.uint8)


def _normalise_bytes(pixels: np.ndarray, mean, std) -> np.ndarray:
    """[3, h, w] float32 of [h, w, 3] bytes, as image-preprocess.ts's normaliseBytes."""
    scale, shift = _normalisation(mean, std)
    out = pixels.astype(np.float64) * scale - shift
    return out.astype(np.float32).transpose(2, 0, 1).copy()


def shortest_edge_size(width: int, height: int, side: int) -> tuple[int, int]:
    """CLIPImageProcessor's shortest-edge resize (resample-bicubic.ts's shortestEdgeSize)."""
    short, long = min(width, height), max(width, height)
    scaled = int(side * long / short)
    return (side, scaled) if width <= height else (scaled, side)


def pad_colour(mean) -> tuple[int, int, int]:
    """`fit: pad`'s fill (image-preprocess.ts's padColour): LLaVA-1.5's
    `tuple(int(x * 255) for x in image_mean)`, (122, 116, 104) for CLIP's mean."""
    return tuple(int(x * 255) for x in mean)


def expand_to_square(rgb: np.ndarray, background) -> np.ndarray:
    """LLaVA-1.5's expand2square (image-preprocess.ts's expandToSquare): [side, side, 3] uint8,
    side max(w, h), filled with `background`, the image at (0, (w - h) // 2) when wider than tall,
    ((h - w) // 2, 0) when taller (x, y); a square image as it is."""
    h, w = rgb.shape[:2]
    if w == h:
        return rgb
    side = max(w, h)
    x0, y0 = (0, (w - h) // 2) if w > h else ((h - w) // 2, 0)
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:, :] = np.array(background, np.uint8)
    canvas[y0 : y0 + h, x0 : x0 + w] = rgb[:, :, :3]
    return canvas


def fit_problem(width: int, height: int, fit: str, megapixels: float) -> str | None:
    """Why `fit: pad` refuses an image (image-preprocess.ts's fitProblem): its square canvas must
    stay within the per-image pixel limit."""
    side = max(width, height)
    if fit != "pad" or side * side <= megapixels * 1e6:
        return None
    mp = math.ceil(side * side / 1e6)
    return (
        f"image is {width}x{height}; `fit: pad` makes it a {side}x{side} square ({mp} MP), "
        f"over the {megapixels:g} MP limit"
    )


def preprocess_image(
    rgb: np.ndarray, size: int, mean, std, resize: str = "auto", fit: str = "crop"
) -> np.ndarray:
    """[3, S, S] float32: the centred square crop resized (area to shrink, bilinear to enlarge),
    then (x / 255 - mean) / std; with `bicubic`, CLIP's order: Pillow's bicubic to the shortest
    edge, then the centre crop at ((w - S) // 2, (h - S) // 2). With `fit: pad`, the image is
    first expanded to a square of the mean colour (LLaVA-1.5's `image_aspect_ratio: pad`)."""
    if fit == "pad":
        rgb = expand_to_square(rgb, pad_colour(mean))
    h, w = rgb.shape[:2]
    if resize == "bicubic":  # only the crop is resampled, as image-preprocess.ts does
        nw, nh = shortest_edge_size(w, h, size)
        crop = ((nw - size) // 2, (nh - size) // 2, size, size)
        return _normalise_bytes(_bicubic(rgb, None, nw, nh, crop), mean, std)
    side = min(w, h)
    x0, y0 = (w - side) / 2, (h - side) / 2
    return resize_region(rgb, (x0, y0, side, side), size, size, mean, std, resize)


def resize_region(rgb: np.ndarray, region, out_w: int, out_h: int, mean, std, resize="auto"):
    """[3, out_h, out_w] float32 (image-preprocess.ts's resizeRegion): the region (x0, y0, width,
    height) resized, each axis by area averaging when it shrinks and bilinear when it grows (or by
    Pillow's bicubic), then normalised. Sums run in float64 tap by tap, in TypeScript's order."""
    h, w = rgb.shape[:2]
    x0, y0, rw, rh = region
    if resize == "bicubic":
        pixels = _bicubic(rgb, (x0, y0, x0 + rw, y0 + rh), out_w, out_h)
        return _normalise_bytes(pixels, mean, std)

    def taps(start, length, out, limit):
        mode = ("area" if length > out else "bilinear") if resize == "auto" else resize
        return (_area_taps if mode == "area" else _bilinear_taps)(start, length, out, limit)

    tx_index, tx_weight = taps(x0, rw, out_w, w)
    ty_index, ty_weight = taps(y0, rh, out_h, h)
    rows = np.unique(ty_index[ty_weight != 0])  # the source rows the vertical pass reads
    acc = np.zeros((len(rows), out_w, 3))  # horizontal pass over those rows: [R, out_w, 3]
    for k in range(tx_index.shape[1]):
        taken = rgb[rows[:, None], tx_index[None, :, k]]  # tap k of each output column
        acc += tx_weight[:, k].astype(np.float64)[None, :, None] * taken
    tmp = np.zeros((h, out_w, 3), np.float32)
    tmp[rows] = acc
    out = np.zeros((out_h, out_w, 3))  # vertical pass: [out_h, out_w, 3]
    for k in range(ty_index.shape[1]):
        taken = tmp[ty_index[:, k]].astype(np.float64)
        out += ty_weight[:, k].astype(np.float64)[:, None, None] * taken
    scale, shift = _normalisation(mean, std)
    return (out * scale - shift).astype(np.float32).transpose(2, 0, 1).copy()


def _normalisation(mean, std) -> tuple[np.ndarray, np.ndarray]:
    scale = np.array([1 / (255 * s) for s in std])
    shift = np.array([m / s for m, s in zip(mean, std)])
    return scale, shift


# --- tiles (components/tiles.ts, image-tiles.ts): LLaVA-NeXT's grid choice, resize and pad --------


def select_grid(grids, side: int, width: int, height: int) -> dict:
    """LLaVA-NeXT's select_best_resolution in the same float arithmetic as the reference: the
    grid keeping the most of the image, then the least waste, then the one declared first."""
    best, best_effective, best_wasted = None, -1, math.inf
    for g in grids:
        W, H = g["cols"] * side, g["rows"] * side
        scale = min(W / width, H / height)
        effective = min(int(width * scale) * int(height * scale), width * height)
        wasted = W * H - effective
        if effective > best_effective or (effective == best_effective and wasted < best_wasted):
            best, best_effective, best_wasted = g, effective, wasted
    if best is None:
        raise AssertionError("internal: `tiles` has no grids")
    return best


def pad_placement(width: int, height: int, W: int, H: int) -> tuple[int, int, int, int]:
    """LLaVA-NeXT's resize_and_pad_image geometry: (new width, new height, paste x, paste y)."""
    scale_w, scale_h = W / width, H / height
    if scale_w < scale_h:
        new_w, new_h = W, min(math.ceil(height * scale_w), H)
    else:
        new_w, new_h = min(math.ceil(width * scale_h), W), H
    return new_w, new_h, (W - new_w) // 2, (H - new_h) // 2


def tile_passes(tiles: dict, size: int, width: int, height: int) -> int:
    """Encoder passes of a width x height image: its grid's crops, and the overview."""
    g = select_grid(tiles["grids"], size, width, height)
    return g["cols"] * g["rows"] + (1 if tiles["overview"] else 0)


def tile_image(rgb: np.ndarray, tiles: dict, size: int, mean, std, resize="auto") -> np.ndarray:
    """[passes, 3, S, S] float32 (image-tiles.ts's tileImage): the overview (the whole image
    resized to S x S), then the crops of the image resized to fit its grid, aspect ratio kept,
    on a black canvas, row by row."""
    h, w = rgb.shape[:2]
    g = select_grid(tiles["grids"], size, w, h)
    cols, rows = g["cols"], g["rows"]
    W, H = cols * size, rows * size
    new_w, new_h, x, y = pad_placement(w, h, W, H)
    scale, shift = _normalisation(mean, std)
    pad = (0 * scale - shift).astype(np.float32)  # black, normalised as resize_region does
    canvas = np.empty((3, H, W), np.float32)
    canvas[:] = pad[:, None, None]
    canvas[:, y : y + new_h, x : x + new_w] = resize_region(
        rgb, (0, 0, w, h), new_w, new_h, mean, std, resize
    )
    crops = canvas.reshape(3, rows, size, cols, size).transpose(1, 3, 0, 2, 4)
    out = [crops.reshape(rows * cols, 3, size, size)]
    if tiles["overview"]:
        out.insert(0, resize_region(rgb, (0, 0, w, h), size, size, mean, std, resize)[None])
    return np.ascontiguousarray(np.concatenate(out))
