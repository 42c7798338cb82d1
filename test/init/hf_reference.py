# An independent reference for test/init/hf-reference.test.ts: the forward passes of Hugging
# Face's CLIPVisionModel and LlamaForCausalLM, written here from their documented semantics
# (transformers' modeling_clip.py / modeling_llama.py, read, not copied) in plain torch. It reads
# the Hugging Face-named safetensors file by Hugging Face's tensor names (its own reader, not
# mmc's name table or loader) and takes Hugging Face's config keys (hidden_act, layer_norm_eps,
# rms_norm_eps, rope_theta, num_key_value_heads, tie_word_embeddings, ...).
#   python hf_reference.py CASE.json OUT.json
# CASE.json: {"clip": {"path", "config"}, "llama": {"path", "config"},
#             "images": {"shape", "data"}, "tokens": {"shape", "data"}}
# OUT.json: the vision tower's hidden states, its pooled output, and the decoder's logits.
import json
import math
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    """name -> float32 tensor; F32, BF16 and F16 only (what the fixtures hold)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf8"))
    body = raw[8 + n :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        chunk = body[start:end]
        if entry["dtype"] == "F32":
            a = np.frombuffer(chunk, dtype="<f4")
        elif entry["dtype"] == "F16":
            a = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        elif entry["dtype"] == "BF16":
            # a bfloat16 is the top half of a float32
            a = (np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: dtype {entry['dtype']} is not in the fixtures")
        out[name] = torch.from_numpy(a.copy()).reshape(entry["shape"])
    return out


def activation(name):
    """Hugging Face's `hidden_act` words."""
    if name == "quick_gelu":  # OpenAI CLIP: x * sigmoid(1.702 x)
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":  # the exact, erf form
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name in ("gelu_new", "gelu_pytorch_tanh"):  # the tanh approximation
        return lambda x: 0.5 * x * (
            1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))
        )
    if name == "silu":
        return lambda x: x * torch.sigmoid(x)
    raise ValueError(f"hidden_act {name} is not covered")


def dense(w, name, x, bias=True):
    """A torch Linear under `name`: weight [out, in], bias [out]."""
    y = x @ w[name + ".weight"].t()
    return y + w[name + ".bias"] if bias else y


def layer_norm(w, name, x, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]


def clip_vision(w, cfg, pixels):
    """CLIPVisionModel: hidden states (embeddings after pre_layrnorm, then each layer's output),
    last_hidden_state (no post-norm) and pooler_output (post_layernorm of the class token)."""
    v = "vision_model"
    d = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    hd = d // heads
    eps = cfg["layer_norm_eps"]
    act = activation(cfg["hidden_act"])
    p = cfg["patch_size"]
    n = pixels.shape[0]
    # the patch embedding: a stride-p convolution without bias, then patches in raster order
    conv = torch.nn.functional.conv2d(pixels, w[f"{v}.embeddings.patch_embedding.weight"], stride=p)
    patches = conv.flatten(2).transpose(1, 2)  # [n, gh * gw, d]
    cls = w[f"{v}.embeddings.class_embedding"].reshape(1, 1, d).expand(n, 1, d)
    x = torch.cat([cls, patches], 1)
    x = x + w[f"{v}.embeddings.position_embedding.weight"][: x.shape[1]]
    x = layer_norm(w, f"{v}.pre_layrnorm", x, eps)
    states = [x]
    s = x.shape[1]
    for i in range(cfg["num_hidden_layers"]):
        l = f"{v}.encoder.layers.{i}"
        h = layer_norm(w, f"{l}.layer_norm1", x, eps)
        # CLIP scales the queries after their bias; no mask for the vision tower
        q = dense(w, f"{l}.self_attn.q_proj", h) * hd**-0.5
        k = dense(w, f"{l}.self_attn.k_proj", h)
        val = dense(w, f"{l}.self_attn.v_proj", h)
        q, k, val = (t.reshape(n, s, heads, hd).transpose(1, 2) for t in (q, k, val))
        probs = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        ctx = (probs @ val).transpose(1, 2).reshape(n, s, d)
        x = x + dense(w, f"{l}.self_attn.out_proj", ctx)
        h = layer_norm(w, f"{l}.layer_norm2", x, eps)
        x = x + dense(w, f"{l}.mlp.fc2", act(dense(w, f"{l}.mlp.fc1", h)))
        states.append(x)
    pooled = layer_norm(w, f"{v}.post_layernorm", x[:, 0, :], eps)
    # HF's post_layernorm module applied to every token (what mmc's `final_norm` computes)
    normed = layer_norm(w, f"{v}.post_layernorm", x, eps)
    return states, x, pooled, normed


def rms_norm(w, name, x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w[name + ".weight"]


def rotate_half(x):
    """Hugging Face Llama's convention: the two halves of each head, not interleaved pairs."""
    a, b = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat([-b, a], -1)


def llama(w, cfg, tokens):
    """LlamaForCausalLM: logits [b, t, vocab]."""
    d = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    hd = cfg.get("head_dim", d // heads)
    eps = cfg["rms_norm_eps"]
    act = activation(cfg["hidden_act"])
    b, t = tokens.shape
    x = w["model.embed_tokens.weight"][tokens]
    # rotary tables: inverse frequencies theta^(-2i/hd), each angle used for both halves
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]
    ang = torch.cat([ang, ang], -1)
    cos, sin = ang.cos().float(), ang.sin().float()
    mask = torch.full((t, t), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}"
        h = rms_norm(w, f"{l}.input_layernorm", x, eps)
        q = dense(w, f"{l}.self_attn.q_proj", h, False).reshape(b, t, heads, hd).transpose(1, 2)
        k = dense(w, f"{l}.self_attn.k_proj", h, False).reshape(b, t, kv, hd).transpose(1, 2)
        val = dense(w, f"{l}.self_attn.v_proj", h, False).reshape(b, t, kv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # grouped-query attention: key/value head j serves query heads j*r .. j*r + r - 1
        k = k.repeat_interleave(heads // kv, dim=1)
        val = val.repeat_interleave(heads // kv, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd) + mask
        ctx = (torch.softmax(scores, -1) @ val).transpose(1, 2).reshape(b, t, heads * hd)
        x = x + dense(w, f"{l}.self_attn.o_proj", ctx, False)
        h = rms_norm(w, f"{l}.post_attention_layernorm", x, eps)
        gate = dense(w, f"{l}.mlp.gate_proj", h, False)
        up = dense(w, f"{l}.mlp.up_proj", h, False)
        x = x + dense(w, f"{l}.mlp.down_proj", act(gate) * up, False)
    x = rms_norm(w, "model.norm", x, eps)
    head = (
        w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    )
    return x @ head.t()


def flat(t):
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def main(case_path, out_path):
    with open(case_path) as f:
        case = json.load(f)
    out = {}
    with torch.no_grad():
        if "clip" in case:
            c = case["clip"]
            img = case["images"]
            pixels = torch.tensor(img["data"], dtype=torch.float32).reshape(img["shape"])
            w = read_safetensors(c["path"])
            states, last, pooled, normed = clip_vision(w, c["config"], pixels)
            out["vision"] = {
                "hidden_states": [flat(s) for s in states],
                "last_hidden_state": flat(last),
                "pooler_output": flat(pooled),
                "post_layernorm_tokens": flat(normed),
            }
        if "llama" in case:
            c = case["llama"]
            tok = case["tokens"]
            tokens = torch.tensor(tok["data"], dtype=torch.long).reshape(tok["shape"])
            out["logits"] = flat(llama(read_safetensors(c["path"]), c["config"], tokens))
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
