# Decoder, the language model (src/runtime/layers/decoder.ts), under Hugging Face Llama's names:
# token embedding, learned or rotary positions, pre-norm blocks (attention, then a dense MLP or
# an MoE FFN), final norm and a tied or untied head.
import torch
import torch.nn.functional as F
from torch import nn


def moe_layers(depth, every):
    """Zero-based indices of the layers that hold an MoE FFN: (i + 1) % every == 0."""
    return set(range(every - 1, depth, every))


class DecoderLayer(nn.Module):
    def __init__(self, c, moe, device=None):
        super().__init__()
        width, kind, eps = c["width"], c["norm"], norm_eps(c)
        biases = c["biases"]
        self.input_layernorm = Norm(width, kind, eps, device)
        self.self_attn = Attention(
            width,
            c["heads"],
            c["kv_heads"],
            c["head_dim"],
            biases != "none",
            biases == "all",
            c["qk_norm"],
            kind,
            norm_eps=eps,
            device=device,
        )
        self.post_attention_layernorm = Norm(width, kind, eps, device)
        mlp = c["mlp"]
        if moe:
            self.mlp = MoE(c["moe"], device)
        else:
            self.mlp = MLP(width, mlp["fn"], mlp["hidden"], biases == "all", device=device)
        self.is_moe = moe

    def forward(self, h, mask, rope):  # h [B, T, width]
        b, t, width = h.shape
        h = h + self.self_attn(self.input_layernorm(h), mask=mask, rope=rope, causal=True)
        m = self.post_attention_layernorm(h)  # [B, T, width]
        if not self.is_moe:
            return h + self.mlp(m), None
        y, stats = self.mlp(m.reshape(b * t, width))  # the router sees all B * T tokens at once
        return h + y.view(b, t, width), stats


class DecoderModel(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.position, self.head_dim, self.rope_base = c["position"], c["head_dim"], c["rope_base"]
        self.embed_tokens = nn.Embedding(c["vocab"], c["width"], device=device)
        if self.position == "learned":
            self.embed_positions = nn.Embedding(c["context"], c["width"], device=device)
        moe = c.get("moe")
        at = moe_layers(c["depth"], moe["every"]) if moe is not None else set()
        self.layers = nn.ModuleList(DecoderLayer(c, i in at, device) for i in range(c["depth"]))
        self.norm = Norm(c["width"], c["norm"], norm_eps(c), device) if c["final_norm"] else None

    def forward(self, h):  # h [B, T, width]: text embeddings with image tokens in place
        t = h.shape[1]
        if self.position == "learned":
            h = h + self.embed_positions.weight[:t]  # [B, T, width]
        rope = None
        if self.position == "rope":
            rope = rope_tables(t, self.head_dim, self.rope_base, h.device, h.dtype)
        mask = None if HAS_SDPA else causal_mask(t, h.device, h.dtype)
        stats = []
        for layer in self.layers:
            h, s = layer(h, mask, rope)
            if s is not None:
                stats.append(s)
        if self.norm is not None:
            h = self.norm(h)
        return h, stats


class Decoder(nn.Module):
    """The `Decoder` kind.

    A tied head reads `model.embed_tokens.weight` and has no tensor of its own, so a tied
    Hugging Face checkpoint (which stores no `lm_head.weight`) loads strictly.
    """

    def __init__(self, c, device=None):
        super().__init__()
        self.tied = c["tied"]
        moe = c.get("moe")
        self.balance_loss = moe["balance_loss"] if moe is not None else 0.0
        self.z_loss = moe["z_loss"] if moe is not None else 0.0
        self.model = DecoderModel(c, device)
        if not self.tied:
            self.lm_head = linear(c["width"], c["vocab"], False, device)

    def embed(self, tokens):  # tokens [B, T] int64
        return self.model.embed_tokens(tokens)  # [B, T, width]

    def forward(self, h):  # h [B, T, width]
        h, stats = self.model(h)
        if self.tied:
            return F.linear(h, self.model.embed_tokens.weight), stats  # [B, T, vocab]
        return self.lm_head(h), stats  # [B, T, vocab]

    def aux_loss(self, stats):
        """The weighted means of the MoE layers' balance and z-losses (decoder.ts: moeAuxLoss)."""
        if not stats:
            return None
        n = len(stats)
        balance = torch.stack([s["balance"] for s in stats]).sum() * (self.balance_loss / n)
        z = torch.stack([s["z"] for s in stats]).sum() * (self.z_loss / n)
        return balance + z
