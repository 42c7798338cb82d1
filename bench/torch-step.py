# The reference decoder of bench/runtime-step.mjs in PyTorch: pre-norm GPT blocks (LayerNorm, no
# biases, GELU-tanh MLP, learned positions, untied head), AdamW, gradient clipping. Prints the best
# step time as JSON. Used by runtime-step.mjs (CPU) and run by hand on a GPU machine:
#   python3 bench/torch-step.py VOCAB WIDTH DEPTH HEADS HIDDEN BATCH SEQUENCE THREADS STEPS [cpu|cuda]
import json, math, sys, time

import torch

V, C, L, H, F, B, T, threads, steps = [int(x) for x in sys.argv[1:10]]
device = sys.argv[10] if len(sys.argv) > 10 else "cpu"
torch.manual_seed(0)
torch.set_num_threads(threads)


class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = torch.nn.LayerNorm(C)
        s.q = torch.nn.Linear(C, C, bias=False)
        s.k = torch.nn.Linear(C, C, bias=False)
        s.v = torch.nn.Linear(C, C, bias=False)
        s.o = torch.nn.Linear(C, C, bias=False)
        s.n2 = torch.nn.LayerNorm(C)
        s.up = torch.nn.Linear(C, F, bias=False)
        s.down = torch.nn.Linear(F, C, bias=False)

    def forward(s, x):
        a = s.n1(x)
        sh = lambda t: t.view(B, T, H, C // H).transpose(1, 2)
        q, k, v = sh(s.q(a)), sh(s.k(a)), sh(s.v(a))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(C // H)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1)
        att = att.masked_fill(causal, float("-inf")).softmax(-1)
        x = x + s.o((att @ v).transpose(1, 2).reshape(B, T, C))
        return x + s.down(torch.nn.functional.gelu(s.up(s.n2(x)), approximate="tanh"))


class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.e = torch.nn.Embedding(V, C)
        s.p = torch.nn.Parameter(torch.zeros(T, C))
        s.b = torch.nn.ModuleList([Block() for _ in range(L)])
        s.n = torch.nn.LayerNorm(C)
        s.h = torch.nn.Linear(C, V, bias=False)

    def forward(s, t):
        x = s.e(t) + s.p
        for b in s.b:
            x = b(x)
        return s.h(s.n(x))


m = M().to(device)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.1)
t = torch.randint(0, V, (B, T), device=device)


def step():
    opt.zero_grad()
    y = m(t)
    loss = torch.nn.functional.cross_entropy(y[:, :-1].reshape(-1, V), t[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    loss.item()  # wait for the step, as mmc's trainer does when it reads the loss


step()
ts = []
for _ in range(steps):
    s = time.perf_counter()
    step()
    ts.append(time.perf_counter() - s)
print(json.dumps({"seconds": min(ts), "torch": torch.__version__, "device": device}))
