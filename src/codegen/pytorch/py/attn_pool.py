# AttnPool, MM1's attention-pooling connector (src/runtime/layers/connector.ts): `tokens` learned
# queries cross-attend to the patch tokens at the encoder width, then a linear layer.
import torch
from torch import nn


class AttnPool(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width, heads = c["in"], c["heads"]
        self.queries = nn.Parameter(torch.empty(c["tokens"], width, device=device))
        self.attn = Attention(width, heads, heads, width // heads, True, True, device=device)
        self.proj = linear(width, c["out"], True, device)

    def forward(self, x):  # x [N, in_tokens, in]
        q = self.queries.unsqueeze(0).expand(x.shape[0], -1, -1)  # [N, tokens, in]
        return self.proj(self.attn(q, kv=x))  # [N, tokens, out]
