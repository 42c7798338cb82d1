# CAbstractor, Honeybee's convolutional connector (src/runtime/layers/c-abstractor.ts), under
# Honeybee's names (timm RegStage blocks `b1`, `b2`, ...): grid positions, a stage of RegNet
# bottlenecks, adaptive average pooling, a second stage, then an MLP readout with SiLU.
import math

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(Norm):
    """LayerNorm over the channels of an NCHW grid (timm's LayerNorm2d)."""

    def forward(self, x):  # x [N, C, H, W]
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNorm(nn.Module):
    """A bias-free convolution and its norm (timm's ConvNormAct without the activation)."""

    def __init__(self, cin, cout, kernel, eps, groups=1, device=None):
        super().__init__()
        self.conv = nn.Conv2d(
            cin, cout, kernel, padding=kernel // 2, groups=groups, bias=False, device=device
        )
        self.bn = LayerNorm2d(cout, "layer", eps, device)

    def forward(self, x):
        return self.bn(self.conv(x))


class SqueezeExcite(nn.Module):
    def __init__(self, c, squeezed, device=None):
        super().__init__()
        self.fc1 = nn.Conv2d(c, squeezed, 1, device=device)
        self.fc2 = nn.Conv2d(squeezed, c, 1, device=device)

    def forward(self, x):  # x [N, C, H, W]
        s = x.mean((2, 3), keepdim=True)  # [N, C, 1, 1]
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class Bottleneck(nn.Module):
    """timm's RegNet bottleneck as Honeybee configures it.

    1x1 conv, 3x3 depthwise conv, squeeze-excite, 1x1 conv, each conv with a LayerNorm over
    channels; SiLU after the first two and after the residual sum.
    """

    def __init__(self, cin, c, eps, device=None):
        super().__init__()
        self.conv1 = ConvNorm(cin, c, 1, eps, device=device)
        self.conv2 = ConvNorm(c, c, 3, eps, groups=c, device=device)
        # timm's squeeze-excite width: Python's round (half to even) of a quarter of `cin`.
        self.se = SqueezeExcite(c, round(cin * 0.25), device)
        self.conv3 = ConvNorm(c, c, 1, eps, device=device)
        self.downsample = ConvNorm(cin, c, 1, eps, device=device) if cin != c else None

    def forward(self, x):  # x [N, cin, H, W]
        y = F.silu(self.conv1(x))  # [N, C, H, W]
        y = F.silu(self.conv2(y))
        y = self.conv3(self.se(y))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.silu(y + shortcut)  # [N, C, H, W]


class RegStage(nn.Module):
    def __init__(self, depth, cin, c, eps, device=None):
        super().__init__()
        self.depth = depth
        for i in range(depth):
            self.add_module(f"b{i + 1}", Bottleneck(cin if i == 0 else c, c, eps, device))

    def forward(self, x):
        for i in range(self.depth):
            x = getattr(self, f"b{i + 1}")(x)
        return x


class CAbstractor(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width_in, hidden, depth, out = c["in"], c["hidden"], c["depth"], c["out"]
        eps = norm_eps(c)
        self.grid = (c["grid_h"], c["grid_w"])
        self.side = math.isqrt(c["tokens"])
        if c["pos_embed"]:
            self.pos_emb = nn.Parameter(torch.empty(1, c["in_tokens"], width_in, device=device))
        else:
            self.register_parameter("pos_emb", None)
        self.net = nn.Sequential(
            RegStage(depth, width_in, hidden, eps, device),
            nn.AdaptiveAvgPool2d(self.side),
            RegStage(depth, hidden, hidden, eps, device),
        )
        read_in = hidden if depth > 0 else width_in
        layers = []
        for j in range(c["mlp_depth"]):
            if j > 0:
                layers.append(nn.SiLU())
            layers.append(linear(read_in if j == 0 else out, out, True, device))
        self.readout = nn.Sequential(*layers)

    def forward(self, x):  # x [N, gh * gw, in]
        n, tokens, width = x.shape
        if self.pos_emb is not None:
            x = x + self.pos_emb
        g = x.transpose(1, 2).reshape(n, width, self.grid[0], self.grid[1])  # [N, in, gh, gw]
        g = self.net(g)  # [N, hidden, side, side]
        return self.readout(g.flatten(2).transpose(1, 2))  # [N, tokens, out]
