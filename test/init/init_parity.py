# The PyTorch half of test/init/pytorch-init.test.ts: builds the emitted model.py's model, loads
# its `init` weights with weights.py's load_init (the spec's folder given), and writes the lines
# load_init says and the largest difference from the TypeScript runtime's logits, as JSON.
#   python init_parity.py DIR/model.py SPEC_DIR MODEL CASE.safetensors OUT.json
import importlib.util
import json
import sys

import torch


def main(model_py, spec_dir, model_name, case, out):
    spec = importlib.util.spec_from_file_location("mmc_model", model_py)
    mm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mm)
    torch.manual_seed(0)
    model = mm.MultimodalModel(mm.MODELS[model_name])
    mm.init_weights(model)
    lines = mm.load_init(model, spec_dir)
    batch, _ = mm.read_safetensors(case)
    images = batch.get("images")
    slots = batch.get("image_slots")
    with torch.no_grad():
        logits, _ = model.logits(
            batch["tokens"].long(), images, None if slots is None else slots.long()
        )
    want = batch["logits"].view(logits.shape)
    result = {
        "lines": lines,
        "max_diff": (logits - want).abs().max().item(),
        "max": want.abs().max().item(),
    }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:6])
