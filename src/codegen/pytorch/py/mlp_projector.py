# MLPProjector, LLaVA-1.5's connector (src/runtime/layers/connector.ts), under LLaVA's names:
# two linear layers with a GELU between them on every patch token.
from torch import nn


class MLPProjector(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.linear_1 = linear(c["in"], c["hidden"], True, device)
        self.linear_2 = linear(c["hidden"], c["out"], True, device)

    def forward(self, x):  # x [N, in_tokens, in]
        return self.linear_2(gelu(self.linear_1(x)))  # [N, in_tokens, out]
