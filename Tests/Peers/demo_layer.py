#!/usr/bin/env python3
"""The demo linear layer as the test peers serve it: safetensors reading, weight encoding, the
ring product and the float product. Needs numpy only, so every peer venv can import it.

    python3 Tests/Peers/demo_layer.py --self-test      # exactness checks, exit 0 when all pass

Arithmetic (the same as EISCore and docs/PROTOCOL.md):
  * `encode_weights(W, fw)` = round(W · 2^fw) as int64. The rounding mode defaults to
    half-to-even, because EISCore's `FixedPointCodec.encode` uses `.rounded(.toNearestOrEven)`
    (not the default `.rounded()`, which is half-away-from-zero). The mode matters: W is float32,
    so W · 2^26 is often exactly k + 0.5 (456 of the 2 560 demo weights), and the other mode gives
    other integers and another weights digest. `rounding="half-away"` is there if ever needed.
  * `ring_matmul(x, W_enc)` = x · W_encᵀ mod 2^64, read as signed int64 (two's complement).
"""
import hashlib
import json
import struct
import sys

import numpy as np

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}
_MAX_HEADER = 100 * 1024 * 1024


def read_safetensors(path):
    """Reads every tensor of a safetensors file into float64 numpy arrays, keyed by name.

    Supports F64, F32, F16 and BF16 (all widened exactly to float64, as EISCore does).
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if header_len > _MAX_HEADER or 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} does not fit the file")
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = info["dtype"], [int(d) for d in info["shape"]]
        start, end = (int(o) for o in info["data_offsets"])
        if not 0 <= start <= end <= len(data):
            raise ValueError(f"{path}: tensor {name} has offsets outside the data")
        raw = data[start:end]
        count = int(np.prod(shape)) if shape else 1
        if dtype == "BF16":
            width = 2
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            values = bits.view(np.float32).astype(np.float64)
        elif dtype in _DTYPES:
            width = np.dtype(_DTYPES[dtype]).itemsize
            values = np.frombuffer(raw, dtype=_DTYPES[dtype]).astype(np.float64)
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype} (F64, F32, F16, BF16)")
        if end - start != count * width:
            raise ValueError(f"{path}: tensor {name} has {end - start} bytes, expected {count * width}")
        tensors[name] = values.reshape(shape)
    return tensors


def load_linear(path, layer):
    """Returns (weight [out, in], bias [out] or None) of the nn.Linear `layer`, as float64."""
    tensors = read_safetensors(path)
    key = f"{layer}.weight"
    if key not in tensors:
        raise KeyError(f"{path}: no tensor {key} (have {sorted(tensors)})")
    weight = tensors[key]
    if weight.ndim != 2:
        raise ValueError(f"{key} has shape {list(weight.shape)}, expected [out, in]")
    bias = tensors.get(f"{layer}.bias")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{layer}.bias has shape {list(bias.shape)}, expected [{weight.shape[0]}]")
    return weight, bias


def encode_weights(weight, fw, rounding="half-even"):
    """W_enc = round(W · 2^fw) as int64; refuses values that do not fit (as EISCore does).

    W · 2^fw is exact in float64 (a power-of-two scale), so only the rounding mode decides ties:
    "half-even" (default, = Swift `.rounded(.toNearestOrEven)`, what EISCore uses) or
    "half-away" (= Swift `.rounded()` / `.toNearestOrAwayFromZero`).
    """
    if not 0 <= fw <= 62:
        raise ValueError(f"fw must be in 0...62, got {fw}")
    scaled = np.asarray(weight, dtype=np.float64) * float(2**fw)
    if not np.all(np.isfinite(scaled)):
        raise ValueError("weights contain NaN or infinity")
    if rounding == "half-even":
        rounded = np.rint(scaled)
    elif rounding == "half-away":
        # Not floor(|v| + 0.5): that addition can itself round (0.49999999999999994 + 0.5 = 1.0).
        # |v| − floor(|v|) is exact, so compare the fraction instead.
        magnitude = np.abs(scaled)
        low = np.floor(magnitude)
        rounded = np.copysign(np.where(magnitude - low >= 0.5, low + 1, low), scaled)
    else:
        raise ValueError(f"unknown rounding {rounding!r} (half-even, half-away)")
    if np.any(rounded <= -(2.0**63)) or np.any(rounded >= 2.0**63):
        raise ValueError(f"a weight does not fit in int64 with fw={fw}")
    return rounded.astype(np.int64)


def weights_digest(w_enc):
    """SHA-256 (hex) of W_enc as little-endian int64, row-major: EncodedWeights.digest."""
    return hashlib.sha256(np.ascontiguousarray(w_enc, dtype="<i8").tobytes()).hexdigest()


def ring_matmul(x, w_enc):
    """x [rows, in] · W_encᵀ [in, out] in Z/2^64, as signed int64 [rows, out].

    numpy's int64 matmul does wrap mod 2^64 (it has no BLAS or float path for integers; the
    self-test checks it against Python ints). The product is still taken on uint64, where
    wrapping is defined behaviour, and viewed back as int64: the same bits, no reliance on
    signed overflow.
    """
    x = np.asarray(x, dtype=np.int64)
    w_enc = np.asarray(w_enc, dtype=np.int64)
    if x.ndim != 2 or w_enc.ndim != 2 or x.shape[1] != w_enc.shape[1]:
        raise ValueError(f"shapes {list(x.shape)} and {list(w_enc.shape)} do not fit x·Wᵀ")
    with np.errstate(over="ignore"):
        y = x.view(np.uint64) @ w_enc.view(np.uint64).T
    return np.ascontiguousarray(y).view(np.int64)


def float_matmul(x, weight, bias=None, dtype=np.float32):
    """x [rows, in] · Wᵀ (+ bias) computed in `dtype` (float32 or float64)."""
    x = np.asarray(x, dtype=dtype)
    y = x @ np.asarray(weight, dtype=dtype).T
    if bias is not None:
        y = y + np.asarray(bias, dtype=dtype)
    return y.astype(dtype, copy=False)


def reference_ring_matmul(x_rows, w_rows):
    """Python-int reference: Σ_j x[r][j] · W[o][j] reduced mod 2^64, mapped back to signed."""
    out = []
    for row in x_rows:
        res = []
        for w in w_rows:
            s = sum(int(a) * int(b) for a, b in zip(row, w)) % (1 << 64)
            res.append(s - (1 << 64) if s >= (1 << 63) else s)
        out.append(res)
    return out


# ---------------------------------------------------------------------------------------------
# The V2 model set both V2 peers serve. `advertised` is what the model metadata says; `accepts`
# is what infer takes. The two "wrong" models lie in their metadata: infer behaves as demo-int64
# (INT64 [rows, in]), so only a client that reads the metadata notices.

MODEL_KINDS = ("demo-int64", "demo-fp32", "demo-fp32-bias", "demo-int64-wrongshape", "demo-int64-wrongtype")


class DemoModels:
    """Holds the layer once and computes every model kind of the set."""

    def __init__(self, model_file, layer, fw=26, rounding="half-even"):
        self.weight, self.bias = load_linear(model_file, layer)
        self.outputs, self.inputs = self.weight.shape
        self.fw = fw
        self.w_enc = encode_weights(self.weight, fw, rounding)
        self.digest = weights_digest(self.w_enc)
        self.w32 = self.weight.astype(np.float32)
        self.b32 = None if self.bias is None else self.bias.astype(np.float32)

    def metadata(self, kind):
        """(inputs, outputs) metadata tensors for a model kind: lists of {name, datatype, shape}."""
        n, m = self.inputs, self.outputs
        table = {
            "demo-int64": ("INT64", [-1, n], "INT64"),
            "demo-fp32": ("FP32", [-1, n], "FP32"),
            "demo-fp32-bias": ("FP32", [-1, n], "FP32"),
            "demo-int64-wrongshape": ("INT64", [-1, n - 1], "INT64"),
            "demo-int64-wrongtype": ("INT32", [-1, n], "INT64"),
        }
        in_type, in_shape, out_type = table[kind]
        return ([{"name": "x", "datatype": in_type, "shape": in_shape}],
                [{"name": "y", "datatype": out_type, "shape": [-1, m]}])

    def parameters(self, kind):
        """Extra metadata parameters (MLServer shows them; KServe's metadata has no such field)."""
        if kind.startswith("demo-int64"):
            return {"weight_frac_bits": self.fw, "weights_sha256": self.digest}
        return {"adds_bias": kind == "demo-fp32-bias"}

    def accepted_datatype(self, kind):
        return "FP32" if kind.startswith("demo-fp32") else "INT64"

    def check_input(self, kind, datatype, shape):
        """Returns an error message when (datatype, shape) is not what infer takes, else None."""
        want = self.accepted_datatype(kind)
        if datatype != want:
            return f"input 'x' must be {want}, got {datatype}"
        if len(shape) != 2 or shape[1] != self.inputs or shape[0] < 1:
            return f"input 'x' must have shape [rows, {self.inputs}] with rows >= 1, got {list(shape)}"
        return None

    def compute(self, kind, x):
        """The output array for input array x [rows, in] (already checked)."""
        if kind.startswith("demo-int64"):
            return ring_matmul(x, self.w_enc)
        return float_matmul(x, self.w32, self.b32 if kind == "demo-fp32-bias" else None, np.float32)


def int_list_to_array(data, count):
    """JSON tensor data (flat or nested list of ints) to a flat int64 array, refusing non-integers
    and values outside int64 (numpy would otherwise truncate floats or wrap)."""
    flat = np.asarray(data, dtype=object).reshape(-1)
    if flat.size != count:
        raise ValueError(f"tensor has {flat.size} elements, shape says {count}")
    for v in flat:
        if type(v) is not int or not -(1 << 63) <= v < (1 << 63):
            raise ValueError(f"INT64 element {v!r} is not an integer in int64 range")
    return flat.astype(np.int64)


# ---------------------------------------------------------------------------------------------


def self_test(seed=20250125):
    """Checks ring_matmul and encode_weights against Python integers. Returns a list of failures."""
    rng = np.random.default_rng(seed)
    failures = []
    info = np.iinfo(np.int64)

    def full_range(shape):
        return rng.integers(info.min, info.max, size=shape, dtype=np.int64, endpoint=True)

    cases = [
        ("full-range", full_range((7, 256)), full_range((10, 256))),
        ("near 2^62", (1 << 62) - rng.integers(0, 1000, size=(3, 64), dtype=np.int64),
         (1 << 62) - rng.integers(0, 1000, size=(5, 64), dtype=np.int64)),
        ("near -2^63", info.min + rng.integers(0, 1000, size=(3, 64), dtype=np.int64),
         info.min + rng.integers(0, 1000, size=(5, 64), dtype=np.int64)),
        ("extremes", np.array([[info.min, info.max, -1, 1, 0]] * 2, dtype=np.int64),
         np.array([[info.max, info.max, info.min, info.min, 7], [info.min, -1, 1, info.max, 0]], dtype=np.int64)),
    ]
    for label, x, w in cases:
        want = reference_ring_matmul(x.tolist(), w.tolist())
        got = ring_matmul(x, w).tolist()
        if got != want:
            failures.append(f"ring_matmul {label}: differs from the Python-int reference")
        # Also record whether numpy's plain int64 matmul wraps exactly (informational: the peers
        # do not rely on it).
        with np.errstate(over="ignore"):
            plain = (x @ w.T).tolist()
        if plain != want:
            failures.append(f"plain int64 matmul {label}: does NOT wrap exactly mod 2^64")

    # Encoding: exact ties and both rounding modes, against Python's exact arithmetic.
    from fractions import Fraction

    w = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 3.0, -3.75], dtype=np.float64)
    for mode, rule in (("half-even", lambda f: round(f)),
                       ("half-away", lambda f: int(f + Fraction(1, 2)) if f >= 0 else -int(-f + Fraction(1, 2)))):
        got = encode_weights(w, 0, mode).tolist()
        want = [rule(Fraction(v)) for v in w.tolist()]
        # int() truncates toward zero; for the half-away rule on exact halves that is floor(|f|+1/2).
        if got != want:
            failures.append(f"encode_weights {mode}: {got} != {want}")
    rand = rng.uniform(-0.1, 0.1, size=1000).astype(np.float32).astype(np.float64)
    got = encode_weights(rand, 26).tolist()
    want = [round(Fraction(v) * (1 << 26)) for v in rand.tolist()]
    if got != want:
        failures.append("encode_weights fw=26 half-even: differs from Python's round()")

    # float16 / bfloat16 widening through a hand-made file.
    import os
    import tempfile

    a = np.array([[1.5, -2.25], [0.0078125, 65504.0]], dtype=np.float16)
    b32 = np.array([3.140625, -0.5], dtype=np.float32)
    b16 = (b32.view(np.uint32) >> 16).astype("<u2")
    header = {"l.weight": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]},
              "l.bias": {"dtype": "BF16", "shape": [2], "data_offsets": [8, 12]}}
    text = json.dumps(header).encode()
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    with os.fdopen(fd, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + a.astype("<f2").tobytes() + b16.tobytes())
    try:
        weight, bias = load_linear(path, "l")
        if weight.tolist() != a.astype(np.float64).tolist() or bias.tolist() != [3.140625, -0.5]:
            failures.append("safetensors F16/BF16 read differs")
    finally:
        os.unlink(path)
    return failures


def main(argv):
    if argv[1:] == ["--self-test"]:
        failures = self_test()
        for failure in failures:
            print("FAIL", failure)
        print("self-test:", "ok" if not failures else f"{len(failures)} failure(s)")
        return 1 if failures else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
