"""Runs the Python data pipeline for test/pytorch/data-parity.test.ts: reads a job (JSON) and writes
batches as raw little-endian arrays with a meta.json beside them, for the test to compare with the
TypeScript stream. `python3 data_driver.py JOB.json` (the job names the folder of data.py)."""

from __future__ import annotations

import io
import json
import os
import sys

import numpy as np


def write_batch(out: str, tag: str, batch) -> dict:
    batch.tokens.astype("<i4").tofile(f"{out}/{tag}.tokens")
    batch.loss_mask.tofile(f"{out}/{tag}.mask")
    batch.images.astype("<f4").tofile(f"{out}/{tag}.images")
    return {
        "rows": batch.batch_size,
        "slots": batch.image_slots,
        "images": int(batch.images.shape[0]),
    }


def kwargs(options: dict) -> dict:
    names = {"imageTokens": "image_tokens", "blockSize": "block_size", "shuffleBuffer": "shuffle_buffer",
             "packWindow": "pack_window", "dropImages": "drop_images", "worldSize": "world_size"}  # fmt: skip
    return {names.get(k, k): v for k, v in options.items()}


def run(data, scenario: dict, out: str) -> dict:
    """The uninterrupted stream, its state after `saveAt` batches, the stream resumed from that
    state and from the TypeScript one, and each rank's share for the other world sizes."""
    spec, options, size, n, save_at = (
        scenario[k] for k in ("spec", "options", "batch", "batches", "saveAt")
    )
    meta: dict = {"batches": [], "resumed": [], "crossResumed": [], "ranks": {}}
    stream = data.DataStream(spec, **kwargs(options))
    for i in range(n):
        meta["batches"].append(write_batch(out, f"batch-{i}", stream.next_batch(size)))
        if i + 1 == save_at:
            meta["state"] = stream.state()
    meta["finalState"] = stream.state()
    meta["issues"], meta["fileIssues"] = stream.issues.summary(), stream.issues.summary("files")
    meta["packerStats"], meta["sourceStats"] = stream.packer_stats(), stream.source_stats()
    stream.close()
    for key, state in (("resumed", meta["state"]), ("crossResumed", scenario.get("tsState"))):
        if state is None:
            continue
        resumed = data.DataStream(spec, state=state, **kwargs(options))
        for i in range(save_at, n):
            meta[key].append(write_batch(out, f"{key}-{i}", resumed.next_batch(size)))
        resumed.close()
    for world in scenario.get("worldSizes", []):
        for rank in range(world):
            shard = data.DataStream(spec, rank=rank, world_size=world, **kwargs(options))
            tags = [
                write_batch(out, f"w{world}-r{rank}-{i}", shard.next_batch(size)) for i in range(n)
            ]
            summary = {"issues": shard.issues.summary(), "finalState": shard.state()}
            meta["ranks"][f"{world}/{rank}"] = {"batches": tags, **summary}
            shard.close()
    return meta


def first_strict_issue(data, job: dict) -> dict | None:
    """The issue a strict stream raises first."""
    stream = data.DataStream(job["spec"], strict=True, **kwargs(job["options"]))
    try:
        for _ in range(20):
            stream.next_batch(job["batch"])
        return None
    except data.DataError as e:
        return {k: e.issue[k] for k in ("source", "code", "file", "position")}
    finally:
        stream.close()


def unit(data, read, files, job: dict) -> dict:
    """The building blocks on their own: generator outputs, seeds, brace expansion, text rules."""
    prng = {}
    for seed in job["seeds"]:
        g = data.Prng.from_seed(seed)
        prng[str(seed)] = {"state": g.state(), "u32": [g.next_uint32() for _ in range(20)],
                           "ints": [g.next_int(n) for n in (1, 2, 3, 10, 1000, 2**31)]}  # fmt: skip
    shuffled = data.Prng.from_seed(3).shuffle(list(range(20)))
    errors = []
    for spec, options, batch in job["errors"]:
        try:
            data.DataStream(spec, **kwargs(options)).next_batch(batch)
            errors.append(None)
        except data.DataError as e:
            errors.append(str(e))
    return {
        "prng": prng,
        "mix": [data.mix_seed(*parts) for parts in job["mix"]],
        "shuffle": shuffled,
        "errors": errors,
        "braces": [read.expand_braces(p) for p in job["braces"]],
        "trim": [files.js_trim(t) for t in job["trim"]],
        "utf8": [list(files.utf8(files.parse_json(t))) for t in job["utf8"]],
    }


def fixtures(job: list) -> None:
    """JPEGs only Pillow (libjpeg) writes: chroma subsampling and progressive scans."""
    from PIL import Image

    for f in job:
        rgba = np.fromfile(f["rgba"], np.uint8).reshape(f["height"], f["width"], 4)
        im = Image.fromarray(rgba[:, :, :3].copy())
        if f.get("gray"):
            im = im.convert("L")
        options = {k: f[k] for k in ("quality", "subsampling", "progressive") if k in f}
        buf = io.BytesIO()
        im.save(buf, "JPEG", **options)
        with open(f["path"], "wb") as out:
            out.write(buf.getvalue())


def main() -> None:
    job = json.load(open(sys.argv[1]))
    sys.path.insert(0, job["module"])
    if "fixtures" in job:
        fixtures(job["fixtures"])
        return
    import data
    import data_files
    import data_read

    result = {"unit": unit(data, data_read, data_files, job["unit"]), "scenarios": {}}
    for scenario in job["scenarios"]:
        out = os.path.join(job["out"], scenario["name"])
        os.makedirs(out, exist_ok=True)
        result["scenarios"][scenario["name"]] = run(data, scenario, out)
    result["strict"] = first_strict_issue(data, job["strict"])
    with open(os.path.join(job["out"], "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
