#!/usr/bin/env python3
"""Writes models/demo.safetensors: one nn.Linear 256→10 named `fc`, like the note's demo.

Weights and bias are drawn as PyTorch initialises nn.Linear (uniform in ±1/sqrt(in)) from a
fixed seed, stored as float32 in the safetensors layout, so the file is reproducible without
torch: `python3 models/make-demo.py [--inputs 256 --outputs 10 --out models/demo.safetensors]`.
"""
import argparse
import json
import struct

import numpy as np


def write_linear(path, name, weight, bias):
    """Writes one linear layer (<name>.weight [out, in], <name>.bias [out]) as F32 safetensors."""
    tensors = [(f"{name}.bias", bias.astype("<f4")), (f"{name}.weight", weight.astype("<f4"))]
    header, offset, blobs = {}, 0, []
    for key, array in tensors:
        data = array.tobytes()
        header[key] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt", "source": "models/make-demo.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inputs", type=int, default=256)
    parser.add_argument("--outputs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--name", default="fc")
    parser.add_argument("--out", default="models/demo.safetensors")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    bound = 1.0 / np.sqrt(args.inputs)
    weight = rng.uniform(-bound, bound, size=(args.outputs, args.inputs))
    bias = rng.uniform(-bound, bound, size=(args.outputs,))
    write_linear(args.out, args.name, weight, bias)


if __name__ == "__main__":
    main()
