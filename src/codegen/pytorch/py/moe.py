# MoE, the mixture-of-experts FFN (src/runtime/layers/moe.ts), under Qwen2-MoE's names: a softmax
# router picks `top_k` experts per token, each expert takes at most its capacity (first choices
# before second choices, in token order; the rest are dropped), shared experts see every token.
import math

import torch
import torch.nn.functional as F
from torch import nn


def expert_capacity(n, experts, top_k, factor):
    """ceil(capacity * tokens * top_k / experts), in the runtime's order of operations."""
    return math.ceil(factor * n * top_k / experts)


class MoE(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width, fn, bias = c["width"], c["expert_fn"], c["bias"]
        self.experts_count, self.top_k, self.capacity = c["experts"], c["top_k"], c["capacity"]
        self.gate = linear(width, self.experts_count, False, device)
        self.experts = nn.ModuleList(
            MLP(width, fn, c["hidden"], bias, device=device) for _ in range(self.experts_count)
        )
        shared = c["shared"]
        self.shared_experts = None
        if shared > 0:
            self.shared_experts = nn.ModuleList(
                MLP(width, fn, c["shared_hidden"], bias, device=device) for _ in range(shared)
            )
        use_gate = c["shared_gate"] and shared > 0
        self.shared_expert_gate = linear(width, 1, False, device) if use_gate else None

    def inactive_params(self):
        """Parameters of the routed experts one token is not sent to (counting.ts)."""
        routed = sum(p.numel() for p in self.experts.parameters())
        return routed // self.experts_count * (self.experts_count - self.top_k)

    def route(self, probs):
        """The runtime's `route` (moe.ts), on the device.

        Top-k by probability (ties: the lower expert index), then each expert's queue in
        priority order, cut at its capacity.
        """
        n, e = probs.shape
        # A stable descending sort keeps equal probabilities in expert order.
        choice = torch.sort(probs, dim=1, descending=True, stable=True).indices[:, : self.top_k]
        chosen = torch.zeros_like(probs).scatter_(1, choice, 1.0)  # [N, E] 0/1
        flat = choice.t().reshape(-1)  # [K * N]: every token's first choice, then its second...
        onehot = F.one_hot(flat, e)  # [K * N, E]
        place = (onehot.cumsum(0) * onehot).sum(1)  # [K * N]: 1-based place in its expert's queue
        kept = place <= expert_capacity(n, e, self.top_k, self.capacity)
        token = torch.arange(flat.shape[0], device=probs.device) % n  # [K * N]
        wanted = onehot.sum(0)  # [E]: assignments before dropping
        return chosen, flat, kept, token, wanted

    def forward(self, x):  # x [N, width]
        n, e, k = x.shape[0], self.experts_count, self.top_k
        logits = self.gate(x)  # [N, E]
        probs = logits.softmax(-1)  # [N, E]
        with torch.no_grad():
            chosen, flat, kept, token, wanted = self.route(probs)
        gates = probs * chosen  # [N, E]
        if k > 1:
            gates = gates / (gates.sum(1, keepdim=True) + 1e-9)
        y = torch.zeros_like(x)  # [N, width]
        load = []
        for j, expert in enumerate(self.experts):
            idx = token[(flat == j) & kept]  # the tokens expert j processes, in priority order
            # Every expert runs, on no rows if none reach it, so each has a gradient (DDP).
            out = expert(x[idx]) * gates[idx, j].unsqueeze(1)  # [n_j, width]
            y = y.index_add(0, idx, out)
            load.append(idx.numel() / (n * k))
        if self.shared_experts is not None:
            shared = torch.zeros_like(x)
            for expert in self.shared_experts:
                shared = shared + expert(x)  # [N, width]
            if self.shared_expert_gate is not None:
                shared = shared * torch.sigmoid(self.shared_expert_gate(x))
            y = y + shared
        fraction = wanted.to(probs.dtype) / (n * k)  # [E], a constant as in the runtime
        balance = (fraction * probs.mean(0)).sum() * e  # 1 when routing is uniform
        z = torch.logsumexp(logits, dim=-1).pow(2).mean()
        stats = {"balance": balance, "z": z, "load": load, "dropped": 1 - sum(load)}
        return y, stats
