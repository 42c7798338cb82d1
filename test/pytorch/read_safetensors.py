# For test/pytorch/safetensors.test.ts: reads each file with model.py's read_safetensors and
# writes, per file, the tensors (dtype, shape, values) and metadata, or the error's class and
# message, as JSON.
#   python read_safetensors.py DIR/model.py OUT.json FILE...
import importlib.util
import json
import sys


def main(model_py, out, paths):
    spec = importlib.util.spec_from_file_location("mmc_model", model_py)
    mm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mm)
    result = {}
    for path in paths:
        try:
            tensors, metadata = mm.read_safetensors(path)
        except Exception as e:  # noqa: BLE001 - the test wants every failure's class
            result[path] = {"error": type(e).__name__, "message": str(e)}
            continue
        result[path] = {
            "tensors": {
                name: {
                    "dtype": str(t.dtype),
                    "shape": list(t.shape),
                    "values": (t.float() if t.is_floating_point() else t).flatten().tolist(),
                }
                for name, t in tensors.items()
            },
            "metadata": metadata,
        }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
