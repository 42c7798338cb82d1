"""Training an mmc spec's `train` with PyTorch: the torchrun entry of the PyTorch target.

    torchrun --standalone --nproc_per_node 2 train.py --train tiny --steps 100
    python train.py --train tiny --steps 20          # one process, no launcher

One process per GPU (NCCL), or CPU processes (gloo). FSDP2 (`fully_shard`, torch >= 2.4) shards
each transformer block where it exists, DDP replicates otherwise; the first line says which.
bf16 autocast on CUDA. The step is the TypeScript runtime's (src/runtime/train/): AdamW with
decoupled weight decay on the manifest's `decay` tensors, global-norm clipping, warm-up and
cosine/linear/constant decay, gradient accumulation weighted by each part's share of the targets,
the divergence stop, the same `metrics.jsonl` records and the same checkpoint files (format 2:
`param.*`, `adam_m.*`, `adam_v.*` under mmc's names and layouts, a SHA-256 per tensor, the data
stream's state), so either target can read the other's checkpoints.
"""

import argparse
import base64
import datetime
import json
import math
import os
import signal
import sys
import time

import numpy
import torch
import torch.distributed as dist

# fmt: off
try:  # as part of a generated package, or run from its folder
    from . import model as mm
    from .data import DataError, DataStream
    from .train_state import (DEFAULT_KEEP, DivergenceWatch, RunError, encode_checkpoint,
        learning_rate, list_checkpoints, mmc_names, decays, is_frozen, newest_verified,
        to_mmc_layout, write_atomic, write_checkpoint)
except ImportError:
    import model as mm
    from data import DataError, DataStream
    from train_state import (DEFAULT_KEEP, DivergenceWatch, RunError, encode_checkpoint,
        learning_rate, list_checkpoints, mmc_names, decays, is_frozen, newest_verified,
        to_mmc_layout, write_atomic, write_checkpoint)
# fmt: on

METRICS_FILE = "metrics.jsonl"


# ---- the run ---------------------------------------------------------------------------------


class Stop:
    """SIGINT/SIGTERM: finish the step, checkpoint, exit 130/143; a second signal quits."""

    def __init__(self, say):
        self.received = None
        self.say = say
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle)

    def handle(self, sig, _frame):
        if self.received is not None:
            os._exit(128 + sig)
        self.received = sig
        self.say(f"{signal.Signals(sig).name}: stopping after this step (a checkpoint first)")


def setup():
    """(rank, world, device, distributed): from torchrun's environment, or one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available() and os.environ.get("MMC_DEVICE", "") != "cpu"
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    return rank, world, device, world > 1


def fully_shard_api():
    """torch.distributed.fsdp.fully_shard (FSDP2, torch >= 2.4), or None where it is missing."""
    try:
        from torch.distributed.fsdp import fully_shard  # noqa: PLC0415

        return fully_shard
    except Exception:  # noqa: BLE001 missing before 2.4; on 1.13 under Python 3.11 a ValueError
        return None


def blocks(model):
    """The transformer blocks FSDP2 shards one by one: the decoder's and the ViT's layers."""
    out = []
    for part in (model.vision, model.llm):
        for m in part.modules() if part is not None else ():
            if isinstance(m, torch.nn.ModuleList):
                out.extend(m)
    return out


def to_torch_batch(b, device):
    """A data.py Batch as the model's inputs, on `device`."""
    tokens = torch.from_numpy(b.tokens.astype(numpy.int64)).to(device)
    mask = torch.from_numpy(b.loss_mask.astype(numpy.float32)).to(device)
    if not b.image_slots:
        return tokens, mask, None, None
    images = torch.from_numpy(b.images).to(device)
    slots = [[s["row"], s["start"], s["length"], s["image"]] for s in b.image_slots]
    return tokens, mask, images, torch.tensor(slots, dtype=torch.int64)


def rows(batch, start, end):
    """Rows [start, end) of a model batch, its image slots and images renumbered."""
    tokens, mask, images, slots = batch
    part = (tokens[start:end], mask[start:end])
    if slots is None:
        return part + (None, None)
    mine = [s for s in slots.tolist() if start <= s[0] < end]
    if not mine:
        return part + (None, None)
    order = sorted({s[3] for s in mine}, key=[s[3] for s in mine].index)
    renumber = {img: i for i, img in enumerate(order)}
    moved = [[s[0] - start, s[1], s[2], renumber[s[3]]] for s in mine]
    return part + (images[order], torch.tensor(moved, dtype=torch.int64))


def targets(mask):
    """Targets a batch has: loss-mask positions 1.. (position 0 is never a target)."""
    return float(mask[:, 1:].sum())


def all_sum(values, distributed):
    t = torch.tensor(values, dtype=torch.float64)
    if distributed:
        dist.all_reduce(t)
    return t.tolist()


class Trainer:
    def __init__(self, name, train, args, say):
        self.name, self.train, self.args, self.say = name, train, args, say
        self.rank, self.world, self.device, self.distributed = setup()
        self.steps = args.steps or train["steps"]
        if train["batch"] % self.world:
            raise RunError(
                f"a batch of {train['batch']} does not divide among {self.world} processes "
                "(fix: give --nproc a divisor of the batch)"
            )
        self.local_batch = train["batch"] // self.world
        self.micro = min(args.micro_batch or self.local_batch, self.local_batch)
        here = os.path.dirname(os.path.abspath(__file__))
        self.spec_dir = os.path.normpath(os.path.join(here, SPEC_DIR))
        ckpt = train["checkpoint"]
        given = args.resume if isinstance(args.resume, str) else args.run_dir
        default = os.path.join(self.spec_dir, ckpt["dir"] if ckpt else os.path.join("runs", name))
        self.folder = os.path.abspath(given or default)
        self.every = ckpt["every"] if ckpt else 0
        self.keep = ckpt["keep"] if ckpt else DEFAULT_KEEP

    def build(self):
        torch.manual_seed(self.train["seed"])
        model = mm.MultimodalModel(self.train["model"])
        mm.init_weights(model)
        # Pretrained weights (`init`) before step 0; a resumed run reads its checkpoint instead.
        self.init_lines = []
        if self.args.resume is None:
            try:
                self.init_lines = mm.load_init(model, self.spec_dir)
            except (mm.InitError, mm.SafetensorsError) as e:
                raise RunError(str(e)) from None
        if self.args.init:
            mm.load_mmc_weights(model, self.args.init)
        count = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
        if count != self.train["params"]:
            raise RuntimeError(
                f"internal: the built model has {count} parameters but the compiler counted "
                f"{self.train['params']}"
            )
        self.names = mmc_names(model)
        # `freeze` (mmc paths): no gradient and no AdamW state; set before DDP or FSDP2 wraps it
        paths = self.train.get("freeze", [])
        self.frozen = {n for n, (mmc, _) in self.names.items() if is_frozen(mmc, paths)}
        for pname, p in model.named_parameters():
            if pname in self.frozen:
                p.requires_grad_(False)
        model.to(self.device)
        self.model = model
        shard = fully_shard_api() if self.distributed else None
        if shard is not None:
            for block in blocks(model):
                shard(block)
            shard(model)
            self.engine, self.wrapped = "FSDP2 (fully_shard per transformer block)", model
        elif self.distributed:
            # A rank's rows may hold no image (then the encoder gets no gradient there), and a
            # ViT's classification head is never used: DDP must look for unused parameters.
            unused = "vision" in model.spec
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.wrapped = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=ids, find_unused_parameters=unused
            )
            self.engine = "DDP (no FSDP2 in this torch)"
        else:
            self.engine, self.wrapped = "one process", model
        opt = self.train["optimizer"]
        no_decay = set(self.train["no_decay"])
        groups = {True: [], False: []}
        for pname, p in model.named_parameters():
            if pname not in self.frozen:
                groups[decays(self.names[pname][0], no_decay)].append(p)
        self.optimizer = torch.optim.AdamW(
            [
                {"params": groups[True], "weight_decay": opt["weight_decay"]},
                {"params": groups[False], "weight_decay": 0.0},
            ],
            lr=opt["lr"],
            betas=tuple(opt["betas"]),
            eps=opt["eps"],
            foreach=False,
        )

    def full(self, t):
        """A parameter or moment whole, on the CPU (FSDP2 shards are gathered: collective)."""
        return (t.full_tensor() if hasattr(t, "full_tensor") else t).detach().to("cpu")

    def state_tensors(self):
        params = dict(self.model.named_parameters())
        out, moments = {}, {}
        for pname, p in params.items():
            mmc, layout = self.names[pname]
            out[f"param.{mmc}"] = to_mmc_layout(self.full(p), layout)
            if pname in self.frozen:
                continue  # no moments, as the TypeScript runtime writes them
            s = self.optimizer.state.get(p, {})
            zeros = torch.zeros_like(self.full(p))
            for key, file in (("exp_avg", "adam_m"), ("exp_avg_sq", "adam_v")):
                moments[f"{file}.{mmc}"] = to_mmc_layout(self.full(s.get(key, zeros)), layout)
        return {**out, **moments}

    def load(self, tensors, meta):
        """Weights and AdamW moments from a checkpoint; the first mismatch named, with shapes."""
        step = meta["step"]
        with torch.no_grad():
            for pname, p in self.model.named_parameters():
                mmc, layout = self.names[pname]
                got = {}
                frozen = pname in self.frozen
                for file in ("param",) if frozen else ("param", "adam_m", "adam_v"):
                    t = tensors.get(f"{file}.{mmc}")
                    want = tuple(to_mmc_layout(torch.empty(p.shape, device="meta"), layout).shape)
                    if t is None or tuple(t.shape) != want:
                        shape = "missing" if t is None else list(t.shape)
                        raise RunError(
                            f"the checkpoint does not fit this model: tensor `{file}.{mmc}` is "
                            f"{shape}, the model's is {list(want)} (fix: resume with the spec "
                            "that wrote it, or start over with --fresh)"
                        )
                    got[file] = mm.to_torch_layout(t, layout).contiguous().to(self.device)
                self._assign(p, got["param"])
                if frozen:
                    continue
                self.optimizer.state[p] = {
                    "step": torch.tensor(float(step)),
                    "exp_avg": self._like(p, got["adam_m"]),
                    "exp_avg_sq": self._like(p, got["adam_v"]),
                }

    def _like(self, p, t):
        if hasattr(p, "device_mesh"):  # an FSDP2 DTensor: keep this rank's shard
            from torch.distributed.tensor import distribute_tensor  # noqa: PLC0415

            return distribute_tensor(t, p.device_mesh, p.placements)
        return t

    def _assign(self, p, t):
        p.copy_(self._like(p, t))

    def run(self):
        say = self.say
        self.build()
        dev = "GPU" if self.device.type == "cuda" else "CPU"
        amp = ", bf16 autocast" if self.device.type == "cuda" else ", fp32"
        where = f"in one process on the {dev}"
        if self.distributed:
            where = f"with {self.engine} on {self.world} {dev} processes, {dist.get_backend()}"
        say(f"train {self.name} ({self.train['source']}) {where}{amp}")
        say(f"run folder {self.folder}")
        for line in self.init_lines:
            say(line)
        resumed = self.prepare_folder()
        if resumed is None and self.args.resume is not None and self.train["model"].get("init"):
            raise RunError(
                f"--resume found no checkpoint in `{self.folder}`, and a fresh run loads the "
                "model's `init` weights (fix: run without --resume)"
            )
        data_state = watch_state = None
        start = 0
        if resumed is not None:
            path, (tensors, meta) = resumed
            extra = meta.get("extra") or {}
            if extra.get("train") not in (None, self.name):
                raise RunError(
                    f"checkpoint `{path}` is of `train {extra.get('train')}`, not `{self.name}` "
                    "(fix: resume it with --train, or start over with --fresh)"
                )
            self.load(tensors, meta)
            start, data_state, watch_state = meta["step"], meta.get("data"), meta.get("watch")
            rng = extra.get("torch_rng")
            if isinstance(rng, str):
                raw = bytearray(base64.b64decode(rng))
                torch.set_rng_state(torch.frombuffer(raw, dtype=torch.uint8))
            say(f"resuming from step {start} ({path}, saved on {meta.get('backend')})")
            if self.rank == 0:
                self.trim_metrics(start)
        return self.loop(start, data_state, watch_state)

    def prepare_folder(self):
        """A fresh folder, or --resume's newest checkpoint; a run there already is refused."""
        has_run = os.path.exists(os.path.join(self.folder, METRICS_FILE)) or list_checkpoints(
            self.folder
        )
        if self.args.resume is not None:
            found = newest_verified(self.folder, self.say)
            if found is None and list_checkpoints(self.folder):
                raise RunError(f"no checkpoint in `{self.folder}` verifies (fix: --fresh)")
            return found
        if has_run and not self.args.fresh:
            raise RunError(
                f"`{self.folder}` holds a run already (fix: continue it with --resume, or move "
                "it aside with --fresh)"
            )
        if has_run and self.rank == 0:
            n = 1
            while os.path.exists(f"{self.folder}.old-{n}"):
                n += 1
            os.replace(self.folder, f"{self.folder}.old-{n}")
            self.say(f"moved the previous run to {self.folder}.old-{n}")
        if self.distributed:
            dist.barrier()
        return None

    def trim_metrics(self, step):
        path = os.path.join(self.folder, METRICS_FILE)
        if not os.path.isfile(path):
            return
        kept = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the kill
                if isinstance(record, dict) and record.get("step", 0) <= step:
                    kept.append(line.rstrip("\n"))
        write_atomic(path, "".join(k + "\n" for k in kept).encode("utf-8"))

    def stream(self, state):
        train = self.train
        image = train["model"].get("image")
        text_only = {} if image else {"imagesPerSequence": 0}
        spec = {**train["data"], **text_only, "baseDir": self.spec_dir, "seed": train["seed"]}
        return DataStream(
            spec,
            sequence=train["sequence"],
            image_tokens=train["image_tokens"],
            image={"size": image[1], "tiles": train["model"].get("tiles")} if image else None,
            state=state,
            drop_images=not image,
            strict=self.args.strict,
            on_warning=lambda _issue, text: self.say(f"warning: {text}"),
            rank=self.rank,
            world_size=self.world,
        )

    def forward(self, part):
        tokens, mask, images, slots = part
        if self.device.type != "cuda":
            return self.wrapped(tokens, mask, images, slots)  # fp32 on the CPU
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return self.wrapped(tokens, mask, images, slots)

    def step(self, batch, lr):
        """One optimizer step on this rank's rows, weighted so the ranks' and passes' gradients
        add up to one pass over the global batch (trainer.ts's trainStep)."""
        n = batch[0].shape[0]
        parts = [rows(batch, r, min(n, r + self.micro)) for r in range(0, n, self.micro)]
        total = all_sum([targets(batch[1])], self.distributed)[0]
        passes = len(parts) * self.world
        loss_sum = ce_sum = 0.0
        loads, dropped = [], []
        for i, part in enumerate(parts):
            ce_w = targets(part[1]) / total if total > 0 else 1 / passes
            out = self.forward(part)
            loss = out.cross_entropy * ce_w + (out.total - out.cross_entropy) / passes
            sync = i == len(parts) - 1 or not hasattr(self.wrapped, "no_sync")
            if sync:
                (loss * self.world).backward()  # DDP and FSDP average over ranks
            else:
                with self.wrapped.no_sync():
                    (loss * self.world).backward()
            loss_sum += float(loss)
            ce_sum += float(out.cross_entropy) * ce_w
            for j, stats in enumerate(out.moe or []):  # MoE layers: averaged over passes
                if j == len(loads):
                    loads.append([0.0] * len(stats["load"]))
                    dropped.append(0.0)
                loads[j] = [a + float(x) / passes for a, x in zip(loads[j], stats["load"])]
                dropped[j] += float(stats["dropped"]) / passes
        loss_sum, ce_sum = all_sum([loss_sum, ce_sum], self.distributed)
        if loads:
            flat = all_sum([x for layer in loads for x in layer] + dropped, self.distributed)
            width = len(loads[0])
            loads = [flat[i * width : (i + 1) * width] for i in range(len(loads))]
            dropped = flat[len(loads) * width :]
        clip = self.train["optimizer"]["clip"]
        params = [p for p in self.model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else math.inf)
        norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
        if math.isfinite(loss_sum) and math.isfinite(norm):
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_sum, ce_sum, norm, loads, dropped

    def forward_ce(self, batch):
        """The cross-entropy of the state as it is on `batch` (judged before a checkpoint)."""
        n = batch[0].shape[0]
        total = all_sum([targets(batch[1])], self.distributed)[0]
        ce = 0.0
        with torch.no_grad():
            for r in range(0, n, self.micro):
                part = rows(batch, r, min(n, r + self.micro))
                w = targets(part[1]) / total if total > 0 else 1 / (self.world * n)
                ce += float(self.forward(part).cross_entropy) * w
        return all_sum([ce], self.distributed)[0]

    def save(self, step, batch, stream, watch, last):
        """Checkpoints the state after `step` steps, once it scores well on the batch it trained
        on (a state that fails the loss tests is never saved). Collective: every rank calls."""
        if batch is not None:
            ce = self.forward_ce(batch)
            verdict = watch.judge(ce)
            if not math.isfinite(ce) or verdict is not None:
                what = f"became {ce}" if not math.isfinite(ce) else watch.describe(verdict)
                at = f"after step {step} (checked before saving it)"
                raise RunError(f"the loss {what} {at}; stopped without saving this state{last()}")
        tensors = self.state_tensors()
        path = None
        if self.rank == 0:
            rng = base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode("ascii")
            state = {
                "step": step,
                "backend": f"pytorch-{self.device.type}",
                "data": stream.state(),
                "extra": {"train": self.name, "source": self.train["source"], "torch_rng": rng},
                **({"watch": watch.state()} if watch.state() else {}),
                "savedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
            data = encode_checkpoint(tensors, state)
            path = write_checkpoint(self.folder, step, data, self.keep)
            self.say(f"checkpoint: step {step} -> {path}")
        if self.distributed:
            dist.barrier()
        return path

    def loop(self, start, data_state, watch_state):
        say, train = self.say, self.train
        stream = self.stream(data_state)
        watch = DivergenceWatch(train["model"]["llm"]["config"]["vocab"], watch_state)
        stop = Stop(say)
        metrics = os.path.join(self.folder, METRICS_FILE)
        if self.rank == 0:
            os.makedirs(self.folder, exist_ok=True)
        saved, last_path, batch, loss = start if start > 0 else None, None, None, None

        def last():
            fix = "lower the learning rate or tighten `clip`"
            if last_path is None:
                return f" (no checkpoint was written yet); {fix}, then start over with --fresh"
            return f"; the last good checkpoint, {last_path}, is kept; {fix}, then --resume"

        step = start
        began = time.perf_counter()
        while step < self.steps:
            if all_sum([1.0 if stop.received else 0.0], self.distributed)[0] > 0:
                if saved != step:
                    last_path = self.save(step, batch, stream, watch, last) or last_path
                say(f"stopped at step {step}/{self.steps}")
                return 128 + (stop.received or signal.SIGTERM)
            batch = to_torch_batch(stream.next_batch(train["batch"]), self.device)
            lr = learning_rate(train["schedule"], step, self.steps, train["optimizer"]["lr"])
            t0 = time.perf_counter()
            loss, ce, norm, loads, dropped = self.step(batch, lr)
            seconds = time.perf_counter() - t0
            if not math.isfinite(loss):
                what = f"the loss became {loss} at step {step + 1}"
                raise RunError(f"{what}; stopped without saving this state{last()}")
            verdict = watch.judge(ce)
            if verdict is not None:
                what = f"the loss exploded at step {step + 1}: {watch.describe(verdict)}"
                raise RunError(f"{what}; stopped without saving this state{last()}")
            watch.record(ce)
            step += 1
            if self.rank == 0:
                record = {
                    "type": "step",
                    "step": step,
                    "loss": loss,
                    "cross_entropy": ce,
                    "lr": lr,
                    "grad_norm": norm,
                    "tokens_per_second": train["batch"] * train["sequence"] / seconds,
                    "step_seconds": seconds,
                    "sources": {s["name"]: s["samples"] for s in stream.source_stats()},
                    **({"expert_load": loads, "expert_dropped": dropped} if loads else {}),
                }
                with open(metrics, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record, separators=(",", ":")) + "\n")
                if step % train["log_every"] == 0 or step == self.steps or step == start + 1:
                    say(
                        f"step {step}/{self.steps}  loss {loss:.4f}  lr {lr:.2e}  "
                        f"{record['tokens_per_second']:.0f} tok/s  {seconds:.3f} s/step"
                    )
            if self.every > 0 and step % self.every == 0:
                last_path = self.save(step, batch, stream, watch, last) or last_path
                saved = step
        if saved != step and step > start:
            self.save(step, batch, stream, watch, last)
        shown = "" if loss is None else f", loss {loss:.4f}"
        took = f"{time.perf_counter() - began:.1f} s"
        say(f"finished at step {step}/{self.steps} in {took}{shown}; metrics in {metrics}")
        return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", help="the `train` to run (default: the spec's first)")
    p.add_argument("--steps", type=int, help="train this many steps in all")
    p.add_argument("--resume", nargs="?", const=True, help="continue from the newest checkpoint")
    p.add_argument("--fresh", action="store_true", help="move a previous run aside first")
    p.add_argument("--run-dir", help="the run folder (default: the train's checkpoint folder)")
    p.add_argument("--micro-batch", type=int, help="rows per pass (gradient accumulation)")
    p.add_argument("--init", help="initial weights: a safetensors file of mmc names")
    p.add_argument("--strict", action="store_true", help="stop at the first bad sample")
    args = p.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        p.error("--steps must be at least 1")
    if args.micro_batch is not None and args.micro_batch < 1:
        p.error("--micro-batch must be at least 1")
    if args.resume is not None and args.fresh:
        p.error("--resume continues the run in the folder and --fresh moves it aside: give one")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rank = int(os.environ.get("RANK", "0"))

    def say(line):
        if rank == 0:
            print(line, flush=True)

    name = args.train or next(iter(TRAINS), None)
    if name not in TRAINS:
        have = ", ".join(f"`{n}`" for n in TRAINS) or "none"
        print(f"error: the spec has no `train {name}` (it has {have})", file=sys.stderr)
        return 2
    try:
        return Trainer(name, TRAINS[name], args, say).run()
    except (RunError, DataError) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
