# The PyTorch reference of bench/runtime-step.mjs: the mmc runtime's decoder (norm, positions, MLP,
# head as the mmc config says), AdamW with mmc's decay groups and clipping. `serve` mode answers
# JSON commands on stdin (one a line) so one long-lived process can be timed step by step against
# mmc; the positional mode is the older one-shot form, run by hand (e.g. on a GPU machine):
#   python3 bench/torch-step.py serve
#   python3 bench/torch-step.py VOCAB WIDTH DEPTH HEADS HIDDEN BATCH SEQUENCE THREADS STEPS [cpu|cuda]
# Serve commands (each answered by one JSON line; errors as {"error": ...}):
#   {"op": "info"}                          torch version, BLAS libraries, OpenBLAS core and threads
#   {"op": "peak", "shapes": [[m, k, n]]}   torch.mm GFLOP/s per shape, threads that ran meanwhile
#   {"op": "init", "model": {...}, "weights": FILE, "batch": FILE, "optimizer": {...}}
#   {"op": "grads", "file": FILE}           this model's loss gradients against mmc's (no update)
#   {"op": "updates", "file": FILE}         the weights' change since `init` against mmc's
#   {"op": "step"}                          one training step: loss, grad norm, seconds
#   {"op": "mark"} / {"op": "active"}       threads that used CPU time since the mark
#   {"op": "quit"}
import ctypes, json, math, os, struct, sys, time

import torch
import torch.nn.functional as F

NORM_EPS = 1e-5  # the runtime's NORM_EPS (src/runtime/layers/norm.ts)


# ---- what the process loaded and runs with -------------------------------------------------------


def loaded_libraries():
    """Paths of the BLAS/LAPACK/OpenMP libraries mapped into this process."""
    seen = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6:
                continue
            path = parts[5]
            name = os.path.basename(path).lower()
            if any(k in name for k in ("blas", "lapack", "mkl", "gomp", "iomp", "omp.so")):
                if path not in seen:
                    seen.append(path)
    return seen


def openblas_state():
    """OpenBLAS's core name, build config and thread count, from the first library exporting them."""
    for path in loaded_libraries():
        try:
            lib = ctypes.CDLL(path)
            corename = lib.openblas_get_corename
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        return {
            "library": os.path.realpath(path),
            "corename": corename().decode(),
            "config": lib.openblas_get_config().decode(),
            "threads": lib.openblas_get_num_threads(),
        }
    return None


def thread_times():
    """CPU ticks (user + system) per thread of this process."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return out


def active_since(mark):
    """Threads that used CPU time since `mark` (a thread_times() result); ticks are 10 ms."""
    now = thread_times()
    return sum(1 for tid, t in now.items() if t - mark.get(tid, 0) > 0)


def info():
    env = {
        k: os.environ.get(k)
        for k in (
            "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE",
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "OMP_WAIT_POLICY",
            "LD_LIBRARY_PATH",
        )
    }
    config = torch.__config__.show()
    blas_info = next(
        (p.split("=", 1)[1] for p in config.replace(",", " ").split() if p.startswith("BLAS_INFO=")),
        None,
    )
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "blasInfo": blas_info,
        "libraries": loaded_libraries(),
        "openblas": openblas_state(),
        "torchThreads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "processThreads": len(os.listdir("/proc/self/task")),
        "env": env,
    }


def peak(shapes):
    """torch.mm GFLOP/s per [m, k, n], timed like matmul-peak.mjs (doubling until 0.5 s)."""
    mark = thread_times()
    results = []
    for m, k, n in shapes:
        a, b = torch.randn(m, k), torch.randn(k, n)
        torch.mm(a, b)
        torch.mm(a, b)
        reps = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b)
            seconds = time.perf_counter() - t0
            if seconds > 0.5 or reps >= 256:
                break
            reps *= 2
        results.append({"shape": f"{m}x{k}x{n}", "gflops": 2 * m * k * n * reps / seconds / 1e9})
    return {"results": results, "activeThreads": active_since(mark)}


# ---- safetensors, read by hand (the format of src/runtime/checkpoint/safetensors.ts) -----------


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": torch.float32, "I32": torch.int32}[t["dtype"]]
        lo, hi = t["data_offsets"]
        data = bytearray(blob[base + lo : base + hi])
        out[name] = torch.frombuffer(data, dtype=dtype).reshape(t["shape"]).clone()
    return out


# ---- the model -----------------------------------------------------------------------------------


class RMSNorm(torch.nn.Module):
    def __init__(s, width):
        super().__init__()
        s.weight = torch.nn.Parameter(torch.ones(width))

    def forward(s, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * s.weight


def make_norm(kind, width):
    return torch.nn.LayerNorm(width, eps=NORM_EPS) if kind == "layer" else RMSNorm(width)


def rope_tables(t, head_dim, base):
    """cos and sin [t, head_dim / 2]: angle = pos / base^(2i / head_dim), as positions.ts."""
    i = torch.arange(head_dim // 2, dtype=torch.float64)
    angle = torch.arange(t, dtype=torch.float64)[:, None] / torch.pow(base, 2 * i / head_dim)
    return angle.cos().float(), angle.sin().float()


def rotate(x, cos, sin):
    """Rotate-half form (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2 cos) over the last axis."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


class Attention(torch.nn.Module):
    def __init__(s, o, qkv_bias, out_bias):
        super().__init__()
        s.heads, s.kv_heads, s.hd = o["heads"], o["kvHeads"], o["headDim"]
        s.q = torch.nn.Linear(o["width"], s.heads * s.hd, bias=qkv_bias)
        s.k = torch.nn.Linear(o["width"], s.kv_heads * s.hd, bias=qkv_bias)
        s.v = torch.nn.Linear(o["width"], s.kv_heads * s.hd, bias=qkv_bias)
        s.o = torch.nn.Linear(s.heads * s.hd, o["width"], bias=out_bias)

    def forward(s, x, rope, mask):
        b, t, _ = x.shape
        q = s.q(x).view(b, t, s.heads, s.hd).transpose(1, 2)
        k = s.k(x).view(b, t, s.kv_heads, s.hd).transpose(1, 2)
        v = s.v(x).view(b, t, s.kv_heads, s.hd).transpose(1, 2)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        if s.kv_heads != s.heads:  # each key/value head serves heads / kv_heads queries
            k = k.repeat_interleave(s.heads // s.kv_heads, 1)
            v = v.repeat_interleave(s.heads // s.kv_heads, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(s.hd)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        return s.o((att @ v).transpose(1, 2).reshape(b, t, s.heads * s.hd))


class Mlp(torch.nn.Module):
    def __init__(s, fn, width, hidden, bias):
        super().__init__()
        s.fn = fn
        if fn == "swiglu":
            s.gate = torch.nn.Linear(width, hidden, bias=bias)
        s.up = torch.nn.Linear(width, hidden, bias=bias)
        s.down = torch.nn.Linear(hidden, width, bias=bias)

    def forward(s, x):
        if s.fn == "swiglu":
            return s.down(F.silu(s.gate(x)) * s.up(x))
        if s.fn == "gelu":
            return s.down(F.gelu(s.up(x), approximate="tanh"))
        return s.down(F.relu(s.up(x)))


class Block(torch.nn.Module):
    def __init__(s, o, norm, qkv_bias, out_bias, mlp_bias):
        super().__init__()
        s.attn_norm = make_norm(norm, o["width"])
        s.attn = Attention(o, qkv_bias, out_bias)
        s.mlp_norm = make_norm(norm, o["width"])
        s.mlp = Mlp(o["mlp"]["fn"], o["width"], o["mlp"]["hidden"], mlp_bias)

    def forward(s, x, rope, mask):
        x = x + s.attn(s.attn_norm(x), rope, mask)
        return x + s.mlp(s.mlp_norm(x))


class Decoder(torch.nn.Module):
    """The runtime's decoder (src/runtime/layers/decoder.ts), module names as mmc's weight names."""

    def __init__(s, o, norm, qkv_bias, out_bias, mlp_bias):
        super().__init__()
        s.o = o
        s.embed = torch.nn.Embedding(o["vocab"], o["width"])
        if o["position"] == "learned":
            s.pos_embed = torch.nn.Parameter(torch.zeros(o["context"], o["width"]))
        s.layers = torch.nn.ModuleList(
            [Block(o, norm, qkv_bias, out_bias, mlp_bias) for _ in range(o["depth"])]
        )
        if o["finalNorm"]:
            s.final_norm = make_norm(norm, o["width"])
        if not o["tied"]:
            s.head = torch.nn.Linear(o["width"], o["vocab"], bias=False)

    def forward(s, tokens):
        b, t = tokens.shape
        x = s.embed(tokens)
        if s.o["position"] == "learned":
            x = x + s.pos_embed[:t]
        rope = None
        if s.o["position"] == "rope":
            rope = [x.to(tokens.device) for x in rope_tables(t, s.o["headDim"], s.o["ropeBase"])]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tokens.device), 1)
        for layer in s.layers:
            x = layer(x, rope, mask)
        if s.o["finalNorm"]:
            x = s.final_norm(x)
        return x @ s.embed.weight.t() if s.o["tied"] else s.head(x)


def to_torch_layout(name, t):
    """mmc's linear weights are [in, out]; torch's [out, in]. Embedding tables match as they are."""
    keep = name in ("embed.weight", "pos_embed") or t.dim() != 2
    return t if keep else t.t().contiguous()


def build(o, weights):
    """A Decoder holding mmc's weights: `llm.` names, linear weights [in, out] turned to [out, in]."""
    if o.get("qkNorm", "none") != "none":
        raise ValueError("the torch reference has no query/key norm (qk_norm)")
    if o.get("moe"):
        raise ValueError("the torch reference has no mixture of experts")
    w = {k[len("llm.") :]: v for k, v in weights.items() if k.startswith("llm.")}
    if len(w) != len(weights):
        raise ValueError("the torch reference is a text decoder: weights outside `llm.` found")
    norm = "layer" if "layers.0.attn_norm.bias" in w else "rms"
    m = Decoder(
        o,
        norm,
        qkv_bias="layers.0.attn.q.bias" in w,
        out_bias="layers.0.attn.o.bias" in w,
        mlp_bias="layers.0.mlp.up.bias" in w,
    )
    state = {name: to_torch_layout(name, t) for name, t in w.items()}
    missing, unexpected = m.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"weights do not match the model: missing {missing}, unexpected {unexpected}")
    return m


def relative(a, b):
    """||a - b|| / max(||a||, ||b||): 0 when equal, 1 when one of them is zero."""
    scale = max(a.norm().item(), b.norm().item())
    return (a - b).norm().item() / scale if scale > 0 else 0.0


class Trainer:
    def __init__(s, cmd):
        weights = read_safetensors(cmd["weights"])
        batch = read_safetensors(cmd["batch"])
        s.model = build(cmd["model"], weights)
        decay = set(cmd["decay"])
        named = dict(s.model.named_parameters())
        by_mmc = {f"llm.{k}": v for k, v in named.items()}
        opt = cmd["optimizer"]
        groups = [
            {"params": [p for n, p in by_mmc.items() if n in decay], "weight_decay": opt["weightDecay"]},
            {"params": [p for n, p in by_mmc.items() if n not in decay], "weight_decay": 0.0},
        ]
        s.opt = torch.optim.AdamW(
            groups, lr=opt["lr"], betas=tuple(opt["betas"]), eps=opt["eps"]
        )
        s.clip = opt["clip"]
        s.tokens = batch["tokens"].long()
        # mmc's shiftTargets: position i predicts token i + 1, weighted by lossMask[i + 1]
        s.targets = s.tokens[:, 1:].reshape(-1)
        s.mask = batch["lossMask"][:, 1:].reshape(-1)
        s.params = sum(p.numel() for p in s.model.parameters())
        s.initial = {n: p.detach().clone() for n, p in named.items()}

    def loss(s):
        logits = s.model(s.tokens)
        vocab = logits.shape[-1]
        per = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), s.targets, reduction="none")
        return (per * s.mask).sum() / s.mask.sum().clamp(min=1)

    def grads(s, file):
        """Relative L2 difference of each weight's gradient from mmc's (in `file`), no update."""
        theirs = read_safetensors(file)
        s.opt.zero_grad(set_to_none=True)
        s.loss().backward()
        out, sq_mmc, sq_torch = [], 0.0, 0.0
        for name, p in s.model.named_parameters():
            g = theirs.get(f"llm.{name}")
            if g is None:
                raise ValueError(f"mmc wrote no gradient for `llm.{name}`")
            g = to_torch_layout(name, g)
            out.append({"name": f"llm.{name}", "rel": relative(g, p.grad)})
            sq_mmc += g.double().pow(2).sum().item()
            sq_torch += p.grad.double().pow(2).sum().item()
        s.opt.zero_grad(set_to_none=True)
        # global norms in float64: what each side's clipping norm should come to
        return {"tensors": out, "norm64": math.sqrt(sq_mmc), "torchNorm64": math.sqrt(sq_torch)}

    def updates(s, file):
        """Relative L2 difference of each weight's change since `init` from mmc's (in `file`)."""
        theirs = read_safetensors(file)
        out = []
        for name, p in s.model.named_parameters():
            start = s.initial[name]
            ours = p.detach() - start
            mmc = to_torch_layout(name, theirs[f"llm.{name}"]) - start
            out.append({"name": f"llm.{name}", "rel": relative(mmc, ours)})
        return {"tensors": out}

    def step(s):
        t0 = time.perf_counter()
        s.opt.zero_grad(set_to_none=True)
        loss = s.loss()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(s.model.parameters(), s.clip) if s.clip > 0 else None
        s.opt.step()
        value = loss.item()  # wait for the step, as mmc's trainer does when it reads the loss
        seconds = time.perf_counter() - t0
        return {"loss": value, "gradNorm": None if norm is None else norm.item(), "seconds": seconds}


def serve():
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    trainer, mark = None, thread_times()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "info":
                out = info()
            elif op == "peak":
                out = peak(cmd["shapes"])
            elif op == "init":
                trainer = None
                trainer = Trainer(cmd)
                out = {"params": trainer.params}
            elif op == "grads":
                if trainer is None:
                    raise ValueError("`grads` before `init`")
                out = trainer.grads(cmd["file"])
            elif op == "updates":
                if trainer is None:
                    raise ValueError("`updates` before `init`")
                out = trainer.updates(cmd["file"])
            elif op == "step":
                if trainer is None:
                    raise ValueError("`step` before `init`")
                out = trainer.step()
            elif op == "mark":
                mark = thread_times()
                out = {}
            elif op == "active":
                out = {"activeThreads": active_since(mark), "processThreads": len(thread_times())}
            elif op == "quit":
                print(json.dumps({}), flush=True)
                return
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as e:  # reported to the parent, which fails the bench with it
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


def one_shot(argv):
    """The older form: a GELU, learned-position, LayerNorm decoder, best step time as JSON."""
    V, C, L, H, Fh, B, T, threads, steps = [int(x) for x in argv[:9]]
    device = argv[9] if len(argv) > 9 else "cpu"
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    o = {
        "vocab": V, "width": C, "depth": L, "heads": H, "kvHeads": H, "headDim": C // H,
        "mlp": {"fn": "gelu", "hidden": Fh}, "position": "learned", "ropeBase": 10000,
        "context": T, "tied": False, "finalNorm": True,
    }  # fmt: skip
    m = Decoder(o, "layer", False, False, False).to(device)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.1)
    t = torch.randint(0, V, (B, T), device=device)

    def step():
        opt.zero_grad()
        y = m(t)
        loss = F.cross_entropy(y[:, :-1].reshape(-1, V), t[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        loss.item()

    step()
    ts = []
    for _ in range(steps):
        s = time.perf_counter()
        step()
        ts.append(time.perf_counter() - s)
    print(json.dumps({"seconds": min(ts), "torch": torch.__version__, "device": device}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    else:
        one_shot(sys.argv[1:])
