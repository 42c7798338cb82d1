# For test/pytorch/hostile-python.test.ts: reads generated model.py and train.py files with
# Python's own parser and tokenizer, in one process, and writes for each: the syntax tree's shape (node types,
# names and numbers; strings left out), the string values under the keys that hold user text,
# SPEC_FILE, and every comment.
#   python read_python.py OUT.json FILE...
import ast
import io
import json
import sys
import tokenize

TEXT_KEYS = {"doc", "source", "base", "path", "map", "root", "dir", "spec", "freeze"}


def data_of(tree):
    """train.py: its TRAINS (the rest is train.py's own code); model.py: the whole file."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "TRAINS":
            return node
    return tree


def shape(tree):
    out = []
    for node in ast.walk(tree):
        s = type(node).__name__
        for field in ("id", "attr", "name", "arg"):
            if isinstance(getattr(node, field, None), str):
                s += " " + getattr(node, field)
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            s += " " + repr(node.value)
        out.append(s)
    return out


def texts(tree):
    out = {k: [] for k in TEXT_KEYS}
    spec_file = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value in TEXT_KEYS:
                    out[k.value].append(ast.literal_eval(v))
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "SPEC_FILE":
            spec_file = ast.literal_eval(node.value)
    return out, spec_file


def main(out, paths):
    result = {}
    for path in paths:
        with open(path, "rb") as f:
            source = f.read()
        tree = ast.parse(source, path)
        strings, spec_file = texts(data_of(tree))
        tokens = tokenize.tokenize(io.BytesIO(source).readline)
        comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
        result[path] = {
            "shape": shape(tree),
            "strings": strings,
            "spec_file": spec_file,
            "comments": comments,
        }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
