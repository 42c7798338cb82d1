"""The mmc data pipeline in Python for the PyTorch target: a bit-exact mirror of the TypeScript one.

Sources (WebDataset tar shards, caption and OBELICS-style interleaved JSONL, text JSONL, plain
text, LLaVA-style conversations with their prompts masked, `.gz`), the seeded mixture, the
shuffle buffer, first-fit packing with image slots and a loss mask, and a JSON stream state a
checkpoint stores, all as src/runtime/data/ does them, so the same spec and seed give the same
batches in both. Standard library, numpy and Pillow only; no torch.

    stream = DataStream(spec, sequence=128, image_tokens=16, rank=rank, world_size=world)
    batch = stream.next_batch(8)    # this rank's rows of the global batch of 8
    saved = stream.state()          # plain JSON; DataStream(spec, ..., state=saved) resumes

Every rank packs the whole global batch (packing depends on token counts, not pixels) and keeps
its own contiguous rows; it preprocesses only the images of those rows.
"""

from __future__ import annotations

import json
import math
from typing import Callable, Iterator

import numpy as np

try:  # as part of a generated package, or run from its folder
    from . import data_files as files
    from . import data_read as read
except ImportError:
    import data_files as files
    import data_read as read

DataError, IssueSink = read.DataError, read.IssueSink  # what a training loop catches and reads

M32 = 0xFFFFFFFF

# --- the generator (prng.ts): xoshiro128** seeded through splitmix32, 32-bit ints as Python ints --


def to_uint32(x: float) -> int:
    """JavaScript's `x >>> 0`."""
    if isinstance(x, float):
        x = int(x) if math.isfinite(x) else 0
    return int(x) & M32


def _splitmix32(seed: int) -> Callable[[], int]:
    s = to_uint32(seed)

    def next_() -> int:
        nonlocal s
        s = (s + 0x9E3779B9) & M32
        z = ((s ^ (s >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        return z ^ (z >> 16)

    return next_


def mix_seed(*parts: float) -> int:
    """Several integers (seed, source index, epoch...) mixed into one 32-bit seed."""
    h = 0x811C9DC5
    for p in parts:
        h = _splitmix32(h ^ to_uint32(p))() ^ ((h * 0x01000193) & M32)
    return h


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & M32


class Prng:
    """Its whole state is four 32-bit integers, so a checkpoint stores it exactly as JSON."""

    def __init__(self, state: list[int]):
        self.s = [to_uint32(x) for x in state]

    @staticmethod
    def from_seed(seed: int) -> Prng:
        next_ = _splitmix32(seed)
        state = [next_(), next_(), next_(), next_()]
        if not any(state):
            state[0] = 1
        return Prng(state)

    def state(self) -> list[int]:
        return list(self.s)

    def next_uint32(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, _rotl(s3, 11)]
        return result

    def next_int(self, n: int) -> int:
        """Uniform in [0, n), as `Math.floor(nextFloat() * n)`."""
        return math.floor(self.next_uint32() / 4294967296 * n)

    def shuffle(self, items: list) -> list:
        for i in range(len(items) - 1, 0, -1):
            j = self.next_int(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def fold_sum(xs) -> float:
    """Left to right, as JavaScript's reduce adds (Python 3.12's sum() compensates floats)."""
    total = 0
    for x in xs:
        total = total + x
    return total


# --- one source as an endless stream (source-stream.ts) -------------------------------------------

REPEAT_WARNINGS = {4, 16, 64, 256, 1024}


def source_files(source: dict, base_dir: str) -> list[str]:
    return [
        p if p.startswith("/") else files.resolve_path(base_dir, p)
        for p in read.expand_braces(source["path"])
    ]


def shuffle_records(
    records: Iterator[read.Record], size: int, rng: Prng, max_bytes: int
) -> Iterator[read.Record]:
    """A seeded shuffle buffer over a pass: hold `size` records, give a random one out, refill;
    past `max_bytes` held, records are given out early."""
    buffer: list[read.Record] = []
    held = 0
    try:
        for r in records:
            held += r.bytes or 0
            if len(buffer) < size:
                buffer.append(r)
            else:
                j = rng.next_int(size)
                out, buffer[j] = buffer[j], r
                held -= out.bytes or 0
                yield out
            while held > max_bytes and len(buffer) > 1:
                j = rng.next_int(len(buffer))
                out, buffer[j] = buffer[j], buffer[-1]
                buffer.pop()
                held -= out.bytes or 0
                yield out
        while buffer:
            j = rng.next_int(len(buffer))
            out, buffer[j] = buffer[j], buffer[-1]
            buffer.pop()
            held -= out.bytes or 0
            yield out
    finally:
        records.close()  # type: ignore[attr-defined]


class SourceStream:
    """Files in a per-pass shuffled order, pass after pass, resumable from (epoch, record)."""

    def __init__(
        self,
        ctx: read.Context,
        base_dir: str,
        seed: int,
        index: int,
        epoch: int = 0,
        record: int = 0,
    ):
        kind = (ctx.source["kind"], ctx.source["format"])
        if kind not in read.READERS:
            raise DataError(
                f"source `{ctx.source['name']}`: kind `{kind[0]}` cannot be read from format "
                f"`{kind[1]}` (fix: caption sources use webdataset or jsonl, interleaved and "
                "conversation use jsonl, text use jsonl or text)"
            )
        self.ctx, self.reader, self.seed, self.index = ctx, read.READERS[kind], seed, index
        self.files = source_files(ctx.source, base_dir)
        self.epoch, self.record, self.fresh = epoch, record, record == 0
        self.iter: Iterator[read.Record] | None = None
        self.usable = 0
        self.dead = False
        self.samples_per_epoch: int | None = None

    def next(self) -> dict | None:
        """The next usable document, or None once the source is known to have none."""
        if self.dead:
            return None
        while True:
            if self.iter is None:
                files = list(self.files)
                if len(files) > 1:
                    Prng.from_seed(mix_seed(self.seed, self.index, self.epoch)).shuffle(files)
                records = self.reader(self.ctx, files)
                rng = Prng.from_seed(mix_seed(self.seed, self.index, self.epoch, 1))
                size = self.ctx.shuffle_buffer
                self.iter = (
                    shuffle_records(records, size, rng, self.ctx.limits["shuffleBytes"])
                    if size > 1
                    else records
                )
                for _ in range(self.record):
                    if next(self.iter, None) is None:
                        break
            record = next(self.iter, None)
            if record is None:
                self.iter = None
                if self.fresh and self.usable == 0:
                    self.dead = True
                    self._report(
                        "empty-source",
                        "a whole pass over the source found no usable sample; it is left out of "
                        "the mixture",
                        "check the path and the warnings above, or remove the source",
                    )
                    return None
                if self.fresh:
                    self.samples_per_epoch = self.usable
                self.epoch, self.record, self.usable, self.fresh = self.epoch + 1, 0, 0, True
                if self.epoch in REPEAT_WARNINGS:
                    per = self.samples_per_epoch
                    per = "" if per is None else f" ({per} samples per pass)"
                    self._report(
                        "repeated-source",
                        f"the source has been read {self.epoch} times over{per}; repeated data is "
                        "memorised rather than learned",
                        "add data to this source or lower its weight",
                    )
                continue
            self.record += 1
            doc = record.load()
            if doc is not None:
                self.usable += 1
                return doc

    def _report(self, code: str, message: str, fix: str) -> None:
        self.ctx.report(code, self.ctx.source["path"], None, message, fix)

    def close(self) -> None:
        if self.iter is not None:
            self.iter.close()  # type: ignore[attr-defined]
            self.iter = None


# --- tokens (tokenizer.ts, tokenize-document.ts) --------------------------------------------------

BYTE_SPECIAL = {"bos": 256, "eos": 257, "pad": 258, "image": 259}
BYTE_VOCAB = 260


class PromptIds:
    """A conversation's prompt text as ids (role tags, user turns): written with loss mask 0."""

    __slots__ = ("ids",)

    def __init__(self, ids: np.ndarray):
        self.ids = ids


def _byte_ids(text: str) -> np.ndarray:
    return np.frombuffer(files.utf8(text), np.uint8).astype(np.int32)


def tokenize_document(doc: dict, image_tokens: int) -> dict:
    """Byte ids per text run (adjacent text parts joined by a newline; a conversation's pieces
    each on their own, prompt pieces as PromptIds), images kept in place; `length` counts BOS,
    the text, `image_tokens` per image (per encoder pass of a tiled image) and EOS."""
    parts: list = []
    length, images, text = 2, 0, []
    for part in [*doc["parts"], None]:
        if isinstance(part, str):
            text.append(part)
            continue
        if text:
            ids = _byte_ids("\n".join(text))
            text = []
            if ids.size:
                parts.append(ids)
                length += ids.size
        if isinstance(part, read.ChatText):
            ids = _byte_ids(part.text)
            if ids.size:
                parts.append(ids if part.target else PromptIds(ids))
                length += ids.size
            continue
        if part is not None:
            parts.append(part)
            length += image_tokens * (part.passes or 1)
            images += 1
    return {
        "source": doc["source"],
        "where": doc["where"],
        "parts": parts,
        "length": length,
        "images": images,
    }


# --- the mixture (mixture-sampler.ts) -------------------------------------------------------------


class MixtureSampler:
    """Draws in blocks: each source gets a quota (weight x block size, fractions carried to the
    next block) and the order inside a block is a seeded shuffle, so realised shares stay within
    about 1/block of the declared ones. With weighting "tokens", weights divide by mean length;
    a source with no document drawn yet has its next one read ahead before a block (kept for its
    next draw; the cursor stays before it, so a saved state reads it again)."""

    def __init__(self, spec: dict, issues: IssueSink, state: dict | None, **options):
        sources, name = spec["sources"], spec["name"]
        if not sources:
            raise DataError(f"data `{name}` has no sources (fix: declare at least one source)")
        total = fold_sum(s["weight"] for s in sources)
        for s in sources:
            if not math.isfinite(s["weight"]) or s["weight"] < 0:
                w = s["weight"]
                raise DataError(f"source `{s['name']}` has weight {w} (fix: use a weight >= 0)")
        if not total > 0:
            raise DataError(
                f"data `{name}`: all source weights are 0 (fix: give a source a positive weight)"
            )
        names = [s["name"] for s in sources]
        if state and (state["version"] != 1 or [c["name"] for c in state["sources"]] != names):
            raise DataError(
                f"the saved data state does not match data `{name}` (its sources differ) "
                "(fix: resume with the same data spec)"
            )
        self.spec, self.options, n = spec, options, len(sources)
        self.weights = [s["weight"] / total for s in sources]
        seed = spec.get("seed") if spec.get("seed") is not None else 0
        self.seed = state["seed"] if state else seed
        self.block = state["blockSize"] if state else max(options["block_size"], 10 * n)
        self.rng = Prng(state["rng"]) if state else Prng.from_seed(self.seed)
        self.quota = list(state["quota"]) if state else [0] * n
        self.carry = list(state["carry"]) if state else [0] * n
        start = {"epoch": 0, "record": 0, "samples": 0, "tokens": 0}
        self.cursors = (
            [dict(c) for c in state["sources"]]
            if state
            else [{"name": s["name"], **start, "dead": s["weight"] == 0} for s in sources]
        )
        self.ahead: list[tuple[dict, int, int] | None] = [None] * n  # (doc, epoch, record)
        base, roots = spec["baseDir"], spec.get("roots") or []
        allowed = files.AllowedFolders([files.resolve_path(base, r) for r in roots])
        reported: set[str] = set()  # files reported broken, once across sources and passes
        self.streams = []
        for i, (s, c) in enumerate(zip(sources, self.cursors)):
            ctx = read.Context(
                source=s,
                issues=issues,
                image=options["image"],
                reported=reported,
                allowed=allowed,
                limits=options["limits"],
                shuffle_buffer=options["shuffle_buffer"],
                eager=options["eager"],
            )
            stream = SourceStream(ctx, base, self.seed, i, c["epoch"], c["record"])
            stream.dead = c["dead"]
            self.streams.append(stream)

    def state(self) -> dict:
        """Plain JSON (TypeScript's SamplerState): generator, block quotas and carry, cursors."""
        return {
            "version": 1,
            "seed": self.seed,
            "rng": self.rng.state(),
            "blockSize": self.block,
            "quota": list(self.quota),
            "carry": list(self.carry),
            "sources": [dict(c) for c in self.cursors],
        }

    def next(self) -> dict:
        while True:
            if self.spec["weighting"] == "tokens" and all(q == 0 for q in self.quota):
                self._read_ahead()
            i = self._pick()
            cursor = self.cursors[i]
            drawn = self.ahead[i] or self._draw(i)
            self.ahead[i] = None
            if drawn is None:
                cursor["dead"] = True
                self.quota[i] = self.carry[i] = 0
                continue
            tokenized, cursor["epoch"], cursor["record"] = drawn
            cursor["samples"] += 1
            cursor["tokens"] += tokenized["length"]
            return tokenized

    def _draw(self, i: int) -> tuple[dict, int, int] | None:
        """Source i's next document, tokenized, and the stream's place after it (cursor kept)."""
        stream = self.streams[i]
        doc = stream.next()
        if doc is None:
            self.cursors[i]["epoch"], self.cursors[i]["record"] = stream.epoch, stream.record
            return None
        if self.options["drop_images"]:  # a text-only model on a multimodal mixture
            keep = (str, read.ChatText)
            doc = {**doc, "parts": [p for p in doc["parts"] if isinstance(p, keep)]}
        return tokenize_document(doc, self.options["image_tokens"]), stream.epoch, stream.record

    def _read_ahead(self) -> None:
        """One document ahead from each live source with none drawn yet, to know its length."""
        for i, c in enumerate(self.cursors):
            if c["dead"] or c["samples"] > 0 or self.ahead[i] or not self.weights[i] > 0:
                continue
            self.ahead[i] = self._draw(i)
            if self.ahead[i] is None:
                c["dead"] = True
                self.carry[i] = 0

    def _pick(self) -> int:
        while sum(self.quota) == 0:
            self._refill()
        r = self.rng.next_int(sum(self.quota))
        for i, q in enumerate(self.quota):
            if r < q:
                self.quota[i] = q - 1
                return i
            r -= q
        raise AssertionError("internal: mixture quota walk fell off the end")

    def _refill(self) -> None:
        alive = [not c["dead"] and self.weights[i] > 0 for i, c in enumerate(self.cursors)]
        if not any(alive):
            raise DataError(
                f"data `{self.spec['name']}`: no source has any usable sample "
                "(fix: see the warnings above for each source's files)"
            )
        w = [x if alive[i] else 0 for i, x in enumerate(self.weights)]
        if self.spec["weighting"] == "tokens":
            means = []
            for c, ahead in zip(self.cursors, self.ahead):
                samples = c["samples"] + (1 if ahead else 0)
                tokens = c["tokens"] + (ahead[0]["length"] if ahead else 0)
                means.append(tokens / samples if samples > 0 else 0)
            known = [m for m in means if m > 0]
            fallback = fold_sum(known) / len(known) if known else 1
            w = [x / (means[i] if means[i] > 0 else fallback) for i, x in enumerate(w)]
        total = fold_sum(w)
        for i in range(len(w)):
            if alive[i]:
                c = self.carry[i] + (self.block * w[i]) / total
                self.quota[i] = math.floor(c + 1e-9)
                self.carry[i] = c - self.quota[i]

    def close(self) -> None:
        for s in self.streams:
            s.close()


# --- packing (packer.ts): first-fit from a window of drawn documents ------------------------------


class Sequence:
    """One packed row: tokens, loss mask (1 = a training target), image slots and their images."""

    def __init__(self, length: int, pad: int):
        self.tokens = np.full(length, pad, np.int32)
        self.loss_mask = np.zeros(length, np.uint8)
        self.image_slots: list[dict] = []  # {start, length, image[, pass]}: into self.images
        # per slot: an image, or (image, pass) for a pass (overview or crop) of a tiled one
        self.images: list[read.ImagePart | tuple[read.ImagePart, int]] = []
        self.image_count = 0  # source images: a tiled image's passes count once
        self.documents: list[dict] = []


STAT_KEYS = ("sequences", "textTokens", "imageTokens", "padTokens", "truncatedDocuments",
             "droppedTokens", "droppedImages")  # fmt: skip


class Entry:
    """A drawn document in the packing window: the sampler state before it was drawn, its draw
    number, and how many tokens of it a split already emitted (-1 once finished)."""

    __slots__ = ("doc", "before", "draw", "offset")

    def __init__(self, doc: dict, before: dict, draw: int, offset: int):
        self.doc, self.before, self.draw, self.offset = doc, before, draw, offset


class SequencePacker:
    """Rules as packer.ts: a sequence starts with the rest of a split document or the oldest
    window document; documents that fit are appended; else a text-only one is split; else pad;
    an image document too long for an empty sequence is truncated (its tail dropped)."""

    def __init__(
        self,
        sampler: MixtureSampler,
        sequence: int,
        image_tokens: int,
        images_per_sequence: int,
        window: float,
        restore: dict | None,
    ):
        if not isinstance(sequence, int) or sequence < 4:
            raise DataError(f"sequence length {sequence} is too short (fix: use at least 4)")
        if images_per_sequence > 0 and not (isinstance(image_tokens, int) and image_tokens >= 1):
            raise DataError(
                f"image tokens must be a whole number of at least 1, got {image_tokens} "
                "(fix: pass the connector's output token count)"
            )
        if images_per_sequence > 0 and image_tokens + 2 > sequence:
            raise DataError(
                f"one image takes {image_tokens} positions, which with BOS and EOS does not fit "
                f"a sequence of {sequence} (fix: lengthen the sequence or use fewer image tokens)"
            )
        self.sampler, self.L, self.k, self.ips = (
            sampler,
            sequence,
            image_tokens,
            images_per_sequence,
        )
        self.size = max(1, math.floor(window))
        self.restore = restore
        self.window: list[Entry] = []
        self.drawn = 0
        self.stats = dict.fromkeys(STAT_KEYS, 0)

    def state(self) -> dict:
        """The sampler state before the oldest window document was drawn, the draws since, and
        which of them are still in the window (with how far a split one got)."""
        if self.restore is not None:
            return {"sampler": self.sampler.state(), **self.restore}
        if not self.window:
            return {"sampler": self.sampler.state(), "drawn": 0, "window": []}
        first = self.window[0]
        return {
            "sampler": first.before,
            "drawn": self.drawn - first.draw,
            "window": [{"rel": e.draw - first.draw, "offset": e.offset} for e in self.window],
        }

    def _fill(self) -> None:
        if self.restore is not None:
            r, self.restore = self.restore, None
            keep = {w["rel"]: w["offset"] for w in r["window"]}
            for i in range(r["drawn"]):
                before = self.sampler.state()
                doc = self.sampler.next()
                if i in keep:
                    self.window.append(Entry(doc, before, i, keep[i]))
            self.drawn = r["drawn"]
        while len(self.window) < self.size:
            before = self.sampler.state()
            doc = self.sampler.next()
            if doc["images"] > 0 and self.ips == 0:
                raise DataError(
                    f"source `{doc['source']}` has images but imagesPerSequence is 0 "
                    "(fix: allow images per sequence or drop the source)"
                )
            self.window.append(Entry(doc, before, self.drawn, 0))
            self.drawn += 1

    def _remove(self, entry: Entry) -> None:
        del self.window[next(i for i, e in enumerate(self.window) if e is entry)]

    def next(self) -> Sequence:
        L = self.L
        seq = Sequence(L, BYTE_SPECIAL["pad"])
        self._fill()
        pos = 0
        split = next((e for e in self.window if e.offset > 0), None)
        if split:
            pos = self._continuation(seq, split)
            if split.offset < 0:
                self._remove(split)
        while pos < L:
            self._fill()
            space = L - pos
            candidates = self.window[:1] if pos == 0 else self.window
            fit = next(
                (
                    e
                    for e in candidates
                    if e.doc["length"] <= space and seq.image_count + e.doc["images"] <= self.ips
                ),
                None,
            )
            if fit:
                pos = self._write(seq, fit.doc, pos, False)
                self._remove(fit)
                continue
            text = next((e for e in candidates if e.doc["images"] == 0), None)
            if text and space >= 2:
                pos = self._split_head(seq, text, pos)
                break
            if pos > 0:
                break
            first = self.window[0]
            pos = self._write(seq, first.doc, 0, True)
            self._remove(first)
            break
        self.stats["padTokens"] += L - pos
        seq.loss_mask[0] = 0
        self.stats["sequences"] += 1
        return seq

    def _text(self, seq: Sequence, ids: np.ndarray, at: int, target=True) -> None:
        """`target`: True or False for the whole run, or a 0/1 mask per id."""
        seq.tokens[at : at + ids.size] = ids
        if target is True:
            seq.loss_mask[at : at + ids.size] = 1
        elif target is not False:
            seq.loss_mask[at : at + ids.size] = target[: ids.size]
        self.stats["textTokens"] += int(ids.size)

    def _document(self, seq: Sequence, doc: dict, start: int, end: int, **flags) -> None:
        where = {"source": doc["source"], "where": doc["where"], "start": start, "end": end}
        seq.documents.append(
            {**where, "continued": False, "split": False, "truncated": False, **flags}
        )

    def _write(self, seq: Sequence, doc: dict, start: int, truncate: bool) -> int:
        """A document from its start; with `truncate`, only while it fits (rule 4)."""
        L, pos, dropped = self.L, start + 1, False
        seq.tokens[start] = BYTE_SPECIAL["bos"]
        for part in doc["parts"]:
            target = not isinstance(part, PromptIds)
            part = part if target else part.ids
            is_text = isinstance(part, np.ndarray)
            if dropped:
                self.stats["droppedTokens" if is_text else "droppedImages"] += (
                    part.size if is_text else 1
                )
                continue
            if is_text:
                n = min(part.size, L - pos)
                self._text(seq, part[:n], pos, target)
                pos += n
                if n < part.size:
                    self.stats["droppedTokens"] += part.size - n
                    dropped = True
                continue
            k = self.k * (part.passes or 1)
            if pos + k > L or seq.image_count >= self.ips:
                self.stats["droppedImages"] += 1
                dropped = True
                continue
            if part.passes is None:
                seq.image_slots.append({"start": pos, "length": k, "image": len(seq.images)})
                seq.images.append(part)
            else:  # one slot per pass, back to back: the overview, then the crops
                for j in range(part.passes):
                    at = {"start": pos + j * self.k, "length": self.k, "image": len(seq.images)}
                    seq.image_slots.append({**at, "pass": j})
                    seq.images.append((part, j))
            seq.image_count += 1
            seq.tokens[pos : pos + k] = BYTE_SPECIAL["image"]
            self.stats["imageTokens"] += k
            pos += k
        if not dropped and pos < L:
            seq.tokens[pos], seq.loss_mask[pos] = BYTE_SPECIAL["eos"], 1
            pos += 1
        elif truncate:
            self.stats["truncatedDocuments"] += 1
            dropped = True
        self._document(seq, doc, start, pos, truncated=dropped)
        return pos

    @staticmethod
    def _ids(doc: dict):
        """A text-only document's ids, and a 0/1 mask per id when some are prompt (else True)."""
        runs = [p for p in doc["parts"] if isinstance(p, (np.ndarray, PromptIds))]
        masked = any(isinstance(p, PromptIds) for p in runs)
        if len(runs) == 1 and not masked:
            return runs[0], True
        ids = [p.ids if isinstance(p, PromptIds) else p for p in runs]
        joined = np.concatenate(ids or [np.zeros(0, np.int32)])
        if not masked:
            return joined, True
        flags = [0 if isinstance(p, PromptIds) else 1 for p in runs]
        mask = np.concatenate([np.full(r.size, f, np.uint8) for f, r in zip(flags, ids)])
        return joined, mask

    def _split_head(self, seq: Sequence, e: Entry, start: int) -> int:
        """Rule 2: BOS and what fits end this sequence; the offset remembers where to go on."""
        n = self.L - start - 1
        seq.tokens[start] = BYTE_SPECIAL["bos"]
        ids, mask = self._ids(e.doc)
        self._text(seq, ids[:n], start + 1, mask)
        e.offset = n
        self._document(seq, e.doc, start, self.L, split=True)
        return self.L

    def _continuation(self, seq: Sequence, e: Entry) -> int:
        ids, mask = self._ids(e.doc)
        rest = ids[e.offset :]
        n = min(rest.size, self.L)
        self._text(seq, rest[:n], 0, mask if mask is True else mask[e.offset :])
        pos = n
        done = n == rest.size and pos < self.L
        if done:
            seq.tokens[pos], seq.loss_mask[pos] = BYTE_SPECIAL["eos"], 1
            pos += 1
        self._document(seq, e.doc, 0, pos, continued=True, split=not done)
        e.offset = -1 if done else e.offset + n
        return pos


# --- the stream and its batches (data-stream.ts) --------------------------------------------------

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class Batch:
    """This rank's rows: `tokens` and `loss_mask` [B, L], `images` [N, 3, S, S] in image order,
    and `image_slots` [{row, start, length, image}] with rows counted within this batch."""

    def __init__(self, rows: list[Sequence], sequence: int, image_size: int):
        self.batch_size, self.sequence, self.image_size = len(rows), sequence, image_size
        self.tokens = np.zeros((len(rows), sequence), np.int32)  # [B, L]
        self.loss_mask = np.zeros((len(rows), sequence), np.uint8)  # [B, L]
        self.image_slots: list[dict] = []
        images = []
        for r, row in enumerate(rows):
            self.tokens[r], self.loss_mask[r] = row.tokens, row.loss_mask
            tiled: dict = {}  # a tiled image's passes, decoded once for all its slots
            for slot in row.image_slots:
                entry = row.images[slot["image"]]
                if isinstance(entry, tuple):
                    part, j = entry
                    if id(part) not in tiled:
                        tiled[id(part)] = part.tensor()  # [passes, 3, S, S]
                    images.append(tiled[id(part)][j])
                else:
                    images.append(entry.tensor())  # decoded here on a rank
                at = {"row": r, "start": slot["start"], "length": slot["length"]}
                self.image_slots.append({**at, "image": len(images) - 1})
        empty = np.zeros((0, 3, image_size, image_size), np.float32)
        self.images = np.stack(images) if images else empty  # [N, 3, S, S]


class DataStream:
    """A DataSpec dict (the TypeScript runtime's shape, as mmc writes it) in; packed sequences and
    batches out, with a JSON state (TypeScript's DataStreamState) to checkpoint and resume from.

    Options are TypeScript's DataStreamOptions, snake_cased; `limits` keeps its camelCase keys
    (DEFAULT_LIMITS). `rank`/`world_size` give each rank its rows of every global batch."""

    def __init__(
        self,
        spec: dict,
        *,
        sequence: int,
        image_tokens: int,
        image: dict | None = None,
        state: dict | None = None,
        block_size: int = 100,
        shuffle_buffer: int = 1000,
        pack_window: float = 8,
        drop_images: bool = False,
        limits: dict | None = None,
        strict: bool = False,
        on_warning: Callable[[dict, str], None] | None = None,
        max_warnings_per_kind: int = 20,
        issues: IssueSink | None = None,
        rank: int = 0,
        world_size: int = 1,
    ):
        if spec["tokenizer"]["kind"] != "bytes":
            raise DataError(
                f"data `{spec['name']}` uses a BPE tokenizer; the pytorch target supports "
                "`tokenizer: bytes` only (fix: write `tokenizer: bytes` in the data block, or "
                "train with the TypeScript target)"
            )
        if not (isinstance(world_size, int) and world_size >= 1 and 0 <= rank < world_size):
            raise DataError(f"rank {rank} is not a rank of {world_size} (fix: 0 <= rank < world)")
        self.spec, self.sequence, self.rank, self.world_size = spec, sequence, rank, world_size
        self.image = {"size": 64, "mean": CLIP_MEAN, "std": CLIP_STD, "resize": "auto"}
        if spec.get("resize"):  # the data block's `resize`; `image` may override it
            self.image["resize"] = spec["resize"]
        if spec.get("fit"):  # the data block's `fit` (`pad`: expand2square first)
            self.image["fit"] = spec["fit"]
        self.image.update(image or {})
        if self.image.get("fit") == "pad" and self.image.get("tiles"):
            raise DataError(  # the checker refuses it (MM5021)
                "`fit: pad` does not apply to tiled images "
                "(fix: remove `fit: pad` from the data block)"
            )
        self.issues = issues or IssueSink(strict, on_warning, max_warnings_per_kind)
        self.sampler = MixtureSampler(
            spec,
            self.issues,
            state["sampler"] if state else None,
            image_tokens=image_tokens,
            image=self.image,
            block_size=block_size,
            shuffle_buffer=shuffle_buffer,
            drop_images=drop_images,
            limits={**read.DEFAULT_LIMITS, **(limits or {})},
            eager=world_size == 1,  # one process preprocesses every image as it loads
        )
        restore = {"drawn": state["drawn"], "window": state["window"]} if state else None
        ips = spec["imagesPerSequence"]
        self.packer = SequencePacker(
            self.sampler, sequence, image_tokens, ips, pack_window, restore
        )

    def next_sequence(self) -> Sequence:
        return self.packer.next()

    def next_batch(self, batch_size: int) -> Batch:
        """Packs the global batch of `batch_size` rows, as every rank does (the packing depends
        on token counts only), and returns this rank's contiguous share of it."""
        if batch_size % self.world_size:
            raise DataError(
                f"a batch of {batch_size} does not divide among {self.world_size} ranks "
                "(fix: make the batch a multiple of the world size)"
            )
        rows = [self.packer.next() for _ in range(batch_size)]
        share = batch_size // self.world_size
        mine = rows[self.rank * share : (self.rank + 1) * share]
        return Batch(mine, self.sequence, self.image["size"])

    def state(self) -> dict:
        """Plain JSON for the checkpoint; pass it back as `state=` to continue the same stream."""
        return json.loads(json.dumps(self.packer.state()))

    def packer_stats(self) -> dict:
        return dict(self.packer.stats)

    def source_stats(self) -> list[dict]:
        """Per source (TypeScript's SourceStats): normalised weight, samples, tokens, passes so
        far (fractional once a pass's size is known), samples per pass, left out, issues."""
        total = fold_sum(s["weight"] for s in self.spec["sources"])
        issues = self.issues.summary()
        out = []
        for s, c, stream in zip(self.spec["sources"], self.sampler.cursors, self.sampler.streams):
            per = stream.samples_per_epoch
            epochs = c["epoch"]
            if per:
                epochs += min(1, max(0, c["samples"] - c["epoch"] * per) / per)
            out.append(
                {
                    "name": c["name"],
                    "weight": s["weight"] / total,
                    "samples": c["samples"],
                    "tokens": c["tokens"],
                    "epochs": epochs,
                    "samplesPerEpoch": per,
                    "dead": c["dead"],
                    "issues": issues.get(c["name"], {}),
                }
            )
        return out

    def close(self) -> None:
        self.sampler.close()
