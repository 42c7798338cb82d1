# Weights: initialisation with the runtime's distributions, a safetensors reader (the package
# `safetensors` is not needed), and the mmc-to-Hugging-Face name table (HF_NAMES, generated from
# src/components/hf-names.ts) applied to load what the TypeScript runtime writes.
import functools
import json
import os
import re

import numpy
import torch
from torch import nn

# Bounds for an untrusted file: the header is JSON of at most 100 MB.
MAX_HEADER_BYTES = 100 * 1024 * 1024
# bfloat16 is read as int16 and viewed as bfloat16 (numpy has no bfloat16, and torch 1.13 no
# uint16 arrays).
DTYPES = {"F32": numpy.float32, "I32": numpy.int32, "F16": numpy.float16, "BF16": numpy.int16}


def init_weights(model, std=INIT_STD):
    """The runtime's initial distributions (init.ts).

    Matrices, embeddings, positions, class tokens and queries N(0, std^2); biases zero; norm
    scales one.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, Norm):
                module.weight.fill_(1)
                if module.bias is not None:
                    module.bias.zero_()
                continue
            for name, p in module.named_parameters(recurse=False):
                if name == "bias":
                    p.zero_()
                else:
                    p.normal_(0, std)


class SafetensorsError(ValueError):
    pass


def read_safetensors(path):
    """Every tensor of a safetensors file by name, as torch tensors, and the metadata.

    The file is untrusted: the header is bounded and every entry's dtype, shape and range are
    checked; anything wrong is a SafetensorsError naming the file.
    """
    if os.path.getsize(path) < 8:
        raise SafetensorsError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    data = numpy.memmap(path, dtype=numpy.uint8, mode="r")
    header_len = int(data[:8].view("<u8")[0])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > data.size:
        raise SafetensorsError(f"{path}: the header length {header_len} is out of range")
    try:
        header = json.loads(bytes(data[8 : 8 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise SafetensorsError(f"{path}: the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: the header is not a JSON object")
    base = 8 + header_len
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(entry.get("dtype")) if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        ok = dtype is not None and isinstance(shape, list) and isinstance(offsets, list)
        ok = ok and all(isinstance(d, int) and d >= 0 for d in shape)
        ok = ok and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
        if not ok:
            raise SafetensorsError(f"{path}: tensor {name!r} has a malformed header entry")
        start, end = offsets
        count = 1
        for d in shape:
            count *= d
        if not 0 <= start <= end <= data.size - base or end - start != count * dtype().itemsize:
            raise SafetensorsError(f"{path}: tensor {name!r} has data out of range")
        little = numpy.dtype(dtype).newbyteorder("<")
        raw = numpy.frombuffer(data, dtype=little, count=count, offset=base + start)
        t = torch.from_numpy(raw.astype(numpy.dtype(dtype)).reshape(shape))  # a native copy
        tensors[name] = t.view(torch.bfloat16) if entry["dtype"] == "BF16" else t
    metadata = header.get("__metadata__", {})
    return tensors, metadata if isinstance(metadata, dict) else {}


@functools.lru_cache(maxsize=None)
def _pattern(template):
    """A rule template (`layers.{i}.attn.q`, `net.0.b{i+1}`) as a regex and its placeholders."""
    parts, names, at = [], [], 0
    for m in re.finditer(r"\{(\w)(?:([+*])(\d+))?\}", template):
        parts.append(re.escape(template[at : m.start()]))
        parts.append(r"(\d+)")
        names.append((m.group(1), m.group(2), int(m.group(3) or 0)))
        at = m.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts)), names


def _fill(template, values):
    def one(m):
        v, op, c = values[m.group(1)], m.group(2), int(m.group(3) or 0)
        return str(v + c if op == "+" else v * c if op == "*" else v)

    return re.sub(r"\{(\w)(?:([+*])(\d+))?\}", one, template)


# What each rule kind's tensors are called (suffixes) and how each is laid out in PyTorch.
RULE_TENSORS = {
    "linear": {".weight": "transpose", ".bias": "same"},
    "conv": {".weight": "conv", ".bias": "same"},
    "depthwise": {".weight": "depthwise"},
    "norm": {".weight": "same", ".bias": "same"},
    "embedding": {".weight": "same"},
    "param": {"": "same"},
    "batched": {"": "unsqueeze"},
}


def to_hf_name(kind, mlp_fn, name):
    """The Hugging Face name and layout of tensor `name` (relative to a part of `kind`)."""
    for mmc, hf, rule, only in HF_NAMES[kind]:
        if only is not None and only != ("swiglu" if mlp_fn == "swiglu" else "plain"):
            continue
        for suffix, layout in RULE_TENSORS[rule].items():
            if not name.endswith(suffix):
                continue
            regex, names = _pattern(mmc)
            m = regex.fullmatch(name[: len(name) - len(suffix)])
            if m is not None:
                values = {n: int(g) for (n, _, _), g in zip(names, m.groups())}
                return _fill(hf, values) + suffix, layout
    return None


def to_torch_layout(t, layout):
    """An mmc tensor (tfjs layout: linear [in, out], conv [kh, kw, in, out]) in PyTorch's."""
    if layout == "transpose":
        return t.t()
    if layout == "conv":
        return t.permute(3, 2, 0, 1)  # [out, in, kh, kw]
    if layout == "depthwise":
        return t.permute(2, 3, 0, 1)  # [channels, 1, kh, kw]
    if layout == "unsqueeze":
        return t.unsqueeze(0)
    return t


def _part_mlp_fn(part):
    mlp = part["config"].get("mlp")
    return mlp["fn"] if isinstance(mlp, dict) else None


def hf_state_dict(tensors, parts):
    """mmc-named tensors (`llm.layers.0.attn.q.weight`) as a state dict of the PyTorch modules.

    `parts` maps a name prefix ("vision", "connector", "llm", or "" for a preset) to its part.
    """
    out = {}
    for name, t in tensors.items():
        prefix, _, rest = ("", "", name) if "" in parts else name.partition(".")
        part = parts.get(prefix)
        mapped = None if part is None else to_hf_name(part["kind"], _part_mlp_fn(part), rest)
        if mapped is None:
            raise KeyError(f"no PyTorch name for the mmc tensor {name!r}")
        hf, layout = mapped
        out[f"{prefix}.{hf}" if prefix else hf] = to_torch_layout(t, layout).contiguous()
    return out


def load_mmc_weights(model, path):
    """Loads weights the TypeScript runtime wrote into a MultimodalModel, strictly.

    The file is a checkpoint (its `param.*` tensors; the AdamW moments are skipped) or plain mmc
    names; every tensor must be there, with its shape.
    """
    tensors, _ = read_safetensors(path)
    params = {k[len("param.") :]: v for k, v in tensors.items() if k.startswith("param.")}
    if not params:
        params = {k: v for k, v in tensors.items() if not k.startswith(("adam_m.", "adam_v."))}
    parts = {p: model.spec[p] for p in ("vision", "connector", "llm") if p in model.spec}
    model.load_state_dict(hf_state_dict(params, parts), strict=True)
    return model


# ---- pretrained weights (`init`), as src/runtime/checkpoint/load-init.ts loads them ----------

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
MAX_JSON_BYTES = 64 * 1024 * 1024
# Llava's prefixes of the three parts in one Hugging Face file (components/init-names.ts).
HF_MODEL_PREFIX = {
    "vision": "vision_tower.",
    "connector": "multi_modal_projector.",
    "llm": "language_model.",
}


class InitError(ValueError):
    """Pretrained weights that cannot be loaded; the message says which file and why."""


def _inside(path, root):
    """`path` with links resolved, which must exist and lie inside `root` (the spec's folder)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, top]) != top:
        raise InitError(f"`{path}` leads outside the spec's folder")
    if not os.path.exists(real):
        raise InitError(f"the weights `{path}` do not exist")
    return real


def _read_json(path, what):
    if not os.path.isfile(path):
        raise InitError(f"{what} `{path}` is not a file")
    if os.path.getsize(path) > MAX_JSON_BYTES:
        raise InitError(f"{what} `{path}` is larger than {MAX_JSON_BYTES} bytes")
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InitError(f"{what} `{path}` is not valid JSON") from None


def _string_map(x):
    return isinstance(x, dict) and all(isinstance(v, str) for v in x.values())


def read_weights(path, root):
    """Every tensor of a safetensors file, or of a folder (sharded with its index, or holding
    `model.safetensors`), by name; the index's shard names must be plain names beside it."""
    real = _inside(path, root)
    if os.path.isfile(real):
        return read_safetensors(real)[0]
    if not os.path.isdir(real):
        raise InitError(f"the weights `{path}` are not a file or folder")
    index = os.path.join(real, INDEX_FILE)
    if not os.path.exists(index):
        single = os.path.join(real, SINGLE_FILE)
        if not os.path.exists(single):
            raise InitError(f"the folder `{path}` has neither `{INDEX_FILE}` nor `{SINGLE_FILE}`")
        return read_safetensors(_inside(single, real))[0]
    parsed = _read_json(index, "the index")
    weight_map = parsed.get("weight_map") if isinstance(parsed, dict) else None
    if not _string_map(weight_map):
        raise InitError(f"the index `{index}` has no `weight_map` of tensor names to shard files")
    tensors = {}
    for shard in sorted(set(weight_map.values())):
        plain = shard not in ("", ".", "..") and not re.search(r"[/\\\x00-\x1f\x7f-\x9f]", shard)
        if not plain:
            raise InitError(f"the index `{index}` names the shard {shard!r}, not a file beside it")
        got, _ = read_safetensors(_inside(os.path.join(real, shard), real))
        for name in got:
            if weight_map.get(name) != shard:
                raise InitError(
                    f"the shard `{shard}` holds {name!r}, which the index does not place there"
                )
        tensors.update(got)
    for name, shard in weight_map.items():
        if name not in tensors:
            raise InitError(f"the index places {name!r} in `{shard}`, which does not hold it")
    return tensors


def _covered(scope, present, scopes):
    return [p for p in present if p not in scopes] if scope == "model" else [scope]


def _torch_targets(model, parts):
    """{state-dict name: parameter} of the covered parts (a tied tensor once, under its owner)."""
    return {n: p for n, p in model.named_parameters() if n.partition(".")[0] in parts}


def load_init(model, spec_dir):
    """Loads the model's `init` weights (its spec's `init` list) over its initial values.

    The same table as the runtime's: Hugging Face names (`layout: hf`) are the modules' own
    names; mmc's (checkpoint `param.*` names, or a name map's) go through HF_NAMES. Every
    parameter an `init` covers must be in its file with its shape; BF16 and F16 are widened to
    fp32 exactly. Returns a line per `init` saying what was loaded from where.
    """
    inits = model.spec.get("init", [])
    present = [p for p in ("vision", "connector", "llm") if p in model.spec]
    scopes = [i["scope"] for i in inits]
    lines = []
    for init in inits:
        scope, layout = init["scope"], init["layout"]
        parts = _covered(scope, present, scopes)
        path = os.path.join(spec_dir, init["path"])
        root = os.path.join(spec_dir, init["root"])
        tensors = read_weights(path, root)
        names = None
        if "map" in init:
            names = _read_json(_inside(os.path.join(spec_dir, init["map"]), root), "the name map")
            if not _string_map(names):
                raise InitError(f"the name map `{init['map']}` is not a JSON object of strings")
        targets = _torch_targets(model, parts)
        found = {}  # state-dict name -> tensor in PyTorch's layout
        if names is None and layout == "hf":
            for sd_name in targets:
                part, _, rest = sd_name.partition(".")
                file_name = (HF_MODEL_PREFIX[part] if scope == "model" else "") + rest
                if file_name in tensors:
                    found[sd_name] = tensors[file_name]
        else:
            # mmc names (relative to the scope in a map), the file's tensors under them
            mmc = {}
            if names is None:
                for n, t in tensors.items():
                    if n.startswith("param.") and n[len("param.") :].partition(".")[0] in parts:
                        mmc[n[len("param.") :]] = t
            else:
                for key, file_name in names.items():
                    full = key if scope == "model" else f"{scope}.{key}"
                    if file_name not in tensors:
                        raise InitError(f"`{path}` has no tensor {file_name!r} (for {full!r})")
                    mmc[full] = tensors[file_name]
            spec_parts = {p: model.spec[p] for p in parts}
            for full, t in mmc.items():
                part, _, rest = full.partition(".")
                mapped = to_hf_name(spec_parts[part]["kind"], _part_mlp_fn(spec_parts[part]), rest)
                if mapped is None:
                    raise InitError(f"the model has no tensor {full!r}")
                hf, move = mapped
                found[f"{part}.{hf}"] = t if layout == "hf" else to_torch_layout(t, move)
        missing = [n for n in targets if n not in found]
        if missing:
            raise InitError(
                f"`{path}` lacks {len(missing)} tensors of the model, e.g. {missing[0]!r}"
            )
        widened = {}
        with torch.no_grad():
            for sd_name, p in targets.items():
                t = found[sd_name]
                if list(t.shape) != list(p.shape):
                    raise InitError(
                        f"{sd_name!r} is {list(t.shape)} in `{path}`; "
                        f"the model's is {list(p.shape)}"
                    )
                if t.dtype in (torch.bfloat16, torch.float16):
                    key = "BF16" if t.dtype == torch.bfloat16 else "F16"
                    widened[key] = widened.get(key, 0) + 1
                elif t.dtype != torch.float32:
                    raise InitError(
                        f"{sd_name!r} in `{path}` is {t.dtype}; mmc reads F32, BF16 and F16"
                    )
                p.copy_(t.to(torch.float32))
        conv = ", ".join(f"{n} {d} widened to fp32" for d, n in widened.items())
        what = ", ".join(parts)
        via = f", names from `{init['map']}`" if "map" in init else ""
        lines.append(
            f"init: {what} from `{init['path']}` ({layout} layout{via}, {len(targets)} tensors"
            + (f"; {conv})" if conv else ")")
        )
    return lines
