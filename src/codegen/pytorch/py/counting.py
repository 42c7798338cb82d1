# Parameter counts of every model and preset, built on PyTorch's `meta` device (no memory, so
# MM1-30B is fine), printed as JSON in the shape of `mmc info --json`; and the command line.
import argparse
import json
import sys

import torch

PRESET_ROLES = {"encoder", "connector", "llm", "moe"}


def count_params(module):
    """Unique parameters: a tied tensor is one parameter, so it is counted once."""
    return sum(p.numel() for p in module.parameters())


def count_active(module):
    """Parameters one token uses: all but the routed experts it is not sent to (counting.ts)."""
    inactive = sum(m.inactive_params() for m in module.modules() if hasattr(m, "inactive_params"))
    return count_params(module) - inactive


def model_counts(name, spec):
    model = MultimodalModel(spec, device=torch.device("meta"))
    parts = []
    for part in ("vision", "connector", "llm"):
        module = getattr(model, part)
        if module is not None:
            parts.append(
                {
                    "part": part,
                    "kind": spec[part]["kind"],
                    "params": count_params(module),
                    "active_params": count_active(module),
                }
            )
    by_part = {p["part"]: p["params"] for p in parts}
    return {
        "name": name,
        "params": {
            "total": count_params(model),
            "active": count_active(model),
            "vision": by_part.get("vision", 0),
            "connector": by_part.get("connector", 0),
            "llm": by_part["llm"],
        },
        "parts": parts,
    }


def preset_counts(name, preset):
    module = build_part(preset, device=torch.device("meta"))
    return {
        "name": name,
        "kind": preset["kind"],
        "role": preset["role"],
        "params": {"total": count_params(module), "active": count_active(module)},
    }


def params_report():
    return {
        "file": SPEC_FILE,
        "models": [model_counts(name, spec) for name, spec in MODELS.items()],
        "components": [preset_counts(name, preset) for name, preset in COMPONENTS.items()],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"The models of {SPEC_FILE} in PyTorch.")
    parser.add_argument(
        "--params",
        action="store_true",
        help="build every model and preset on the meta device and print their parameter counts "
        "as JSON (the shape of `mmc info --json`)",
    )
    args = parser.parse_args(argv)
    if not args.params:
        parser.print_help()
        return 0
    json.dump(params_report(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
