# For test/pytorch/counts.test.ts, one process for many emitted model.py files (importing torch
# is the slow part): each file's own `--params` output (its `main`, stdout captured), and the
# state-dict names and shapes of every model and preset built on the meta device, as JSON.
#   python inspect_models.py OUT.json DIR/model.py...
import contextlib
import importlib.util
import io
import json
import sys

import torch


def load_module(path, index):
    spec = importlib.util.spec_from_file_location(f"mmc_model_{index}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shapes(module):
    return {name: list(t.shape) for name, t in module.state_dict().items()}


def main(out, paths):
    meta = torch.device("meta")
    result = {}
    for i, path in enumerate(paths):
        mm = load_module(path, i)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            mm.main(["--params"])
        result[path] = {
            "params": json.loads(printed.getvalue()),
            "models": {n: shapes(mm.MultimodalModel(s, meta)) for n, s in mm.MODELS.items()},
            "components": {n: shapes(mm.build_part(c, meta)) for n, c in mm.COMPONENTS.items()},
        }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
