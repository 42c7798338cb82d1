# The Python side of bench/pytorch-step.mjs: in one process, the training step of the package
# `mmc compile --target pytorch` emitted (its train.py's own Trainer.build and Trainer.step, run
# as one process without torchrun) and bench/torch-step.py's hand-written reference, on the same
# weights, batch and threads. Answers JSON commands on stdin, one a line, one JSON line each:
#   {"op": "info"}                                   torch-step.py's info (threads, BLAS)
#   {"op": "init", "package": DIR, "train": NAME, "model": {...}, "weights": FILE,
#    "batch": FILE, "decay": [...], "optimizer": {...}}
#                                                    builds both; parameter counts, decay sets
#   {"op": "step", "side": "emitted" | "reference"}  one training step: loss, grad norm, seconds
#   {"op": "mark"} / {"op": "active"}                threads that used CPU time since the mark
#   {"op": "quit"}
#   python3 bench/emitted-step.py serve
import importlib.util
import json
import os
import sys
import time

import torch


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HERE = os.path.dirname(os.path.abspath(__file__))
ref = load("torch_step", os.path.join(HERE, "torch-step.py"))


class Emitted:
    """The emitted train.py's Trainer for its train `name`: built, then stepped as its loop does."""

    def __init__(s, cmd):
        # the package's modules import each other by plain name when run from its folder
        sys.path.insert(0, cmd["package"])
        s.train_py = importlib.import_module("train")
        s.mm = importlib.import_module("model")
        train = s.train_py.TRAINS[cmd["train"]]
        # one pass over the whole batch, as the reference takes: no --micro-batch
        args = s.train_py.parse_args(["--init", cmd["weights"]])
        s.trainer = s.train_py.Trainer(cmd["train"], train, args, lambda line: None)
        s.trainer.build()
        if s.trainer.engine != "one process":
            raise ValueError(f"the emitted trainer runs as {s.trainer.engine}, not one process")
        batch, _ = s.mm.read_safetensors(cmd["batch"])
        s.batch = (batch["tokens"].long(), batch["lossMask"].float(), None, None)
        s.lr = cmd["optimizer"]["lr"]
        if train["optimizer"]["lr"] != s.lr:
            raise ValueError(f"the spec's lr {train['optimizer']['lr']} is not the bench's {s.lr}")
        model = s.trainer.model
        s.params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
        no_decay = set(train["no_decay"])
        s.decay = sorted(
            mmc
            for pname, (mmc, _) in s.trainer.names.items()
            if s.train_py.decays(mmc, no_decay)
        )

    def step(s):
        t0 = time.perf_counter()
        loss, _, norm, _, _ = s.trainer.step(s.batch, s.lr)  # floats: the step has finished
        return {"loss": loss, "gradNorm": norm, "seconds": time.perf_counter() - t0}


def serve():
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    emitted = reference = None
    mark = ref.thread_times()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "info":
                out = ref.info()
            elif op == "init":
                emitted = reference = None
                reference = ref.Trainer(cmd)
                emitted = Emitted(cmd)
                out = {
                    "referenceParams": reference.params,
                    "emittedParams": emitted.params,
                    "emittedDecay": emitted.decay,
                }
            elif op == "step":
                side = {"emitted": emitted, "reference": reference}.get(cmd.get("side"))
                if side is None:
                    raise ValueError("`step` before `init`, or a side not emitted|reference")
                out = side.step()
            elif op == "mark":
                mark = ref.thread_times()
                out = {}
            elif op == "active":
                out = {
                    "activeThreads": ref.active_since(mark),
                    "processThreads": len(ref.thread_times()),
                }
            elif op == "quit":
                print(json.dumps({}), flush=True)
                return
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as e:  # reported to the parent, which fails the bench with it
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        sys.exit("usage: python3 bench/emitted-step.py serve (driven by bench/pytorch-step.mjs)")
    serve()
