"""Reading the sources of the mmc data pipeline (data.py): the records of each format (read-*.ts),
their images, and every problem counted per source and reason (issues.ts), with the refusals,
limits and messages of the TypeScript readers, so the same records are used or skipped.
"""

from __future__ import annotations

import os
import re
from typing import Callable, Iterator

import numpy as np

# fmt: off
try:  # as part of a generated package, or run from its folder
    from .data_files import (AllowedFolders, GzipError, Line, Refusal, TarEntry, TarFormatError,
        escape_controls, file_chunks, format_bytes, gunzip, js_trim, nullish, open_regular,
        parse_json, read_contained, read_lines, read_tar, show_text, utf16_len)
    from .data_image import (ImageRefused, check_image_header, decode_image, fit_problem,
        preprocess_image, tile_image, tile_passes)
except ImportError:
    from data_files import (AllowedFolders, GzipError, Line, Refusal, TarEntry, TarFormatError,
        escape_controls, file_chunks, format_bytes, gunzip, js_trim, nullish, open_regular,
        parse_json, read_contained, read_lines, read_tar, show_text, utf16_len)
    from data_image import (ImageRefused, check_image_header, decode_image, fit_problem,
        preprocess_image, tile_image, tile_passes)
# fmt: on

# --- limits and issues (limits.ts, issues.ts) -----------------------------------------------------

DEFAULT_LIMITS = {
    "fileBytes": 64 * 2**20,  # bytes of one image file or tar member
    "megapixels": 64,  # pixels of one image, from its header
    "lineBytes": 16 * 2**20,  # bytes of one JSONL or text line
    "imagesPerRecord": 64,  # images one interleaved document may name
    "recordMegapixels": 256,  # pixels of all the images of one record
    "sampleMembers": 32,  # members of one WebDataset sample
    "sampleBytes": 128 * 2**20,  # bytes of one WebDataset sample
    "shuffleBytes": 512 * 2**20,  # bytes the shuffle buffer holds before giving records out early
}
MAX_TAR_HEADER_BYTES = 2**20
ADVICE = {"repeated-source"}  # never an error, even with strict


class DataError(Exception):
    """Bad data or a bad spec: a clear message with a fix, never an internal error."""

    def __init__(self, message: str, issue: dict | None = None):
        super().__init__(message)
        self.issue = issue


def render_issue(issue: dict) -> str:
    where = f"{issue['file']}: {issue['position']}" if issue.get("position") else issue["file"]
    fix = f" (fix: {issue['fix']})" if issue.get("fix") else ""
    return escape_controls(
        f"data[{issue['code']}] source `{issue['source']}`: {where}: {issue['message']}{fix}"
    )


class IssueSink:
    """Counts problems per source and code, passes the first few on, or raises them when strict."""

    def __init__(self, strict: bool = False, on_warning: Callable | None = None, max_per_kind=20):
        self.strict, self.on_warning, self.max_per_kind = strict, on_warning, max_per_kind
        self.counts: dict[tuple[str, str], int] = {}
        self.file_counts: dict[tuple[str, str], int] = {}

    def report(self, issue: dict) -> None:
        rendered = render_issue(issue)
        if self.strict and issue["code"] not in ADVICE:
            raise DataError(rendered, issue)
        key = (issue["source"], issue["code"])
        seen = self.counts[key] = self.counts.get(key, 0) + 1
        if issue.get("scope") == "file":
            self.file_counts[key] = self.file_counts.get(key, 0) + 1
        if self.on_warning is None or seen > self.max_per_kind + 1:
            return
        if seen == self.max_per_kind + 1:
            message = f"more `{issue['code']}` issues in this source are counted but not reported"
            issue = {**issue, "position": None, "fix": None, "message": message}
            rendered = render_issue(issue)
        self.on_warning(issue, rendered)

    def summary(self, which: str = "all") -> dict[str, dict[str, int]]:
        """`{source: {code: n}}`; with "files", only the issues that skipped (part of) a file."""
        out: dict[str, dict[str, int]] = {}
        for (source, code), n in (self.counts if which == "all" else self.file_counts).items():
            out.setdefault(source, {})[code] = n
        return out


# --- the end-of-run summary of skipped samples (skip-summary.ts) ---------------------------------

# Each code in words; codes that skip nothing (advice, a source left out) are not listed.
SKIP_REASONS = {
    "missing-file": "missing file",
    "not-regular-file": "not a regular file",
    "outside-data-folder": "path outside the data folder",
    "bad-path": "unusable path",
    "file-too-large": "file too large",
    "image-too-large": "image too large",
    "line-too-long": "line too long",
    "record-too-large": "record too large",
    "corrupt-archive": "damaged archive",
    "corrupt-gzip": "damaged gzip",
    "malformed-json": "malformed JSON",
    "bad-record": "missing fields",
    "bad-turns": "bad conversation turns",
    "image-markers": "image markers do not match the images",
    "incomplete-sample": "incomplete sample",
    "corrupt-image": "corrupt image",
    "unsupported-image": "unsupported image",
    "url-image": "image URL",
}


def skip_summary(counts: dict, file_counts: dict) -> dict:
    """`{samples, files, sources: [{source, samples, files, left_out}]}` from an IssueSink's
    `summary()` and `summary("files")` (summed over ranks first when there are several)."""
    sources = []
    for source, codes in counts.items():
        entry = {"source": source, "samples": {}, "files": {}, "left_out": False}
        for code, n in codes.items():
            if code == "empty-source":
                entry["left_out"] = True
            if code not in SKIP_REASONS:
                continue
            in_files = file_counts.get(source, {}).get(code, 0)
            if in_files > 0:
                entry["files"][code] = entry["files"].get(code, 0) + in_files
            if n > in_files:
                entry["samples"][code] = entry["samples"].get(code, 0) + n - in_files
        if entry["left_out"] or sum(entry["samples"].values()) + sum(entry["files"].values()) > 0:
            sources.append(entry)
    sources.sort(key=lambda e: e["source"])
    return {
        "samples": sum(sum(e["samples"].values()) for e in sources),
        "files": sum(sum(e["files"].values()) for e in sources),
        "sources": sources,
    }


def render_skip_summary(summary: dict) -> str | None:
    """"skipped 3 samples: caption 2 (corrupt image 1, ...), text 1 (...)"; then skipped files and
    sources left out; None when nothing was skipped."""

    def reasons(counts):
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{SKIP_REASONS.get(code, code)} {n}" for code, n in ordered)

    def part(noun, n, which):
        listed = [
            f"{e['source']} {sum(e[which].values())} ({reasons(e[which])})"
            for e in summary["sources"]
            if sum(e[which].values()) > 0
        ]
        return f"skipped {n} {noun}{'' if n == 1 else 's'}: {', '.join(listed)}"

    out = []
    if summary["samples"] > 0:
        out.append(part("sample", summary["samples"], "samples"))
    if summary["files"] > 0:
        out.append(part("file", summary["files"], "files"))
    left = [e["source"] for e in summary["sources"] if e["left_out"]]
    if left:
        out.append(f"left out of the mixture (nothing usable): {', '.join(left)}")
    return "; ".join(out) if out else None


def skip_record(summary: dict) -> dict:
    """The metrics.jsonl record: `{"type":"skipped","samples":3,"files":0,"sources":{...}}`."""
    sources = {}
    for e in summary["sources"]:
        sources[e["source"]] = {"samples": e["samples"], "files": e["files"]}
        if e["left_out"]:
            sources[e["source"]]["left_out"] = True
    return {
        "type": "skipped",
        "samples": summary["samples"],
        "files": summary["files"],
        "sources": sources,
    }


# --- brace expansion (brace-expand.ts) ------------------------------------------------------------

MAX_BRACE_FILES = 1_000_000  # TypeScript has no such cap (it would run out of memory)


def expand_braces(pattern: str) -> list[str]:
    """`a-{0000..0003}.tar` (padded like the first bound) and `{train,val}.jsonl`, as in TS."""
    start = pattern.find("{")
    end = pattern.find("}", start) if start >= 0 else -1
    if end < 0:
        return [pattern]
    head, body = pattern[:start], pattern[start + 1 : end]
    tails = expand_braces(pattern[end + 1 :])
    r = re.fullmatch(r"(-?[0-9]+)\.\.(-?[0-9]+)", body)
    if r:
        a, b = int(r.group(1)[:16]), int(r.group(2)[:16])
        if abs(b - a) >= MAX_BRACE_FILES or max(len(r.group(1)), len(r.group(2))) > 16:
            raise DataError(
                f"the brace range `{{{body}}}` names too many files "
                f"(fix: name at most {MAX_BRACE_FILES:,})"
            )
        width = len(r.group(1).replace("-", "", 1))
        step = 1 if a <= b else -1
        choices = [
            ("-" if i < 0 else "") + str(abs(i)).zfill(width) for i in range(a, b + step, step)
        ]
    elif "," in body:
        choices = body.split(",")
    else:
        return [f"{head}{{{body}}}{t}" for t in tails]
    return [head + c + t for c in choices for t in tails]


# --- reading context ------------------------------------------------------------------------------


class Context:
    """What a source's readers share (document.ts ReadContext)."""

    def __init__(self, source, issues, image, reported, allowed, limits, shuffle_buffer, eager):
        self.source: dict = source
        self.issues: IssueSink = issues
        self.image: dict = image
        self.reported: set[str] = reported  # files already reported broken, across epochs
        self.allowed: AllowedFolders = allowed
        self.limits: dict = limits
        self.shuffle_buffer: int = shuffle_buffer
        self.eager: bool = eager  # preprocess images as they load (one process), else on demand

    def report(self, code: str, file: str, position, message: str, fix, scope=None) -> None:
        issue = {"code": code, "source": self.source["name"], "file": file, "position": position}
        self.issues.report({**issue, "message": message, "fix": fix, "scope": scope})

    def report_once(self, file: str, code: str, message: str, fix: str, position=None) -> None:
        """A whole file (or its rest) skipped: reported the first time only."""
        if file not in self.reported:
            self.reported.add(file)
            self.report(code, file, position, message, fix, "file")


def open_source_file(ctx: Context, file: str) -> int | None:
    """A shard or JSONL file the spec names: anywhere, but a regular file; None once reported."""
    try:
        return open_regular(file, "the file")
    except Refusal as r:
        missing = r.code == "missing-file"
        message = re.sub(r"^the file ", "file " if missing else "the source file ", r.message)
        fix = (
            "check the source path and brace range in the data spec"
            if missing
            else "point the source at regular files"
        )
        ctx.report_once(file, "missing-file" if missing else "not-regular-file", message, fix)
        return None


# --- lines of a source (read-lines.ts) ------------------------------------------------------------


def source_lines(ctx: Context, files: list[str], keep_blank: bool = False) -> Iterator[Line]:
    """Lines of every file in order; missing files and damaged gzip reported once and skipped."""
    for file in files:
        fd = open_source_file(ctx, file)
        if fd is None:
            continue
        last = 0
        try:
            chunks = gunzip(file_chunks(fd)) if file.endswith(".gz") else file_chunks(fd)
            for line in read_lines(file, chunks, ctx.limits["lineBytes"]):
                last = line.line_no
                if keep_blank or line.too_long is not None or js_trim(line.text) != "":
                    yield line
        except GzipError as e:
            message, fix = (
                f"{e}; the rest of this file is skipped",
                "re-compress the file with gzip",
            )
            ctx.report_once(file, "corrupt-gzip", message, fix, f"line {last + 1}")
        finally:
            os.close(fd)


def parse_json_line(ctx: Context, line: Line) -> dict | None:
    """The line as a JSON object, or None after reporting why not."""
    if line.too_long is not None:
        return report_long_line(ctx, line, line.too_long)
    try:
        value = parse_json(line.text)
    except (ValueError, RecursionError) as e:
        message, fix = (
            f"invalid JSON: {show_text(str(e))}",
            "each line must be one complete JSON object",
        )
        ctx.report("malformed-json", line.file, f"line {line.line_no}", message, fix)
        return None
    if not isinstance(value, dict):
        return bad_record(ctx, line, "line is not a JSON object", "write one JSON object per line")
    return value


def bad_record(ctx: Context, line: Line, message: str, fix: str) -> None:
    ctx.report("bad-record", line.file, f"line {line.line_no}", message, fix)


def report_long_line(ctx: Context, line: Line, n: int) -> None:
    limit = format_bytes(ctx.limits["lineBytes"])
    message = (
        f"line is {format_bytes(n)}, over the {limit} limit for one line; it is skipped unread"
    )
    fix = "split the record, or check that the file really is JSONL (one object per line)"
    ctx.report("line-too-long", line.file, f"line {line.line_no}", message, fix)


# --- images of records: checked, decoded, preprocessed now or on demand ---------------------------


class ImagePart:
    """An image of a document: its pixels now (one process), or its bytes, decoded again when a
    row of this rank needs them (several processes). A tiled model's image (`tiles` in the image
    options) is `passes` encoder inputs, known from its size before any pixels are made."""

    __slots__ = ("ref", "data", "pixels", "options", "megapixels", "passes")

    def __init__(self, ref: str, data: bytes, rgb: np.ndarray, ctx: Context):
        self.ref, self.options, self.megapixels = ref, ctx.image, ctx.limits["megapixels"]
        tiles = ctx.image.get("tiles")
        h, w = rgb.shape[:2]
        self.passes = tile_passes(tiles, ctx.image["size"], w, h) if tiles else None
        self.pixels = _preprocess(rgb, ctx.image) if ctx.eager else None
        self.data = None if ctx.eager else data

    def tensor(self) -> np.ndarray:
        """[3, S, S] float32, normalised; tiled, [passes, 3, S, S]: the overview, then crops."""
        if self.pixels is None:
            return _preprocess(decode_image(self.data, self.megapixels), self.options)
        return self.pixels


def _preprocess(rgb: np.ndarray, o: dict) -> np.ndarray:
    """What the encoder reads (image-tiles.ts's encoderPixels): a tiled model's overview and
    crops, else the square (centre crop, or with `fit: pad` the padded square) resized."""
    if o.get("tiles"):
        return tile_image(rgb, o["tiles"], o["size"], o["mean"], o["std"], o["resize"])
    return preprocess_image(
        rgb, o["size"], o["mean"], o["std"], o["resize"], o.get("fit", "crop")
    )


REFUSED = {
    "too-large": ("image-too-large", "resize the image before training"),
    "unsupported": ("unsupported-image", "convert the image to a still PNG, JPEG or WebP"),
    "corrupt": ("corrupt-image", "re-encode or remove the image"),
}


def load_image_bytes(ctx: Context, b: bytes, ref: str, file: str, position: str, budget=None):
    """Header checks (size, and the record's pixel budget), then decoding; None once reported."""
    try:
        head = check_image_header(b, ctx.limits["megapixels"])
        if head and budget is not None:
            _, w, h, _ = head
            if w * h > budget["left"]:
                budget["exceeded"] = True
                mp = f"{ctx.limits['recordMegapixels']:g}"
                message = (
                    f"image is {w}x{h}, past the {mp} MP limit for all the images of one record"
                )
                fix = "split the document or use smaller images"
                return ctx.report("record-too-large", file, position, message, fix)
            budget["left"] -= w * h
        rgb = decode_image(b, ctx.limits["megapixels"])
        h, w = rgb.shape[:2]
        too_large = fit_problem(w, h, ctx.image.get("fit", "crop"), ctx.limits["megapixels"])
        if too_large:
            fix = "crop the image nearer to square, or use `fit: crop`"
            return ctx.report("image-too-large", file, position, too_large, fix)
        return ImagePart(ref, b, rgb, ctx)
    except ImageRefused as r:
        code, fix = REFUSED[r.reason]
        return ctx.report(code, file, position, r.message, fix)


def load_image_file(ctx: Context, ref: str, naming_file: str, position: str, budget=None):
    """An image a record names by path: contained in the allowed folders, then loaded."""
    try:
        b = read_contained(ref, naming_file, ctx.allowed, ctx.limits["fileBytes"])
    except Refusal as r:
        return ctx.report(r.code, naming_file, position, r.message, r.fix)
    return load_image_bytes(ctx, b, ref, naming_file, f"{position} (`{show_text(ref)}`)", budget)


# --- source readers (read-jsonl.ts, read-webdataset.ts): records, loaded only when drawn ----------


class Record:
    """One unit of a source file (a JSONL line, a text block, a tar sample). Reading it is cheap;
    `load()` parses and decodes it, so a resumed stream skips records fast. None: unusable."""

    __slots__ = ("where", "bytes", "load")

    def __init__(self, where: str, nbytes: int | None, load: Callable[[], dict | None]):
        self.where, self.bytes, self.load = where, nbytes, load


def _doc(ctx: Context, where: str, parts: list) -> dict:
    """A document: its parts in reading order, text as str and images as ImagePart."""
    return {"source": ctx.source["name"], "where": where, "parts": parts}


def _jsonl(ctx: Context, files: list[str], load: Callable[[Line], dict | None]):
    for line in source_lines(ctx, files):
        where = f"{line.file}: line {line.line_no}"
        yield Record(where, utf16_len(line.text), lambda line=line: load(line))


def _is_url(ref: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", ref) is not None


def _url(ctx: Context, line: Line, url: str, position: str | None = None) -> None:
    message = f"image is a URL ({show_text(url, 80)}); it is skipped, mmc never downloads"
    fix = "download the images and write their paths relative to the JSONL file"
    ctx.report("url-image", line.file, position or f"line {line.line_no}", message, fix)


def read_caption_jsonl(ctx: Context, files: list[str]) -> Iterator[Record]:
    """`{"image": path, "caption": text}` per line (`txt` or `text` for the caption too)."""

    def load(line: Line) -> dict | None:
        obj = parse_json_line(ctx, line)
        if obj is None:
            return None
        image, caption = obj.get("image"), nullish(obj, "caption", "txt", "text")
        if not isinstance(image, str) or not isinstance(caption, str) or js_trim(caption) == "":
            fix = 'write {"image": "a.png", "caption": "..."}'
            return bad_record(ctx, line, "needs string fields `image` and `caption`", fix)
        if _is_url(image):
            return _url(ctx, line, image)
        part = load_image_file(ctx, image, line.file, f"line {line.line_no}")
        if part is None:
            return None
        return _doc(ctx, f"{line.file}: line {line.line_no}", [part, js_trim(caption)])

    return _jsonl(ctx, files, load)


def read_interleaved_jsonl(ctx: Context, files: list[str]) -> Iterator[Record]:
    """OBELICS-style documents: parallel `texts` and `images` lists, one non-null per position."""

    def load(line: Line) -> dict | None:
        obj = parse_json_line(ctx, line)
        if obj is None:
            return None
        texts, images = obj.get("texts"), obj.get("images")
        if not isinstance(texts, list) or not isinstance(images, list):
            fix = 'write {"texts": ["a", null], "images": [null, "b.png"]}'
            return bad_record(ctx, line, "needs parallel lists `texts` and `images`", fix)
        named, most = (
            sum(isinstance(x, str) and x != "" for x in images),
            ctx.limits["imagesPerRecord"],
        )
        if named > most:
            message = f"the document names {named} images, over the limit of {most} for one record"
            return ctx.report(
                "record-too-large", line.file, f"line {line.line_no}", message, "split the document"
            )
        budget = {"left": ctx.limits["recordMegapixels"] * 1e6, "exceeded": False}
        parts: list = []
        for i in range(max(len(texts), len(images))):
            text = texts[i] if i < len(texts) else None
            image = images[i] if i < len(images) else None
            if isinstance(text, str) and js_trim(text) != "":
                parts.append(text)
            elif isinstance(image, str) and image != "":
                position = f"line {line.line_no}, images[{i}]"
                if _is_url(image):
                    _url(ctx, line, image, position)
                    continue
                part = load_image_file(ctx, image, line.file, position, budget)
                if part is not None:
                    parts.append(part)
                elif budget["exceeded"]:  # the record's pixel budget is spent: all of it refused
                    return None
        return _doc(ctx, f"{line.file}: line {line.line_no}", parts) if parts else None

    return _jsonl(ctx, files, load)


def read_text_jsonl(ctx: Context, files: list[str]) -> Iterator[Record]:
    """One document per line, its text in `field` (default `text`)."""
    field = ctx.source.get("field") if ctx.source.get("field") is not None else "text"

    def load(line: Line) -> dict | None:
        obj = parse_json_line(ctx, line)
        if obj is None:
            return None
        text = obj.get(field)
        if not isinstance(text, str):
            fix = "set `field` in the source to the name of the text field"
            return bad_record(ctx, line, f"has no string field `{field}`", fix)
        return _doc(ctx, f"{line.file}: line {line.line_no}", [text]) if js_trim(text) else None

    return _jsonl(ctx, files, load)


def read_plain_text(ctx: Context, files: list[str]) -> Iterator[Record]:
    """Each block of lines between blank lines is one document (cut past 1M characters)."""
    block: list[str] = []
    chars, start, file = 0, None, ""

    def flush() -> Iterator[Record]:
        nonlocal block, chars, start
        if start is not None and block:
            text, where = "\n".join(block), f"{start.file}: line {start.line_no}"
            yield Record(where, utf16_len(text), lambda: _doc(ctx, where, [text]))
        block, chars, start = [], 0, None

    for line in source_lines(ctx, files, keep_blank=True):
        if line.too_long is not None:
            yield from flush()
            where = f"{line.file}: line {line.line_no}"
            yield Record(where, None, lambda line=line: report_long_line(ctx, line, line.too_long))
            continue
        blank = js_trim(line.text) == ""
        if line.file != file or blank or chars > 1 << 20:
            yield from flush()
            file = line.file
        if not blank:
            start = start or line
            block.append(line.text)
            chars += utf16_len(line.text)
    yield from flush()


IMAGE_EXTS = {"jpg", "jpeg", "png", "webp"}


def _last_ext(name: str) -> str:
    dot = name.rfind(".")
    return "" if dot < 0 else name[dot + 1 :].lower()


def _sample_key(name: str) -> str:
    """The name up to the first dot of its last component."""
    dot = name.find(".", name.rfind("/") + 1)
    return name if dot < 0 else name[:dot]


class _Sample:
    """Consecutive tar entries sharing a key; past a limit its data is let go at once."""

    def __init__(self, key: str, offset: int):
        self.key, self.offset = key, offset
        self.entries: list[TarEntry] = []
        self.bytes = 0
        self.overflow: str | None = None


def read_webdataset(ctx: Context, files: list[str]) -> Iterator[Record]:
    """WebDataset shards: a sample is an image (.jpg, .jpeg, .png, .webp) and a .txt or .json."""
    most, limit = ctx.limits["sampleMembers"], ctx.limits["sampleBytes"]
    for file in files:
        fd = open_source_file(ctx, file)
        if fd is None:
            continue
        sample: _Sample | None = None
        try:
            with os.fdopen(fd, "rb", closefd=False) as f:
                for entry in read_tar(f, ctx.limits["fileBytes"]):
                    key = _sample_key(entry.name)
                    if sample is not None and sample.key != key:
                        yield _sample_record(ctx, file, sample)
                        sample = None
                    sample = sample or _Sample(key, entry.offset)
                    if sample.overflow:
                        continue
                    n = len(entry.data) if entry.data is not None else 0
                    if len(sample.entries) >= most:
                        sample.overflow = f"the sample has more than {most} members"
                    elif sample.bytes + n > limit:
                        sample.overflow = (
                            f"the sample's members add up to more than {format_bytes(limit)}"
                        )
                    if sample.overflow:
                        sample.entries, sample.bytes = [], 0
                        continue
                    sample.entries.append(entry)
                    sample.bytes += n
        except TarFormatError as e:
            message = f"{e}; the rest of this shard is skipped"
            fix = "re-create the shard (for example with `tar --format=ustar`)"
            ctx.report_once(file, "corrupt-archive", message, fix, f"byte {e.offset}")
        finally:
            os.close(fd)
        if sample is not None:
            yield _sample_record(ctx, file, sample)


def _first(sample: _Sample, exts: set[str]) -> TarEntry | None:
    return next((e for e in sample.entries if _last_ext(e.name) in exts), None)


def _sample_record(ctx: Context, file: str, sample: _Sample) -> Record:
    key = show_text(sample.key)
    where = f"{file}: sample `{key}` at byte {sample.offset}"

    def bad(message: str, fix: str, entry: TarEntry | None = None, code="incomplete-sample"):
        position = f"sample `{key}` at byte {sample.offset}"
        if entry:
            position = f"entry `{show_text(entry.name)}` at byte {entry.offset}"
        return ctx.report(code, file, position, message, fix)

    def load() -> dict | None:
        if sample.overflow:
            fix = "give each sample its own key (the name up to the first dot)"
            return bad(f"{sample.overflow}; it is skipped", fix, None, "record-too-large")
        image, txt, meta = (_first(sample, exts) for exts in (IMAGE_EXTS, {"txt"}, {"json"}))
        if image is None:
            return bad(
                "sample has no .jpg, .png or .webp image", "add the image or drop the sample"
            )
        if image.data is None:
            limit = format_bytes(ctx.limits["fileBytes"])
            size = format_bytes(image.size)
            message = f"image is {size}, over the {limit} limit for one file; it was skipped unread"
            return bad(message, "shrink or re-encode it", image, "file-too-large")
        caption = None
        if txt is not None and txt.data is not None:
            caption = txt.data.decode("utf-8", "replace")
        elif meta is not None and meta.data is not None:
            try:
                obj = parse_json(meta.data.decode("utf-8", "replace"))
                if obj is None:  # null["caption"] is a TypeError in JavaScript
                    raise ValueError("Cannot read properties of null (reading 'caption')")
            except (ValueError, RecursionError) as e:
                position = f"entry `{show_text(meta.name)}` at byte {meta.offset}"
                fix = "write the metadata as one JSON object with a `caption` field"
                return ctx.report(
                    "malformed-json", file, position, f"invalid JSON: {show_text(str(e))}", fix
                )
            c = nullish(obj, "caption", "txt", "text")
            caption = c if isinstance(c, str) else None
            if caption is None:
                return bad("JSON has no string `caption` or `txt` field", "add one", meta)
        if caption is None or js_trim(caption) == "":
            return bad("sample has no caption (.txt or .json)", "add a caption or drop the sample")
        position = f"entry `{show_text(image.name)}` at byte {image.offset}"
        part = load_image_bytes(ctx, image.data, image.name, file, position)
        return None if part is None else _doc(ctx, where, [part, js_trim(caption)])

    return Record(where, sample.bytes, load)


# --- conversations (conversation.ts, read-conversation.ts) ---------------------------------------

USER_TAG, ASSISTANT_TAG, TURN_END, IMAGE_MARKER = "User: ", "Assistant: ", "\n", "<image>"
MAX_TURNS_PER_RECORD = 512
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}
CHAT_EXAMPLE = (
    '{"image": "a.png", "conversations": [{"from": "human", "value": "<image>\\nWhat is it?"}, '
    '{"from": "gpt", "value": "A red circle."}]}'
)


class ChatText:
    """A conversation's text piece: tokenized on its own; only `target` text is trained on."""

    __slots__ = ("text", "target")

    def __init__(self, text: str, target: bool):
        self.text, self.target = text, target


def _chat_images(obj: dict):
    """The record's image paths (a list), or a (code, message, fix) problem."""
    one, many = obj.get("image"), obj.get("images")
    if "image" in obj and "images" in obj:
        return ("bad-record", "has both `image` and `images`", "keep one of the two")
    if "image" in obj:
        if not isinstance(one, str) or one == "":
            return ("bad-record", "`image` must be a path", 'write "image": "a.png"')
        return [one]
    if "images" not in obj:
        return []
    if not isinstance(many, list) or any(not isinstance(x, str) or x == "" for x in many):
        return ("bad-record", "`images` must be a list of paths", 'write "images": ["a.png"]')
    return many


def parse_conversation(obj: dict, images_per_record: int):
    """(images, segments) laid out in the chat template, or a (code, message, fix) problem;
    a segment is a ChatText or the index of an image."""
    images = _chat_images(obj)
    if isinstance(images, tuple):
        return images
    if len(images) > images_per_record:
        return ("record-too-large", f"the conversation names {len(images)} images", "split it")
    turns_in = nullish(obj, "conversations", "messages")
    if not isinstance(turns_in, list):
        return ("bad-record", "needs a list `conversations` of turns", f"write {CHAT_EXAMPLE}")
    if len(turns_in) > MAX_TURNS_PER_RECORD:
        return ("record-too-large", f"the conversation has {len(turns_in)} turns", "split it")
    if not turns_in:
        return ("bad-turns", "the conversation has no turns", f"write {CHAT_EXAMPLE}")
    turns: list[tuple[str, str]] = []
    for i, turn in enumerate(turns_in):
        at = f"turn {i + 1}"
        if not isinstance(turn, dict):
            return ("bad-turns", f"{at} is not an object", "write each turn as an object")
        who, text = nullish(turn, "from", "role"), nullish(turn, "value", "content")
        if not isinstance(who, str) or not isinstance(text, str):
            return ("bad-turns", f"{at} needs string fields `from` and `value`", "add them")
        role = ROLES.get(who)
        if role is None:
            return ("bad-turns", f"{at} has an unknown role", "use human/user or gpt/assistant")
        if role != ("user" if i % 2 == 0 else "assistant"):
            return ("bad-turns", f"{at} is out of order", "alternate user and assistant turns")
        if role == "assistant" and js_trim(text) == "":
            return ("bad-turns", f"{at} is an empty assistant turn", "give it its answer")
        if role == "assistant" and IMAGE_MARKER in text:
            return ("image-markers", f"{at} has a marker in an answer", "move it to a user turn")
        turns.append((role, text))
    if len(turns) % 2 != 0:
        return ("bad-turns", "the conversation ends with a user turn", "end with an answer")
    markers = sum(t.count(IMAGE_MARKER) for _, t in turns)
    if markers > len(images) or 0 < markers < len(images):
        message = f"{markers} `{IMAGE_MARKER}` markers for {len(images)} images"
        return ("image-markers", message, "write one marker per image")
    segments: list = []

    def text_(s: str, target: bool) -> None:
        if s == "":
            return
        last = segments[-1] if segments else None
        if isinstance(last, ChatText) and last.target == target:
            last.text += s
        else:
            segments.append(ChatText(s, target))

    image = 0
    for i, (role, text) in enumerate(turns):
        if role == "assistant":
            text_(ASSISTANT_TAG, False)
            text_(text + TURN_END, True)
            continue
        text_(USER_TAG, False)
        if i == 0 and markers == 0:
            segments.extend(range(len(images)))
            image = len(images)
        for k, piece in enumerate(text.split(IMAGE_MARKER)):
            if k > 0:
                segments.append(image)
                image += 1
            text_(piece, False)
        text_(TURN_END, False)
    return images, segments


def read_conversation_jsonl(ctx: Context, files: list[str]) -> Iterator[Record]:
    """LLaVA-style conversations; a record whose image cannot be used is skipped whole."""

    def load(line: Line) -> dict | None:
        obj = parse_json_line(ctx, line)
        if obj is None:
            return None
        position = f"line {line.line_no}"
        parsed = parse_conversation(obj, ctx.limits["imagesPerRecord"])
        if isinstance(parsed, tuple) and isinstance(parsed[0], str):
            code, message, fix = parsed
            return ctx.report(code, line.file, position, message, fix)
        images, segments = parsed
        budget = {"left": ctx.limits["recordMegapixels"] * 1e6, "exceeded": False}
        loaded = []
        for i, ref in enumerate(images):
            at = f"{position}, images[{i}]"
            if _is_url(ref):
                return _url(ctx, line, ref, at)
            part = load_image_file(ctx, ref, line.file, at, budget)
            if part is None:
                return None
            loaded.append(part)
        parts = [s if isinstance(s, ChatText) else loaded[s] for s in segments]
        return _doc(ctx, f"{line.file}: line {line.line_no}", parts)

    return _jsonl(ctx, files, load)


READERS = {
    ("caption", "webdataset"): read_webdataset,
    ("caption", "jsonl"): read_caption_jsonl,
    ("interleaved", "jsonl"): read_interleaved_jsonl,
    ("text", "jsonl"): read_text_jsonl,
    ("text", "text"): read_plain_text,
    ("conversation", "jsonl"): read_conversation_jsonl,
}
