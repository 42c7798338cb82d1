"""The state of an mmc training run in PyTorch (train.py's): the TypeScript runtime's learning-rate
schedule and divergence watch, names and layouts between mmc's manifest and the PyTorch modules,
checkpoints in the runtime's format 2, so either target reads the other's files, the run folder's
lock (run-lock.ts) and the plan of a stage started from another train's weights (stages.ts).
"""

import errno
import hashlib
import json
import math
import os
import re
import socket

import torch

try:  # as part of a generated package, or run from its folder
    from . import model as mm
except ImportError:
    import model as mm

POINTER_FILE = "latest.json"
STEP_FILE = re.compile(r"^step-(\d+)\.safetensors$")
DEFAULT_KEEP = 3
DIVERGENCE_FACTOR = 2
SMOOTHING = 0.9


class RunError(Exception):
    """A problem of the input or the machine: one line saying what to do, exit 1."""


# ---- the schedule (schedule.ts) --------------------------------------------------------------


def learning_rate(schedule, step, total, peak):
    """The learning rate of 0-based `step` of `total` steps at `peak` (schedule.ts's formulas)."""
    warm = max(0, math.floor(schedule["warmup"]))
    if step < warm:
        return peak * (step + 1) / warm
    if schedule["kind"] == "constant":
        return peak
    final = schedule.get("final", 0.1)
    span = max(1, total - warm)
    progress = min(1, (step - warm) / span)
    if schedule["kind"] == "linear":
        return peak * (final + (1 - final) * (1 - progress))
    return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress)))


# ---- the divergence watch (divergence.ts) ----------------------------------------------------


class DivergenceWatch:
    """A cross-entropy above ln(vocab) and twice the best smoothed loss so far has exploded."""

    def __init__(self, vocab, state=None):
        self.uniform = math.log(vocab)
        self.smoothed = self.best = None
        if isinstance(state, dict):
            s, b = state.get("smoothed"), state.get("best")
            if isinstance(s, (int, float)) and isinstance(b, (int, float)):
                if math.isfinite(s) and math.isfinite(b):
                    self.smoothed, self.best = float(s), float(b)

    def judge(self, loss):
        if self.best is None or not math.isfinite(loss):
            return None
        limit = max(self.uniform, DIVERGENCE_FACTOR * self.best)
        return (loss, limit, self.best) if loss > limit else None

    def record(self, loss):
        if not math.isfinite(loss):
            return
        s = loss if self.smoothed is None else SMOOTHING * self.smoothed + (1 - SMOOTHING) * loss
        self.smoothed = s
        self.best = s if self.best is None else min(self.best, s)

    def state(self):
        return None if self.best is None else {"smoothed": self.smoothed, "best": self.best}

    def describe(self, verdict):
        loss, limit, best = verdict

        def f(x):
            return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.2f}"

        return (
            f"cross-entropy {f(loss)} is above {f(limit)}, the larger of ln(vocab) = "
            f"{f(self.uniform)} (a uniform guess) and {DIVERGENCE_FACTOR} x the best smoothed "
            f"loss so far ({f(best)})"
        )


# ---- names and layouts between mmc and PyTorch ------------------------------------------------


def _inverse_values(template, text):
    """The placeholder values of `text` matched against a template (`net.0.b{i+1}`), or None."""
    regex, names = mm._pattern(template)
    m = regex.fullmatch(text)
    if m is None:
        return None
    values = {}
    for (name, op, c), g in zip(names, m.groups()):
        v = int(g)
        if op == "+":
            v -= c
        elif op == "*":
            if v % c:
                return None
            v //= c
        if v < 0 or values.get(name, v) != v:
            return None
        values[name] = v
    return values


def to_mmc_name(kind, mlp_fn, hf_name):
    """The mmc name and layout of a PyTorch tensor of a part of `kind` (to_hf_name's inverse)."""
    for mmc, hf, rule, only in mm.HF_NAMES[kind]:
        if only is not None and only != ("swiglu" if mlp_fn == "swiglu" else "plain"):
            continue
        for suffix, layout in mm.RULE_TENSORS[rule].items():
            if not hf_name.endswith(suffix):
                continue
            values = _inverse_values(hf, hf_name[: len(hf_name) - len(suffix)])
            if values is not None:
                name = mm._fill(mmc, values) + suffix
                if mm.to_hf_name(kind, mlp_fn, name) == (hf_name, layout):
                    return name, layout
    return None


def to_mmc_layout(t, layout):
    """A PyTorch tensor in mmc's (tfjs) layout: to_torch_layout's inverse."""
    if layout == "transpose":
        return t.t()
    if layout == "conv":
        return t.permute(2, 3, 1, 0)  # [kh, kw, in, out]
    if layout == "depthwise":
        return t.permute(2, 3, 0, 1)  # [kh, kw, channels, 1]
    if layout == "unsqueeze":
        return t.squeeze(0)
    return t


def mmc_names(model):
    """{PyTorch parameter name: (mmc name, layout)} for every parameter of a MultimodalModel."""
    out = {}
    for name, _ in model.named_parameters():
        prefix, _, rest = name.partition(".")
        part = model.spec[prefix]
        mapped = to_mmc_name(part["kind"], mm._part_mlp_fn(part), rest)
        if mapped is None:
            raise RuntimeError(f"internal: no mmc name for the PyTorch tensor {name!r}")
        out[name] = (f"{prefix}.{mapped[0]}", mapped[1])
    return out


def is_frozen(mmc_name, paths):
    """Whether a train's `freeze` paths name this tensor (the path, or under it: stages.ts)."""
    return any(mmc_name == p or mmc_name.startswith(p + ".") for p in paths)


def decays(mmc_name, patterns):
    """Whether AdamW's weight decay applies (the manifest's `decay`, as `no_decay` patterns)."""
    generic = re.sub(r"\.\d+(?=\.)", ".{i}", mmc_name)
    return generic not in patterns


# ---- checkpoints (checkpoint.ts, store.ts) -----------------------------------------------------


def _sha256(b):
    return hashlib.sha256(b).hexdigest()


def _le_bytes(t):
    a = t.detach().to("cpu").contiguous().numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def encode_checkpoint(tensors, state):
    """Safetensors bytes of format 2: the tensors (F32) and metadata with their checksums."""
    records, blobs, header, at = {}, [], {}, 0
    for name, t in tensors.items():
        data = _le_bytes(t.to(torch.float32))
        records[name] = {"dtype": "F32", "shape": list(t.shape), "sha256": _sha256(data)}
        offsets = [at, at + len(data)]
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": offsets}
        blobs.append(data)
        at += len(data)
    meta = json.dumps({"format": 2, **state, "tensors": records}, separators=(",", ":"))
    header["__metadata__"] = {"mmc": meta, "mmc_sha256": _sha256(meta.encode("utf-8"))}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def write_atomic(path, data):
    """Writes through a temp file: fsync, rename, fsync of the folder (store.ts)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # a folder that cannot be fsynced here: the rename is still atomic


def list_checkpoints(folder):
    """(step, path) of the step files in `folder`, newest first."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for n in names:
        m = STEP_FILE.match(n)
        if m is not None:
            found.append((int(m.group(1)), os.path.join(folder, n)))
    return sorted(found, reverse=True)


def write_checkpoint(folder, step, data, keep):
    """The step file, then latest.json, then step files older than the newest `keep`."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"step-{step:08d}.safetensors")
    write_atomic(path, data)
    pointer = json.dumps({"step": step, "file": os.path.basename(path)}, separators=(",", ":"))
    write_atomic(os.path.join(folder, POINTER_FILE), (pointer + "\n").encode("utf-8"))
    older = [c for c in list_checkpoints(folder) if c[0] < step]
    for _, old in older[max(0, keep - 1) :]:
        os.remove(old)
    return path


def read_checkpoint(path):
    """Tensors and metadata of a checkpoint, verified completely; a RunError naming the file."""
    try:
        tensors, metadata = mm.read_safetensors(path)
    except (mm.SafetensorsError, OSError) as e:
        raise RunError(f"checkpoint `{path}` is damaged ({e})") from None
    raw = metadata.get("mmc")
    if not isinstance(raw, str):
        raise RunError(f"checkpoint `{path}` has no mmc metadata: it is not an mmc checkpoint")
    if metadata.get("mmc_sha256") != _sha256(raw.encode("utf-8")):
        raise RunError(f"checkpoint `{path}` is damaged: its metadata does not match its checksum")
    meta = json.loads(raw)
    records = meta.get("tensors") if isinstance(meta, dict) else None
    if meta.get("format") != 2 or not isinstance(meta.get("step"), int) or not records:
        raise RunError(f"checkpoint `{path}` is damaged: its metadata is not format 2")
    if set(records) != set(tensors):
        raise RunError(f"checkpoint `{path}` is damaged: its tensors are not its metadata's")
    for name, t in tensors.items():
        want = records[name]
        if want.get("shape") != list(t.shape) or want.get("sha256") != _sha256(_le_bytes(t)):
            raise RunError(f"checkpoint `{path}` is damaged: tensor `{name}` changed")
    return tensors, meta, metadata["mmc_sha256"]


def newest_verified(folder, say, rank=0):
    """(path, (tensors, meta, sha256)) of the newest checkpoint in `folder` that verifies, or None;
    damaged newer ones become `.damaged` (by rank 0: the other ranks pass over them)."""
    for _, path in list_checkpoints(folder):
        try:
            return path, read_checkpoint(path)
        except RunError as e:
            say(f"warning: {e}; renamed to `{path}.damaged`, using an older one")
            if rank == 0:
                os.replace(path, f"{path}.damaged")
    return None


# ---- paths in messages (errors.ts) -------------------------------------------------------------

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text):
    """Control and bidirectional characters as escapes, so a path cannot rewrite the terminal."""

    def one(m):
        c = ord(m.group(0))
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _CONTROLS.sub(one, text)


def show_path(path):
    """A path for a message: relative to the working folder when under it, escaped."""
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    shown = rel if rel and not rel.startswith("..") and not os.path.isabs(rel) else path
    return escape_controls(shown)


# ---- the run folder's lock (run-lock.ts) -------------------------------------------------------

LOCK_FILE = "run.lock"
RUN_FILE = re.compile(
    r"^(step-\d+\.safetensors(\.damaged(-\d+)?)?|latest\.json|latest\.safetensors|metrics\.jsonl"
    r"|(step-\d+\.safetensors|latest\.json|latest\.safetensors)\.tmp-\d+)$"
)


def run_files(folder):
    """The files of a run in `folder` (checkpoints, pointer, metrics, temp files), sorted."""
    try:
        return sorted(n for n in os.listdir(folder) if RUN_FILE.match(n))
    except FileNotFoundError:
        return []


def _parse_lock(text):
    try:
        r = json.loads(text)
    except ValueError:
        return None
    ok = isinstance(r, dict) and isinstance(r.get("pid"), int) and isinstance(r.get("host"), str)
    return (r["pid"], r["host"]) if ok and not isinstance(r["pid"], bool) else None


def _may_be_alive(lock):
    """Whether the process that wrote `lock` may still run (on another host: assume so)."""
    pid, host = lock
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    if pid <= 0:
        return False  # not a process of its own: kill(0) or kill(-1) would name a group
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == errno.EPERM  # alive, someone else's


def _held_by(folder, lock):
    pid, host = lock
    return RunError(
        f"another run (pid {pid} on {escape_controls(host)}) is writing to `{show_path(folder)}`: "
        "wait for it or stop it (Ctrl-C), or give this run another folder; if no run is writing "
        f"there, remove `{show_path(os.path.join(folder, LOCK_FILE))}`"
    )


def _read_lock(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return _parse_lock(f.read(4096))
    except OSError:
        return None


def check_unlocked(folder):
    """Refuses `folder` when a live run holds its lock (reading only)."""
    lock = _read_lock(os.path.join(folder, LOCK_FILE))
    if lock is not None and _may_be_alive(lock):
        raise _held_by(folder, lock)


def take_lock(folder, say):
    """Takes `folder`'s lock (creating the folder); returns its release. A lock left by a run
    that is gone is taken over, saying so."""
    path = os.path.join(folder, LOCK_FILE)
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}, separators=(",", ":"))
    try:
        os.makedirs(folder, exist_ok=True)
        for attempt in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if attempt > 0:
                    raise
                lock = _read_lock(path)
                if lock is not None and _may_be_alive(lock):
                    raise _held_by(folder, lock) from None
                left = f" (pid {lock[0]})" if lock is not None else ""
                say(
                    f"note: taking over `{show_path(path)}`, left by a run that is no longer "
                    f"running{left}"
                )
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(record + "\n")
            break
    except OSError as e:
        raise RunError(
            f"cannot lock the run folder `{show_path(folder)}`: {e.strerror or e}"
        ) from None

    def release():
        try:
            os.remove(path)
        except OSError:
            pass

    return release


def claim_aside(folder):
    """The first `<folder>.old-N` that does not exist yet, created (so two runs cannot both)."""
    n = 1
    while True:
        aside = f"{folder}.old-{n}"
        try:
            os.mkdir(aside)
            return aside
        except FileExistsError:
            n += 1


# ---- stages (stages.ts): a train started from another train's weights --------------------------

_MOE_MLP = re.compile(r"^(.*\.layers\.(\d+))\.moe\.(?:experts|shared)\.\d+\.mlp\.(.+)$")
_MOE_OWN = re.compile(r"^(.*\.layers\.(\d+))\.moe\.(?:router|shared_gate)\.")


def plan_stage(source, target):
    """stages.ts's planStage over {name: shape} of the earlier stage (`source`) and the later
    model (`target`, in manifest order): (sources {name: ("copy"|"upcycle", from) or ("fresh",
    None)}, upcycled layers, problems). A tensor of the same name and shape is copied; where the
    earlier model has a dense MLP at a layer and the later an MoE layer, each expert's (routed and
    shared) MLP tensor is the dense one, the router and shared gate initialised as usual."""
    used, sources, problems, upcycled = set(), {}, [], set()
    for name, shape in target.items():
        if name in source:
            used.add(name)
            if list(source[name]) == list(shape):
                sources[name] = ("copy", name)
            else:
                problems.append(("shape", name, list(source[name]), list(shape)))
            continue
        expert = _MOE_MLP.match(name)
        if expert is not None:
            dense = f"{expert.group(1)}.mlp.{expert.group(3)}"
            if dense in source:
                used.add(dense)
                if list(source[dense]) == list(shape):
                    sources[name] = ("upcycle", dense)
                    upcycled.add(int(expert.group(2)))
                else:
                    problems.append(("shape", name, list(source[dense]), list(shape)))
                continue
        own = _MOE_OWN.match(name)
        if own is not None and any(f.startswith(f"{own.group(1)}.mlp.") for f in source):
            sources[name] = ("fresh", None)
            continue
        problems.append(("missing", name, list(shape)))
    for name, shape in source.items():
        if name not in used:
            problems.append(("unexpected", name, list(shape)))
    return sources, sorted(upcycled), problems


def _shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def describe_stage_problem(p, there, here):
    """One problem in words, as stages.ts's describeStageProblem."""
    if p[0] == "missing":
        return f"`{p[1]}` {_shape_text(p[2])} is in {here} but not in {there}"
    if p[0] == "unexpected":
        return f"`{p[1]}` {_shape_text(p[2])} is in {there} but not in {here}"
    return f"`{p[1]}` is {_shape_text(p[2])} in {there} and {_shape_text(p[3])} in {here}"
