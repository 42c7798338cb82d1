# The PyTorch half of test/pytorch/parity.test.ts: loads the emitted model.py, and for each case
# the TypeScript runtime's weights and batch; writes its losses, MoE routing and the largest
# differences from the runtime's logits and gradients as JSON.
#   python parity.py DIR/model.py CASES_DIR OUT.json
import importlib.util
import json
import os
import sys

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("mmc_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_case(mm, name, model_name, folder):
    model = mm.MultimodalModel(mm.MODELS[model_name])
    mm.load_mmc_weights(model, os.path.join(folder, f"{name}.weights.safetensors"))
    batch, _ = mm.read_safetensors(os.path.join(folder, f"{name}.batch.safetensors"))
    ref, _ = mm.read_safetensors(os.path.join(folder, f"{name}.reference.safetensors"))
    tokens = batch["tokens"].long()
    images = batch.get("images")
    slots = batch.get("image_slots")
    slots = None if slots is None else slots.long()

    logits, _ = model.logits(tokens, images, slots)
    want = ref.pop("logits").view(logits.shape)
    parts = model(tokens, batch["loss_mask"], images, slots)
    parts.total.backward()

    # The runtime's gradients are in mmc names and layouts: map them as the weights are.
    spec = model.spec
    prefixes = {p: spec[p] for p in ("vision", "connector", "llm") if p in spec}
    mapped = mm.hf_state_dict(ref, prefixes)
    params = dict(model.named_parameters())
    grads = []
    for hf_name, g in mapped.items():
        got = params[hf_name].grad
        grads.append(
            {
                "name": hf_name,
                "max_diff": (got - g).abs().max().item(),
                "max": g.abs().max().item(),
            }
        )
    moe = parts.moe
    return {
        "total": parts.total.item(),
        "cross_entropy": parts.cross_entropy.item(),
        "balance": [s["balance"].item() for s in moe],
        "z": [s["z"].item() for s in moe],
        "dropped": [s["dropped"] for s in moe],
        "load": [s["load"] for s in moe],
        "logits_max_diff": (logits.detach() - want).abs().max().item(),
        "logits_max": want.abs().max().item(),
        "grads": grads,
    }


def main(model_py, folder, out):
    torch.manual_seed(0)
    mm = load_module(model_py)
    with open(os.path.join(folder, "cases.json")) as f:
        cases = json.load(f)
    results = {c["case"]: run_case(mm, c["case"], c["model"], folder) for c in cases}
    with open(out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:4])
