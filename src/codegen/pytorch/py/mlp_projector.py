# MLPProjector, LLaVA-1.5's connector (src/runtime/layers/connector.ts), under LLaVA's names:
# two linear layers with a GELU between them on every patch token (`act`: the tanh form, or the
# exact erf one LLaVA's nn.GELU() is).
import torch.nn.functional as F
from torch import nn


class MLPProjector(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.linear_1 = linear(c["in"], c["hidden"], True, device)
        self.linear_2 = linear(c["hidden"], c["out"], True, device)
        self.exact = c.get("act", "gelu") == "gelu_exact"

    def forward(self, x):  # x [N, in_tokens, in]
        h = self.linear_1(x)
        h = F.gelu(h) if self.exact else gelu(h)  # F.gelu: approximate="none", the erf form
        return self.linear_2(h)  # [N, in_tokens, out]
