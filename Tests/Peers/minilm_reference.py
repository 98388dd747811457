#!/usr/bin/env python3
"""A float64 reference for BERT-family sentence encoders (all-MiniLM-L6-v2): numpy and
Hugging Face `tokenizers` only, so it runs from .venv/minilm without torch.

    .venv/minilm/bin/python Tests/Peers/minilm_reference.py --model models/all-MiniLM-L6-v2 \
        --sentences-file lines.txt > reference.json
    .venv/minilm/bin/python Tests/Peers/minilm_reference.py --model models/all-MiniLM-L6-v2 --model-card

Output (stdout, JSON): {"model": DIR, "max_seq_length": N, "items": [{"text", "ids", "type_ids",
"embedding"}]}; embeddings are float64 written with 17 significant digits (repr), so the Swift
tests compare against the reference's own numbers, not a rounded copy.

What it computes, in float64 throughout, one sentence at a time (no padding, so no mask is
needed and the reference cannot share a masking bug with the code it checks):
  token ids (tokenizers, truncation at sentence_bert_config.json's max_seq_length, 256 for MiniLM)
  → word + position + token-type embeddings → LayerNorm
  → per layer: Q, K, V; softmax(QKᵀ/√d)·V per head; dense + residual + LayerNorm;
    GELU (exact erf form) FFN + residual + LayerNorm
  → mean over tokens → L2 normalisation (when modules.json lists Normalize).
The weights come straight from model.safetensors (u64 little-endian header length, JSON header,
raw little-endian data), read here without the safetensors package.
"""
import argparse
import json
import math
import os
import struct
import sys

# One BLAS thread: the reference's products are small, and on a 2-core machine running the test
# suite beside it, OpenBLAS's worker threads spin against the tests (seen: 5 times slower).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread setting, which numpy reads at import)

_FLOATS = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}


def read_float_tensors(path):
    """Every floating-point tensor of a safetensors file as a float64 array; other dtypes
    (MiniLM's I64 `embeddings.position_ids`) are skipped, since the encoder does not use them."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} exceeds the file")
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in _FLOATS:
            continue
        start, end = info["data_offsets"]
        values = np.frombuffer(data[start:end], dtype=_FLOATS[info["dtype"]]).astype(np.float64)
        tensors[name] = values.reshape([int(d) for d in info["shape"]])
    return tensors


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    """The exact GELU, 0.5·x·(1 + erf(x/√2)), with the C library's erf (error ≪ 1e-15)."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


class Encoder:
    """A BERT encoder plus sentence-transformers pooling, from a Hugging Face folder."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        if self.config.get("hidden_act") != "gelu":
            raise ValueError(f"hidden_act {self.config.get('hidden_act')!r}: only exact 'gelu' is supported")
        tensors = read_float_tensors(os.path.join(folder, "model.safetensors"))
        # Some exports prefix every name with "bert."; the encoder's names are the same after it.
        self.t = {(k[5:] if k.startswith("bert.") else k): v for k, v in tensors.items()}
        self.max_seq_length = 512
        sbert = os.path.join(folder, "sentence_bert_config.json")
        if os.path.exists(sbert):
            with open(sbert) as f:
                self.max_seq_length = int(json.load(f)["max_seq_length"])
        self.normalize = False
        modules = os.path.join(folder, "modules.json")
        if os.path.exists(modules):
            with open(modules) as f:
                self.normalize = any(m["type"].endswith(".Normalize") for m in json.load(f))
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_seq_length)

    def tokenize(self, text):
        encoding = self.tokenizer.encode(text)
        return list(encoding.ids), list(encoding.type_ids)

    def embed(self, ids, type_ids):
        c, t = self.config, self.t
        hidden, heads = c["hidden_size"], c["num_attention_heads"]
        d = hidden // heads
        eps = c["layer_norm_eps"]
        n = len(ids)
        x = t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][:n] \
            + t["embeddings.token_type_embeddings.weight"][type_ids]
        x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)

        def linear(name, v):
            return v @ t[name + ".weight"].T + t[name + ".bias"]

        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = linear(p + "attention.self.query", x).reshape(n, heads, d).transpose(1, 0, 2)
            k = linear(p + "attention.self.key", x).reshape(n, heads, d).transpose(1, 0, 2)
            v = linear(p + "attention.self.value", x).reshape(n, heads, d).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            context = (softmax(scores) @ v).transpose(1, 0, 2).reshape(n, hidden)
            a = linear(p + "attention.output.dense", context) + x
            x = layer_norm(a, t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
            up = gelu(linear(p + "intermediate.dense", x))
            o = linear(p + "output.dense", up) + x
            x = layer_norm(o, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
        pooled = x.mean(axis=0)
        if self.normalize:
            pooled = pooled / max(np.linalg.norm(pooled), 1e-12)
        return pooled


MODEL_CARD = ["That is a happy person", "That is a happy dog", "That is a very happy person", "Today is a sunny day"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the Hugging Face model folder")
    parser.add_argument("--sentences-file", help="one sentence per line (UTF-8); default: JSON list on stdin")
    parser.add_argument("--sentences-jsonl", help="one JSON string per line (sentences may hold newlines)")
    parser.add_argument("--model-card", action="store_true",
                        help="print the model card's cosines (happy person vs dog, very happy person, sunny day) and exit")
    args = parser.parse_args()
    encoder = Encoder(args.model)
    if args.model_card:
        e = [encoder.embed(*encoder.tokenize(s)) for s in MODEL_CARD]
        cos = [float(e[0] @ e[i] / (np.linalg.norm(e[0]) * np.linalg.norm(e[i]))) for i in (1, 2, 3)]
        print(json.dumps({"cosines": cos}))
        return
    if args.sentences_jsonl:
        with open(args.sentences_jsonl, encoding="utf-8") as f:
            sentences = [json.loads(line) for line in f if line.strip()]
    elif args.sentences_file:
        with open(args.sentences_file, encoding="utf-8") as f:
            sentences = [line.rstrip("\n") for line in f]
    else:
        sentences = json.load(sys.stdin)
    items = []
    for text in sentences:
        ids, type_ids = encoder.tokenize(text)
        embedding = encoder.embed(ids, type_ids)
        items.append({"text": text, "ids": ids, "type_ids": type_ids, "embedding": [float(v) for v in embedding]})
    json.dump({"model": args.model, "max_seq_length": encoder.max_seq_length, "items": items}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
