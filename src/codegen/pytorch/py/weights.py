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
