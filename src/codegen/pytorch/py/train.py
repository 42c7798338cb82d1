"""Training an mmc spec's `train` with PyTorch: the torchrun entry of the PyTorch target.

    torchrun --standalone --nproc_per_node 2 train.py --train tiny --steps 100
    python train.py --train tiny --steps 20          # one process, no launcher

One process per GPU (NCCL), or CPU processes (gloo). FSDP2 (`fully_shard`, torch >= 2.4) shards
each transformer block where it exists, DDP replicates otherwise; the first line says which.
bf16 autocast on CUDA. The step is the TypeScript runtime's (src/runtime/train/): AdamW with
decoupled weight decay on the manifest's `decay` tensors, global-norm clipping, warm-up and
cosine/linear/constant decay, gradient accumulation weighted by each part's share of the targets,
the divergence stop, the held-out loss at `eval.every`, the same `metrics.jsonl` records and the
same checkpoint files (format 2: `param.*`, `adam_m.*`, `adam_v.*` under mmc's names and layouts, a
SHA-256 per tensor, the data stream's state), so either target resumes the other's checkpoints and
starts a stage (`init: <train>`) from them. One run at a time writes a run folder (`run.lock`).
"""

import argparse
import base64
import datetime
import json
import math
import os
import re
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
    from .data_read import render_skip_summary, skip_record, skip_summary
    from .train_state import (DEFAULT_KEEP, DivergenceWatch, RunError, encode_checkpoint,
        learning_rate, list_checkpoints, mmc_names, decays, is_frozen, newest_verified,
        to_mmc_layout, write_atomic, write_checkpoint, check_unlocked, take_lock, run_files,
        claim_aside, plan_stage, describe_stage_problem, show_path, escape_controls)
except ImportError:
    import model as mm
    from data import DataError, DataStream
    from data_read import render_skip_summary, skip_record, skip_summary
    from train_state import (DEFAULT_KEEP, DivergenceWatch, RunError, encode_checkpoint,
        learning_rate, list_checkpoints, mmc_names, decays, is_frozen, newest_verified,
        to_mmc_layout, write_atomic, write_checkpoint, check_unlocked, take_lock, run_files,
        claim_aside, plan_stage, describe_stage_problem, show_path, escape_controls)
# fmt: on

METRICS_FILE = "metrics.jsonl"


class PeerError(RunError):
    """Another process of this run stopped (rank 0 says why): exit 1 without a second line."""


# ---- the run ---------------------------------------------------------------------------------


class Stop:
    """SIGINT/SIGTERM: finish the step, checkpoint, exit 130/143; a second signal quits."""

    def __init__(self, say, on_quit=None):
        self.received = None
        self.say = say
        self.on_quit = on_quit
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle)

    def handle(self, sig, _frame):
        if self.received is not None:
            if self.on_quit is not None:
                self.on_quit()  # a run that quits at once still leaves no lock behind
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
        self.release = None  # the run folder's lock, once taken (rank 0)
        self.stage = self.stage_record = None
        self.stage_lines = []
        self.heldout, self.last_eval = [], None

    # ---- `init: <train>`: the newest verified checkpoint of the earlier train (stage-start.ts)

    def run_command(self, init):
        """`mmc run FILE --train NAME`, FILE relative to the working folder, quoted if needed."""
        spec = os.path.join(self.spec_dir, init["spec"])
        rel = os.path.relpath(spec) or spec
        plain = re.fullmatch(r"[A-Za-z0-9_./@%+=:,-]+", rel) is not None
        shown = rel if plain else "'" + rel.replace("'", "'\\''") + "'"
        return f"mmc run {escape_controls(shown)} --train {init['train']}"

    def find_stage_start(self):
        """The earlier train's newest verified checkpoint (a fresh run of a stage), or None."""
        init = self.train.get("init")
        if init is None or self.args.resume is not None:
            return None
        folder = os.path.normpath(os.path.join(self.spec_dir, init["dir"]))
        found = newest_verified(folder, self.say, self.rank)
        if found is None:
            raise RunError(
                f"`train {self.name}` starts from the weights of `train {init['train']}`, which "
                f"has no checkpoint in `{show_path(folder)}` yet: run `{self.run_command(init)}` "
                "first"
            )
        path, (tensors, meta, sha) = found
        by = (meta.get("extra") or {}).get("train")
        if isinstance(by, str) and by != init["train"]:
            raise RunError(
                f"`{show_path(path)}` was saved by `train {escape_controls(by)}`, not "
                f"`train {init['train']}` that `train {self.name}` starts from: run "
                f"`{self.run_command(init)}` into its own folder first"
            )
        params = {k[len("param.") :]: t for k, t in tensors.items() if k.startswith("param.")}
        return {"train": init["train"], "path": path, "params": params, "meta": meta, "sha": sha}

    def apply_stage_start(self, model):
        """Puts the earlier train's weights into `model` as plan_stage says (copied, or an MoE
        expert from the dense MLP of its layer; routers keep their fresh values), everything
        checked before anything is assigned."""
        start, train = self.stage, self.stage["train"]
        shapes = {}
        params = dict(model.named_parameters())
        for pname, (mmc, layout) in self.names.items():
            p = params[pname]
            shapes[mmc] = list(to_mmc_layout(torch.empty(p.shape, device="meta"), layout).shape)
        source = {n: list(t.shape) for n, t in start["params"].items()}
        sources, upcycled, problems = plan_stage(source, shapes)
        if problems:
            listed = [
                escape_controls(describe_stage_problem(p, "the checkpoint", "this model"))
                for p in problems[:3]
            ]
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise RunError(
                f"`{show_path(start['path'])}` of `train {train}` does not fit this run's model: "
                f"{'; '.join(listed)}{more}. The spec changed since `train {train}` ran: run it "
                "again with --fresh, or change this train's model back"
            )
        with torch.no_grad():
            for pname, p in model.named_parameters():
                mmc, layout = self.names[pname]
                kind, source_name = sources[mmc]
                if kind != "fresh":
                    t = start["params"][source_name].to(torch.float32)
                    p.copy_(mm.to_torch_layout(t, layout))
        step = start["meta"]["step"]
        self.stage_lines = [
            f"starting from the weights of `train {train}` at step {step} "
            f"({show_path(start['path'])}, sha256 {start['sha'][:16]}...); its optimizer state "
            "and step are not carried over"
        ]
        if upcycled:
            s = "" if len(upcycled) == 1 else "s"
            layers = ", ".join(map(str, upcycled))
            self.stage_lines.append(
                f"upcycling: the experts of the MoE layer{s} {layers} start as copies of "
                f"`train {train}`'s dense MLP there; the routers are initialised as usual"
            )
        self.stage_record = {
            "type": "init",
            "train": train,
            "checkpoint": start["path"],
            "sha256": start["sha"],
            # not `step`: the metrics log is trimmed by `step` on resume, and this record stays
            "checkpoint_step": step,
            **({"upcycled_layers": upcycled} if upcycled else {}),
        }
        self.stage = None  # its tensors are no longer needed

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
        # `init: <train>` last, as the TypeScript runtime does: its weights win over the model's
        if self.stage is not None:
            self.apply_stage_start(model)
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

    def load(self, path, tensors, meta):
        """Weights and AdamW moments from a checkpoint (either target's), everything checked
        before anything is assigned: the first tensor that does not fit is named with both
        shapes (the weights first, then the moments)."""
        step = meta["step"]
        by = escape_controls(str(meta.get("backend", "?")))
        params = list(self.model.named_parameters())
        for files in (("param",), ("adam_m", "adam_v")):
            for pname, p in params:
                if files[0] != "param" and pname in self.frozen:
                    continue  # no moments for a frozen tensor
                mmc, layout = self.names[pname]
                want = list(to_mmc_layout(torch.empty(p.shape, device="meta"), layout).shape)
                for file in files:
                    t = tensors.get(f"{file}.{mmc}")
                    if t is None or list(t.shape) != want:
                        shape = "missing" if t is None else list(t.shape)
                        raise RunError(
                            f"checkpoint `{show_path(path)}` (saved on {by}) does not fit this "
                            f"model: tensor `{file}.{mmc}` is {shape} there and {want} here "
                            "(fix: resume with the spec that wrote it, or start over with --fresh)"
                        )
        with torch.no_grad():
            for pname, p in params:
                mmc, layout = self.names[pname]
                got = {}
                frozen = pname in self.frozen
                for file in ("param",) if frozen else ("param", "adam_m", "adam_v"):
                    t = tensors[f"{file}.{mmc}"]
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
        try:
            return self._run()
        finally:
            if self.release is not None:
                self.release()

    def _run(self):
        say = self.say
        # Read only, before anything loads: a folder another run writes, a stage not yet startable
        self.on_rank0(lambda: check_unlocked(self.folder), "found the run folder locked")
        self.stage = self.find_stage_start()
        self.build()
        dev = "GPU" if self.device.type == "cuda" else "CPU"
        amp = ", bf16 autocast" if self.device.type == "cuda" else ", fp32"
        where = f"in one process on the {dev}"
        if self.distributed:
            where = f"with {self.engine} on {self.world} {dev} processes, {dist.get_backend()}"
        say(f"train {self.name} ({self.train['source']}) {where}{amp}")
        say(f"run folder {self.folder}")
        for line in self.init_lines + self.stage_lines:
            say(line)
        resumed = self.prepare_folder()
        if resumed is None and self.args.resume is not None and self.train["model"].get("init"):
            raise RunError(
                f"--resume found no checkpoint in `{self.folder}`, and a fresh run loads the "
                "model's `init` weights (fix: run without --resume)"
            )
        if resumed is None and self.args.resume is not None and self.train.get("init"):
            raise RunError(
                f"--resume found no checkpoint in `{show_path(self.folder)}`, and a fresh run "
                f"starts from the weights of `train {self.train['init']['train']}` "
                "(fix: run without --resume)"
            )
        if self.stage_record is not None and self.rank == 0:
            with open(os.path.join(self.folder, METRICS_FILE), "a", encoding="utf-8") as f:
                f.write(json.dumps(self.stage_record, separators=(",", ":")) + "\n")
        data_state = watch_state = None
        start = 0
        if resumed is not None:
            path, (tensors, meta, _) = resumed
            extra = meta.get("extra") or {}
            if extra.get("train") not in (None, self.name):
                raise RunError(
                    f"checkpoint `{path}` is of `train {extra.get('train')}`, not `{self.name}` "
                    "(fix: resume it with --train, or start over with --fresh)"
                )
            self.load(path, tensors, meta)
            start, data_state, watch_state = meta["step"], meta.get("data"), meta.get("watch")
            rng = extra.get("torch_rng")
            if isinstance(rng, str):
                raw = bytearray(base64.b64decode(rng))
                torch.set_rng_state(torch.frombuffer(raw, dtype=torch.uint8))
            say(f"resuming from step {start} ({path}, saved on {meta.get('backend')})")
            if self.rank == 0:
                self.trim_metrics(start)
        return self.loop(start, data_state, watch_state)

    def on_rank0(self, act, what):
        """Runs `act` on rank 0 only; when it fails every rank stops (rank 0 says why)."""
        problem = None
        if self.rank == 0:
            try:
                act()
            except RunError as e:
                problem = e
        failed = all_sum([1.0 if problem else 0.0], self.distributed)[0] > 0
        if problem is not None:
            raise problem
        if failed:
            raise PeerError(f"rank 0 {what}")

    def lock(self):
        """Rank 0 takes the run folder's lock (run-lock.ts); every rank stops if it cannot."""

        def take():
            self.release = take_lock(self.folder, self.say)

        self.on_rank0(take, "could not lock the run folder")

    def prepare_folder(self):
        """A fresh folder, or --resume's newest checkpoint; a run there already is refused. The
        folder's lock is taken before anything in it changes."""
        files = run_files(self.folder)
        if self.args.resume is not None:
            found = newest_verified(self.folder, self.say, self.rank)
            if found is None and list_checkpoints(self.folder):
                raise RunError(f"no checkpoint in `{self.folder}` verifies (fix: --fresh)")
            self.lock()
            return found
        if files and not self.args.fresh:
            raise RunError(
                f"`{self.folder}` holds a run already (fix: continue it with --resume, or move "
                "it aside with --fresh)"
            )
        self.lock()
        if files and self.rank == 0:
            aside = claim_aside(self.folder)  # the run's files only: the lock stays
            for name in files:
                os.replace(os.path.join(self.folder, name), os.path.join(aside, name))
            self.say(f"moved the previous run to {aside}")
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
        data = {k: v for k, v in train["data"].items() if k != "heldout"}
        spec = {**data, **text_only, "baseDir": self.spec_dir, "seed": train["seed"]}
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

    # ---- the held-out loss (heldout.ts, evaluate.ts) ----------------------------------------

    def open_heldout(self, stream):
        """`eval.batches` batches of the held-out captions, read once (every rank reads them
        all: the evaluation is the same on each, so FSDP2's collectives line up)."""
        train = self.train
        held, ev = train["data"].get("heldout"), train.get("eval")
        if held is None or ev is None or ev["batches"] <= 0:
            return []
        image = train["model"].get("image")
        text_only = {} if image else {"imagesPerSequence": 0}
        data = {k: v for k, v in train["data"].items() if k != "heldout"}
        name = f"{data['name']} (held out)"
        spec = {**data, "name": name, "sources": [held], **text_only}
        heldout = DataStream(
            {**spec, "baseDir": self.spec_dir, "seed": 0},
            sequence=train["sequence"],
            image_tokens=train["image_tokens"],
            image={"size": image[1]} if image else None,
            shuffle_buffer=0,
            drop_images=not image,
            issues=stream.issues,  # skipped held-out samples count in the run's summary too
        )
        try:
            batch = train["batch"]
            return [
                to_torch_batch(heldout.next_batch(batch), self.device)
                for _ in range(ev["batches"])
            ]
        finally:
            heldout.close()

    def logits(self, part):
        """Logits [B, T, vocab] of a batch part (FSDP2: the root's own tensors gathered first)."""
        tokens, _, images, slots = part
        model = self.model
        gather = hasattr(model, "unshard") and hasattr(model, "reshard")  # an FSDP2 module
        if gather:
            model.unshard()
        try:
            if self.device.type != "cuda":
                return model.logits(tokens, images, slots)[0]
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return model.logits(tokens, images, slots)[0].float()
        finally:
            if gather:
                model.reshard()

    def score(self, batch):
        """(cross-entropy sum, targets predicted exactly, targets) of a batch, part by part."""
        n, out = batch[0].shape[0], [0.0, 0.0, 0.0]
        for r in range(0, n, self.micro):
            part = rows(batch, r, min(n, r + self.micro))
            targets_, mask = mm.shift_targets(part[0], part[1])
            count = float(mask.sum())
            if count == 0:
                continue
            logits = self.logits(part)
            ce = float(mm.cross_entropy(logits, targets_, mask))
            hit = (logits.argmax(-1) == targets_) & (mask == 1)
            out = [out[0] + ce * count, out[1] + float(hit.sum()), out[2] + count]
        return out

    def evaluate(self, step, metrics):
        """Held-out loss and accuracy, images as given and rotated by one within each batch (the
        gap is what the model reads from the pixels); a metrics record and a line (rank 0)."""
        if not self.heldout:
            return
        sums = [0.0] * 5  # loss, correct, shuffled loss, shuffled correct, targets
        with torch.no_grad():
            for b in self.heldout:
                tokens, mask, images, slots = b
                rotated = b
                if images is not None and images.shape[0] >= 2:
                    rotated = (tokens, mask, torch.cat([images[1:], images[:1]]), slots)
                a, s = self.score(b), self.score(rotated)
                sums = [x + y for x, y in zip(sums, (a[0], a[1], s[0], s[1], a[2]))]
        d = max(1.0, sums[4])
        self.last_eval = step
        if self.rank != 0:
            return
        loss, acc, s_loss, s_acc = sums[0] / d, sums[1] / d, sums[2] / d, sums[3] / d
        record = {
            "type": "eval",
            "step": step,
            "caption_loss": loss,
            "caption_accuracy": acc,
            "caption_loss_shuffled_images": s_loss,
            "caption_accuracy_shuffled_images": s_acc,
            "targets": int(sums[4]),
        }
        with open(metrics, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
        images = self.train["model"].get("image") is not None
        tail = " (text only)"
        if images:
            tail = f"; with shuffled images {s_loss:.4f} ({s_acc * 100:.1f}%)"
        self.say(
            f"eval at step {step}: held-out caption loss {loss:.4f} "
            f"(accuracy {acc * 100:.1f}%){tail}"
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
        stream = self.stream(data_state)
        together = False
        try:
            code = self._loop(stream, start, watch_state)
            together = True
            return code
        finally:
            # The skipped-samples summary, like the runtime's: at the end however the run ends.
            self.report_skipped(stream, together)

    def report_skipped(self, stream, together):
        """The end-of-run `data: skipped ...` line and the `{"type":"skipped"}` record (rank 0),
        summed over the ranks when they all got here (not after one rank's error)."""
        counts, files = stream.issues.summary(), stream.issues.summary("files")
        if together and self.distributed:
            gathered = [None] * self.world
            dist.all_gather_object(gathered, (counts, files))
            counts, files = {}, {}
            for rank_counts, rank_files in gathered:
                for total, part in ((counts, rank_counts), (files, rank_files)):
                    for source, codes in part.items():
                        into = total.setdefault(source, {})
                        for code, n in codes.items():
                            into[code] = into.get(code, 0) + n
        if self.rank != 0:
            return
        summary = skip_summary(counts, files)
        line = render_skip_summary(summary)
        if line:
            self.say(f"data: {escape_controls(line)}")
        metrics = os.path.join(self.folder, METRICS_FILE)
        try:
            with open(metrics, "a", encoding="utf-8") as f:
                f.write(json.dumps(skip_record(summary), separators=(",", ":")) + "\n")
        except OSError as e:
            self.say(f"note: the skipped-samples record was not written to {metrics} ({e})")

    def _loop(self, stream, start, watch_state):
        say, train = self.say, self.train
        self.heldout = self.open_heldout(stream)
        every_eval = (train.get("eval") or {}).get("every", 0)
        watch = DivergenceWatch(train["model"]["llm"]["config"]["vocab"], watch_state)
        stop = Stop(say, lambda: self.release() if self.release is not None else None)
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
            d0 = time.perf_counter()
            batch = to_torch_batch(stream.next_batch(train["batch"]), self.device)
            data_seconds = time.perf_counter() - d0
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
                    "data_seconds": data_seconds,
                    "time": round(time.time(), 3),
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
            if every_eval > 0 and step % every_eval == 0:
                self.evaluate(step, metrics)
            if self.every > 0 and step % self.every == 0:
                last_path = self.save(step, batch, stream, watch, last) or last_path
                saved = step
        if saved != step and step > start:
            self.save(step, batch, stream, watch, last)
        if not (self.last_eval == step and every_eval > 0 and step % every_eval == 0):
            self.evaluate(step, metrics)
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
        code = Trainer(name, TRAINS[name], args, say).run()
        if dist.is_available() and dist.is_initialized():
            # Every rank finished: meet once more so that no gloo work is in flight while the
            # group is torn down (torch 1.13's gloo aborted a rank at exit now and then without it:
            # "terminate called without an active exception").
            dist.barrier()
        return code
    except PeerError:
        return 1  # rank 0 said why
    except (RunError, DataError) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
