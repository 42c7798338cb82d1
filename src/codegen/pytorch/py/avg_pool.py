# AvgPool, MM1's average-pooling connector (src/runtime/layers/connector.ts): adaptive average
# pooling of the square patch grid to sqrt(tokens) x sqrt(tokens), then one linear layer.
import math

import torch.nn.functional as F
from torch import nn


def pool_grid(x, grid, side):
    """x [N, gh * gw, C] on a gh x gw grid -> [N, side * side, C].

    PyTorch's adaptive bins are the runtime's pooling matrix (pooling.ts): output row i averages
    input rows floor(i * in / out) to ceil((i + 1) * in / out), and columns alike.
    """
    if tuple(grid) == (side, side):
        return x
    n, tokens, c = x.shape
    g = x.transpose(1, 2).reshape(n, c, grid[0], grid[1])  # [N, C, gh, gw]
    pooled = F.adaptive_avg_pool2d(g, side)  # [N, C, side, side]
    return pooled.flatten(2).transpose(1, 2)  # [N, side * side, C]


class AvgPool(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.grid = (c["grid_h"], c["grid_w"])
        self.side = math.isqrt(c["tokens"])
        self.proj = linear(c["in"], c["out"], True, device)

    def forward(self, x):  # x [N, in_tokens, in]
        return self.proj(pool_grid(x, self.grid, self.side))  # [N, tokens, out]
