# Building blocks every kind uses, each the PyTorch twin of a TypeScript runtime layer: norms,
# the MLP, rotary positions and multi-head attention with grouped-query heads and query/key norms.
import math

import torch
import torch.nn.functional as F
from torch import nn

# The eps of a config without `norm_eps` (src/components/blocks.ts: DEFAULT_NORM_EPS);
# src/runtime/init.ts: INIT_STD.
NORM_EPS = 1e-5
INIT_STD = 0.02
# The runtime's additive causal mask (attention.ts: causalMask) uses -1e9, not -inf.
MASK_VALUE = -1e9
# torch >= 2.0 has a fused attention kernel; torch 1.13 (Debian) runs the explicit product.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def norm_eps(c):
    """A config's `norm_eps` (every kind with norms has one; NORM_EPS where it is absent)."""
    return float(c.get("norm_eps", NORM_EPS))


class Norm(nn.Module):
    """LayerNorm (`weight` and `bias`) or RMSNorm (`weight` only) over the last axis.

    `eps` is added to the variance (LayerNorm) or the mean square (RMSNorm): the config's
    `norm_eps`, which a pretrained checkpoint fixes (`rms_norm_eps`, `layer_norm_eps`).
    """

    def __init__(self, width, kind, eps=NORM_EPS, device=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width, device=device))
        if kind == "layer":
            self.bias = nn.Parameter(torch.zeros(width, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        if self.bias is not None:
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)
        mean_square = x.pow(2).mean(-1, keepdim=True)  # [..., 1]
        return x * torch.rsqrt(mean_square + self.eps) * self.weight


def gelu(x):
    """GELU with the tanh approximation, the runtime's (mlp.ts) and GPT-2's form."""
    return F.gelu(x, approximate="tanh")


def linear(width_in, width_out, bias, device=None):
    return nn.Linear(width_in, width_out, bias=bias, device=device)


# Attribute names of an MLP's layers, per state-dict layout (see docs/pytorch.md).
LLAMA_MLP = {"gate": "gate_proj", "up": "up_proj", "down": "down_proj"}
CLIP_MLP = {"gate": "fc1", "up": "fc1", "down": "fc2"}
CLIP_SWIGLU_MLP = {"gate": "fc1", "up": "fc3", "down": "fc2"}


class MLP(nn.Module):
    """`up`, an activation, `down`; SwiGLU adds `gate`: down(silu(gate(x)) * up(x))."""

    def __init__(self, width, fn, hidden, bias, names=None, device=None):
        super().__init__()
        self.fn = fn
        self.names = dict(names or LLAMA_MLP)
        if fn == "swiglu":
            self.add_module(self.names["gate"], linear(width, hidden, bias, device))
        self.add_module(self.names["up"], linear(width, hidden, bias, device))
        self.add_module(self.names["down"], linear(hidden, width, bias, device))

    def forward(self, x):  # x [..., width]
        up = getattr(self, self.names["up"])(x)  # [..., hidden]
        if self.fn == "swiglu":
            hidden = F.silu(getattr(self, self.names["gate"])(x)) * up
        elif self.fn == "gelu":
            hidden = gelu(up)
        elif self.fn == "gelu_exact":
            hidden = F.gelu(up)  # the exact, erf form (approximate="none"), as mlp.ts
        elif self.fn == "quick_gelu":
            hidden = up * torch.sigmoid(1.702 * up)  # OpenAI CLIP's, as mlp.ts
        else:
            hidden = F.relu(up)
        return getattr(self, self.names["down"])(hidden)  # [..., width]


def rope_tables(t, head_dim, base, device, dtype):
    """cos and sin [t, head_dim / 2] for positions 0..t-1, computed in float64 as positions.ts."""
    half = head_dim // 2
    pos = torch.arange(t, dtype=torch.float64)
    freq = torch.tensor(float(base), dtype=torch.float64) ** (
        2 * torch.arange(half, dtype=torch.float64) / head_dim
    )
    angle = pos[:, None] / freq[None, :]  # [t, half]
    return angle.cos().to(device, dtype), angle.sin().to(device, dtype)


def apply_rope(x, cos, sin):
    """Rotate-half form (Hugging Face Llama's): (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2 cos)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]  # [B, H, T, D / 2] each
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def causal_mask(t, device, dtype):
    """Additive mask [t, t]: 0 where query i may see key j (j <= i), MASK_VALUE elsewhere."""
    mask = torch.full((t, t), MASK_VALUE, device=device, dtype=dtype)
    return torch.triu(mask, diagonal=1)


class Attention(nn.Module):
    """Multi-head attention with grouped-query heads.

    Optional query/key norms (`full`: over the whole projection; `head`: one head width shared
    by all heads) and rotary positions. Self-attention when `kv` is omitted; cross-attention
    (AttnPool) otherwise.
    """

    def __init__(
        self,
        width,
        heads,
        kv_heads,
        head_dim,
        qkv_bias,
        out_bias,
        qk_norm="none",
        norm_kind="layer",
        out_name="o_proj",
        norm_eps=NORM_EPS,
        device=None,
    ):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.qk_norm, self.out_name = qk_norm, out_name
        q_width, kv_width = heads * head_dim, kv_heads * head_dim
        self.q_proj = linear(width, q_width, qkv_bias, device)
        self.k_proj = linear(width, kv_width, qkv_bias, device)
        self.v_proj = linear(width, kv_width, qkv_bias, device)
        self.add_module(out_name, linear(q_width, width, out_bias, device))
        if qk_norm == "full":
            self.q_norm = Norm(q_width, norm_kind, norm_eps, device)
            self.k_norm = Norm(kv_width, norm_kind, norm_eps, device)
        elif qk_norm == "head":
            self.q_norm = Norm(head_dim, norm_kind, norm_eps, device)
            self.k_norm = Norm(head_dim, norm_kind, norm_eps, device)

    def forward(self, x, kv=None, mask=None, rope=None, causal=False):
        b, t, _ = x.shape  # x [B, T, width]
        kv = x if kv is None else kv  # [B, S, width]
        s = kv.shape[1]
        q = self.q_proj(x)  # [B, T, H * D]
        k = self.k_proj(kv)  # [B, S, KV * D]
        v = self.v_proj(kv)  # [B, S, KV * D]
        if self.qk_norm == "full":
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # [B, H, T, D]
        k = k.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)  # [B, KV, S, D]
        v = v.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)  # [B, KV, S, D]
        if self.qk_norm == "head":
            q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if self.kv_heads != self.heads:
            # Query head h reads key/value head h // (H / KV), as the runtime's repeatKv.
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)  # [B, H, S, D]
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)  # [B, H, S, D]
        if HAS_SDPA:
            ctx = F.scaled_dot_product_attention(q, k, v, is_causal=causal)  # [B, H, T, D]
        else:
            scores = (q * (1 / math.sqrt(self.head_dim))) @ k.transpose(-1, -2)  # [B, H, T, S]
            if causal:
                scores = scores + (mask if mask is not None else causal_mask(t, x.device, x.dtype))
            ctx = scores.softmax(-1) @ v  # [B, H, T, D]
        merged = ctx.transpose(1, 2).reshape(b, t, self.heads * self.head_dim)  # [B, T, H * D]
        return getattr(self, self.out_name)(merged)  # [B, T, width]
