"""Bytes from files for the mmc data pipeline (data.py): containment (contained-file.ts), lines
of plain and gzip files (line-reader.ts), tar archives (tar-reader.ts), and text measured, trimmed,
decoded and encoded the way JavaScript does it, so the Python readers see what TypeScript sees.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import stat
import zlib
from typing import Any, Iterator

MAX_TAR_HEADER_BYTES = 2**20

# --- text as JavaScript sees it -------------------------------------------------------------------


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{round(n / size, 1):g} {unit}"
    return f"{n} bytes"


_UNSAFE = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """Control characters, line separators and direction overrides escaped (show-text.ts)."""

    def one(m: re.Match) -> str:
        c = m.group(0)
        return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{{{ord(c):x}}}")

    return _UNSAFE.sub(one, text)


def show_text(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return escape_controls(text)
    return f"{escape_controls(text[:limit])}... ({len(text)} characters)"


_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def js_trim(s: str) -> str:
    """String.prototype.trim: JavaScript's white space, not Python's (which adds \\x1c-\\x1f)."""
    return s.strip(_JS_SPACE)


def utf16_len(s: str) -> int:
    """A JavaScript string's length (UTF-16 units): what the shuffle buffer counts as bytes."""
    return len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


def utf8(text: str) -> bytes:
    """UTF-8 as Buffer.from(text) writes it: a lone surrogate (a JSON escape) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _no_constant(name: str) -> None:
    raise ValueError(f"`{name}` is not JSON")


def parse_json(text: str) -> Any:
    """JSON.parse: NaN and Infinity refused, numbers as floats (so long digit runs parse too)."""
    return json.loads(text, parse_int=float, parse_constant=_no_constant)


def nullish(obj: Any, *keys: str) -> Any:
    """`obj[a] ?? obj[b] ?? ...` for a parsed JSON value."""
    if isinstance(obj, dict):
        for k in keys:
            if obj.get(k) is not None:
                return obj[k]
    return None


# --- files: containment and regular-file checks (contained-file.ts) -------------------------------


def resolve_path(base: str, path: str) -> str:
    """Node's path.resolve(base, path)."""
    out = os.path.normpath(os.path.join(os.path.abspath(base), path))
    return "/" + out.lstrip("/") if out.startswith("//") else out


def is_inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder if folder.endswith("/") else folder + "/")


def _why(e: OSError) -> str:
    code = errno.errorcode.get(e.errno or 0, "unknown error")
    if code in ("ENOENT", "ENOTDIR"):
        return "does not exist"
    if code in ("EACCES", "EPERM"):
        return "cannot be read (permission denied)"
    return f"cannot be reached ({code})"


def _kind(st: os.stat_result) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(st.st_mode):
            return name
    return "not a regular file"


class Refusal(Exception):
    """A file that may not be read: `code` is its issue code."""

    def __init__(self, code: str, message: str, fix: str):
        super().__init__(message)
        self.code, self.message, self.fix = code, message, fix


OUTSIDE_FIX = (
    "keep the files under the folder of the file that names them, "
    "or add their folder to `roots` in the `data` block"
)


class AllowedFolders:
    """The folders a path in a data file may resolve into: the naming file's own, and `roots`."""

    def __init__(self, roots: list[str] = ()):  # type: ignore[assignment]
        self.roots = [resolve_path(".", r) for r in roots]
        self.real: dict[str, str] = {}

    def folders(self, naming_file: str) -> list[str]:
        return [os.path.dirname(resolve_path(".", naming_file)), *self.roots]

    def real_folder(self, folder: str) -> str:
        if folder not in self.real:
            try:
                os.stat(folder)
                self.real[folder] = os.path.realpath(folder)
            except (OSError, ValueError):
                self.real[folder] = folder
        return self.real[folder]


def resolve_contained(ref: str, naming_file: str, allowed: AllowedFolders) -> str:
    """The real path of the regular file `ref` names, inside the allowed folders; else Refusal."""
    shown = f"`{show_text(ref)}`"
    if "\0" in ref:
        raise Refusal("bad-path", f"path {shown} contains a NUL byte", "remove the NUL byte")
    ref = _SURROGATE.sub("\ufffd", ref)  # as Node encodes a path for the file system
    folders = allowed.folders(naming_file)
    candidate = resolve_path(folders[0], ref)
    if not any(is_inside(candidate, f) for f in folders):
        how = "is absolute and outside" if ref.startswith("/") else "climbs out of"
        raise Refusal("outside-data-folder", f"path {shown} {how} the data folder", OUTSIDE_FIX)
    try:
        os.stat(candidate)
    except OSError as e:
        if e.errno == errno.ELOOP:
            message = f"path {shown} is a symbolic link loop"
            raise Refusal("not-regular-file", message, "fix or remove the link") from None
        fix = "paths are relative to the file that names them; check that the file exists"
        raise Refusal("missing-file", f"path {shown} {_why(e)}", fix) from None
    real = os.path.realpath(candidate)
    if not any(is_inside(real, allowed.real_folder(f)) for f in folders):
        message = f"path {shown} is a symbolic link to {show_text(real)}, outside the data folder"
        raise Refusal("outside-data-folder", message, OUTSIDE_FIX)
    return real


def open_regular(path: str, shown: str) -> int:
    """An fd of a regular file, opened without following a last symlink or blocking on a FIFO."""
    try:
        st = os.stat(path)
    except (OSError, ValueError) as e:
        if isinstance(e, OSError) and e.errno == errno.ELOOP:
            raise Refusal("not-regular-file", f"{shown} is a symbolic link loop", "fix the link")
        why = _why(e) if isinstance(e, OSError) else "cannot be reached (bad path)"
        raise Refusal("missing-file", f"{shown} {why}", "check the path") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(shown, st)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as e:
        code = errno.errorcode.get(e.errno or 0, "error")
        message = f"{shown} cannot be opened ({code})"
        raise Refusal("missing-file", message, "check the file") from None
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise _not_regular(shown, opened)
    return fd


def _not_regular(shown: str, st: os.stat_result) -> Refusal:
    message = f"{shown} is {_kind(st)}, not a regular file"
    return Refusal("not-regular-file", message, "point it at a regular file")


def read_contained(ref: str, naming_file: str, allowed: AllowedFolders, limit: int) -> bytes:
    """A file a record names: contained, regular, at most `limit` bytes, read through its fd."""
    path = resolve_contained(ref, naming_file, allowed)
    shown = f"path `{show_text(ref)}`"
    fd = open_regular(path, shown)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            over = f"{format_bytes(size)}, over the {format_bytes(limit)} limit for one file"
            raise Refusal("file-too-large", f"{shown} is {over}", "shrink or re-encode it")
        parts, got = [], 0
        while got < size:
            part = os.pread(fd, size - got, got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)
    finally:
        os.close(fd)


# --- lines, plain and gzip (line-reader.ts) -------------------------------------------------------


CHUNK = 256 * 1024  # the read stream's chunk
GZIP_OUT = 16 * 1024  # Node's zlib output buffer: a damaged stream loses the round it fails in


class GzipError(Exception):
    pass


def file_chunks(fd: int) -> Iterator[bytes]:
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return
        yield chunk


def gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Node's createGunzip, round by round: members in sequence, trailing zeros ignored, and on
    damage the output of the failing 16 KiB round dropped, so the same lines come out before it."""
    d, done, offset = zlib.decompressobj(31), False, 0
    for data in chunks:
        while data:
            space, out = GZIP_OUT - offset, b""
            try:
                while True:
                    if done:
                        if data[0] == 0:
                            data = b""
                            break
                        d, done = zlib.decompressobj(31), False
                    out += d.decompress(data, space - len(out))
                    if not d.eof:
                        data = d.unconsumed_tail
                        break
                    done, data = True, d.unused_data
                    if not data or len(out) == space:
                        break
            except zlib.error as e:
                raise GzipError(f"gzip data is damaged ({str(e).split(': ')[-1]})") from None
            if out:
                yield out
            offset = (offset + len(out)) % GZIP_OUT
    if not done:
        raise GzipError("gzip data is damaged (unexpected end of file)")


class Line:
    __slots__ = ("file", "text", "line_no", "too_long")

    def __init__(self, file: str, text: str, line_no: int, too_long: int | None):
        self.file, self.text, self.line_no, self.too_long = file, text, line_no, too_long


def read_lines(file: str, chunks: Iterator[bytes], limit: int) -> Iterator[Line]:
    """Lines split at \\n; one longer than `limit` bytes is passed over unheld (`too_long`)."""
    parts: list[bytes] = []
    held = over = line_no = 0
    for chunk in chunks:
        pieces = chunk.split(b"\n")
        for k, piece in enumerate(pieces):
            n = len(piece)
            if over:
                over += n
            elif held + n > limit:
                over, parts, held = held + n, [], 0
            elif n:
                parts.append(piece)
                held += n
            if k == len(pieces) - 1:
                break
            line_no += 1
            yield _take(file, parts, over, line_no)
            parts, held, over = [], 0, 0
    if held or over:
        yield _take(file, parts, over, line_no + 1)


def _take(file: str, parts: list[bytes], over: int, line_no: int) -> Line:
    if over:
        return Line(file, "", line_no, over)
    text = b"".join(parts).decode("utf-8", "replace")
    return Line(file, text[:-1] if text.endswith("\r") else text, line_no, None)


# --- tar shards (tar-reader.ts) -------------------------------------------------------------------


class TarFormatError(Exception):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


class TarEntry:
    __slots__ = ("name", "size", "offset", "data")

    def __init__(self, name: str, size: int, offset: int, data: bytes | None):
        self.name, self.size, self.offset, self.data = name, size, offset, data


def _cstring(b: bytes) -> str:
    end = b.find(b"\0")
    return (b if end < 0 else b[:end]).decode("utf-8", "replace")


def _tar_number(field: bytes) -> int:
    """Octal text, or GNU base-256 when the first byte's high bit is set; -1 when neither."""
    if field[0] & 0x80:
        v = field[0] & 0x7F
        for b in field[1:]:
            v = v * 256 + b
        return v
    text = js_trim(_cstring(field))
    if text == "":
        return 0
    return int(text, 8) if re.fullmatch("[0-7]+", text) else -1


def _pax(body: bytes) -> tuple[str | None, int | None]:
    """`path` and `size` from pax records `LEN key=value\\n`, LEN counting bytes."""
    path: str | None = None
    size: int | None = None
    pos = 0
    while pos < len(body):
        space = body.find(b" ", pos)
        n = _decimal(body[pos:space].decode("latin-1")) if space >= 0 else None
        if not n:
            break
        n = min(n, len(body) + 1)  # past the end is as good as infinite (JavaScript's 1e999)
        key, eq, value = body[space + 1 : pos + n - 1].decode("utf-8", "replace").partition("=")
        if eq and key == "path":
            path = value
        if eq and key == "size":
            size = _decimal(value)
            size = -1 if size is None or size > 2**53 else size  # refused by the caller
        pos += n
    return path, size


def _decimal(digits: str) -> int | None:
    """ASCII digits as an int, capped far past 2**53 (int() refuses 4300 digits)."""
    if not re.fullmatch("[0-9]+", digits):
        return None
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 17 else 2**60


def read_tar(f: io.BufferedReader, max_entry_bytes: int) -> Iterator[TarEntry]:
    """Regular files of a ustar archive, with pax `path`/`size` and GNU long names; an entry over
    `max_entry_bytes` comes out with data None, skipped unread."""

    def read_exact(n: int, at: int) -> bytes:
        b = f.read(n)
        if len(b) < n:
            raise TarFormatError("archive is truncated inside an entry", at)
        return b

    def skip_exact(n: int, at: int) -> None:
        if f.tell() + n > os.fstat(f.fileno()).st_size:
            raise TarFormatError("archive is truncated inside an entry", at)
        f.seek(n, 1)

    long_name = pax_path = pax_size = None
    while True:
        offset = f.tell()
        header = f.read(512)
        if not header:
            return
        if len(header) < 512:
            raise TarFormatError("archive ends inside a header", offset)
        if header.count(0) == 512:
            return
        if _tar_number(header[148:156]) != sum(header) - sum(header[148:156]) + 8 * 32:
            raise TarFormatError("header checksum does not match (not a tar file?)", offset)
        kind = chr(header[156])
        size = pax_size if pax_size is not None else _tar_number(header[124:136])
        if not 0 <= size <= 2**53 - 1:
            raise TarFormatError("bad size field in header", offset)
        padded = -(-size // 512) * 512
        name = long_name if long_name is not None else pax_path if pax_path is not None else None
        if name is None:
            prefix = _cstring(header[345:500]) if header[257:262] == b"ustar" else ""
            name = f"{prefix}/{_cstring(header[:100])}" if prefix else _cstring(header[:100])
        long_name = pax_path = pax_size = None
        if kind in ("x", "L"):
            if size > MAX_TAR_HEADER_BYTES:
                limit = format_bytes(MAX_TAR_HEADER_BYTES)
                message = f"an extended header claims {format_bytes(size)}, over the {limit} limit"
                raise TarFormatError(message, offset)
            body = read_exact(size, offset)
            skip_exact(padded - size, offset)
            if kind == "L":
                long_name = body.decode("utf-8", "replace").rstrip("\0")
            else:
                pax_path, pax_size = _pax(body)
            continue
        if kind not in ("0", "\0", "7"):
            skip_exact(padded, offset)
            continue
        if name.startswith("./"):
            name = name[2:]
        if size > max_entry_bytes:
            skip_exact(padded, offset)
            yield TarEntry(name, size, offset, None)
            continue
        data = read_exact(size, offset)
        skip_exact(padded - size, offset)
        yield TarEntry(name, size, offset, data)
