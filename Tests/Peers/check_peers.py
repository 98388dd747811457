#!/usr/bin/env python3
"""End-to-end check of the test peers: starts each on a free loopback port, verifies it against
numpy / Python-int references, stops it and checks that nothing is left behind.

    Tests/Peers/setup.sh && .venv/mlserver/bin/python Tests/Peers/check_peers.py

(Run with any python3, it re-executes itself with .venv/mlserver/bin/python.) Prints one line
per check (PASS / FAIL / INFO) and exits 1 if any check failed.
"""
import os
import sys

PEERS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(PEERS))
MLSERVER_PY = os.path.join(ROOT, ".venv", "mlserver", "bin", "python")
KSERVE_PY = os.path.join(ROOT, ".venv", "kserve", "bin", "python")
if os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(ROOT, ".venv", "mlserver")):
    if not os.path.exists(MLSERVER_PY):
        sys.exit("check_peers: run Tests/Peers/setup.sh first (no .venv/mlserver)")
    os.execv(MLSERVER_PY, [MLSERVER_PY, os.path.abspath(__file__)] + sys.argv[1:])

import http.client  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import json  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, PEERS)
import demo_layer  # noqa: E402

MODEL_FILE = os.path.join(ROOT, "models", "demo.safetensors")
LAYER = "fc"
HOST = "127.0.0.1"
LOG_DIR = tempfile.mkdtemp(prefix="eis-check-peers-")  # peers' stderr; removed when all checks pass
failures = []


def report(ok, what, detail=""):
    line = f"{'PASS' if ok else 'FAIL'} {what}" + (f" — {detail}" if detail else "")
    print(line, flush=True)
    if not ok:
        failures.append(line)
    return ok


def info(what):
    print(f"INFO {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- processes --------------------------------------------------------------------------------


class Peer:
    def __init__(self, label, python, script, args, port):
        self.label, self.port = label, port
        self.stderr_path = os.path.join(LOG_DIR, f"{label}.log")
        self.stderr = open(self.stderr_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([python, os.path.join(PEERS, script), "--port", str(port)] + args,
                                     stdout=subprocess.PIPE, stderr=self.stderr, stdin=subprocess.DEVNULL)
        self.ready_line = None
        self.ready_after = None

    def wait_ready(self, timeout=90):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if sel.select(timeout=0.2):
                self.ready_line = self.proc.stdout.readline().decode()
                self.ready_after = time.monotonic() - self.started
                break
        sel.close()
        ok = self.ready_line == f"READY {self.port}\n"
        return report(ok, f"{self.label}: prints 'READY {self.port}'",
                      f"after {self.ready_after:.1f} s" if ok else f"got {self.ready_line!r}, exit {self.proc.poll()}, "
                      f"log {self.stderr_path}")

    def descendants(self):
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        kids = [int(k) for k in f.read().split()]
                    found += kids
                    todo += kids
            except OSError:
                pass
        return found

    def stop(self):
        kids = self.descendants()
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
            report(False, f"{self.label}: exits within 15 s of SIGTERM")
            return
        took = time.monotonic() - t0
        rest = self.proc.stdout.read().decode()
        self.stderr.close()
        report(code == 0 and took < 6, f"{self.label}: exits on SIGTERM", f"code {code} after {took:.2f} s")
        report(rest == "", f"{self.label}: stdout held only the READY line", repr(rest[:200]) if rest else "")
        alive = [k for k in kids if os.path.exists(f"/proc/{k}") and not _is_zombie(k)]
        report(not alive, f"{self.label}: no child process left", f"{len(kids)} child(ren) seen while running"
               if not alive else f"still alive: {alive}")
        report(not _port_open(self.port), f"{self.label}: port {self.port} closed")


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except OSError:
        return True


def _port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def listening_addresses(pid):
    """Local addresses of the LISTEN TCP sockets of `pid` (from /proc, no ss needed)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:
                continue
            addr_hex, port_hex = fields[1].split(":")
            raw = bytes.fromhex(addr_hex)
            if v6:
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                addr = socket.inet_ntop(socket.AF_INET6, raw)
            else:
                addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
            found.append((addr, int(port_hex, 16)))
    return found


def check_loopback_only(peer):
    addresses = listening_addresses(peer.proc.pid)
    ok = bool(addresses) and all(a in ("127.0.0.1", "::ffff:127.0.0.1", "::1") for a, _ in addresses)
    report(ok, f"{peer.label}: listens on loopback only", ", ".join(f"{a}:{p}" for a, p in addresses))


# --- HTTP -------------------------------------------------------------------------------------


def request(port, method, path, body=None, headers=None):
    """(status, headers dict (lower-case), body bytes); only the headers given are sent."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


JSON = {"Content-Type": "application/json"}


def post_json(port, path, obj, headers=JSON):
    status, hdrs, body = request(port, "POST", path, json.dumps(obj).encode(), headers)
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return status, hdrs, parsed, body


def int64_request(x, request_id=None, binary_out=None):
    req = {"inputs": [{"name": "x", "datatype": "INT64", "shape": list(x.shape), "data": x.reshape(-1).tolist()}]}
    if request_id is not None:
        req["id"] = request_id
    if binary_out is not None:
        req["outputs"] = [{"name": "y", "parameters": {"binary_data": binary_out}}]
    return req


def binary_request(x, datatype, binary_out):
    header = {"inputs": [{"name": "x", "datatype": datatype, "shape": list(x.shape),
                          "parameters": {"binary_data_size": x.nbytes}}],
              "outputs": [{"name": "y", "parameters": {"binary_data": binary_out}}]}
    text = json.dumps(header).encode()
    little = x.astype(x.dtype.newbyteorder("<"))
    return text + little.tobytes(), {"Content-Type": "application/octet-stream",
                                     "Inference-Header-Content-Length": str(len(text))}


def decode_binary_answer(headers, body, dtype, rows, cols):
    n = int(headers["inference-header-content-length"])
    head = json.loads(body[:n])
    return head, np.frombuffer(body[n:], dtype=dtype).reshape(rows, cols)


# --- checks -----------------------------------------------------------------------------------


def check_v2(peer, names, demo, fw_expected, server):
    """`names`: kind -> served name. `server`: "kserve" or "mlserver"."""
    port, label = peer.port, peer.label
    check_loopback_only(peer)
    status, _, body = request(port, "GET", "/v2/health/ready")
    report(status == 200, f"{label}: GET /v2/health/ready → 200", f"body {body!r}")
    rng = np.random.default_rng(port)
    n, m = demo.inputs, demo.outputs
    for kind, name in names.items():
        status, _, body = request(port, "GET", f"/v2/models/{name}")
        meta = json.loads(body) if status == 200 else {}
        want_in, want_out = demo.metadata(kind)
        strip = lambda ts: [{k: t[k] for k in ("name", "datatype", "shape")} for t in ts or []]  # noqa: E731
        ok = (status == 200 and meta.get("name") == name and isinstance(meta.get("platform"), str)
              and strip(meta.get("inputs")) == want_in and strip(meta.get("outputs")) == want_out)
        report(ok, f"{label}: metadata {name}", f"input {want_in[0]['datatype']} {want_in[0]['shape']}, "
               f"platform {meta.get('platform')!r}" if ok else f"{status} {body[:300]!r}")
        params = meta.get("parameters") or {}
        if kind == "demo-int64":
            if server == "mlserver":
                report(params.get("weight_frac_bits") == fw_expected and params.get("weights_sha256") == demo.digest,
                       f"{label}: metadata parameters carry weight_frac_bits={fw_expected} and weights_sha256",
                       json.dumps(params))
            else:
                info(f"{label}: metadata has no 'parameters' (KServe's ModelMetadataResponse drops them): {sorted(meta)}")

    int_name = names.get("demo-int64")
    if int_name:
        x = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(5, n), dtype=np.int64, endpoint=True)
        want = demo_layer.reference_ring_matmul(x.tolist(), demo.w_enc.tolist())
        status, _, answer, raw = post_json(port, f"/v2/models/{int_name}/infer", int64_request(x, request_id="req-42"))
        out = (answer or {}).get("outputs", [{}])[0]
        report(status == 200 and out.get("datatype") == "INT64" and out.get("shape") == [5, m]
               and out.get("data") == [v for row in want for v in row],
               f"{label}: JSON infer {int_name} exact mod 2^64 (5 full-range rows vs Python ints)",
               "" if status == 200 else f"{status} {raw[:200]!r}")
        report(answer is not None and answer.get("id") == "req-42", f"{label}: request id echoed", repr((answer or {}).get("id")))
        req = int64_request(x[:1])
        status, _, answer, raw = post_json(port, f"/v2/models/{int_name}/infer", req)
        report(status == 200 and isinstance(answer.get("id"), str) and answer["id"],
               f"{label}: infer without id → 200 with an id", repr((answer or {}).get("id")) if status == 200 else f"{status} {raw[:200]!r}")
        status, _, _, raw = post_json(port, f"/v2/models/{int_name}/infer", req, headers={})
        info(f"{label}: JSON infer without Content-Type → {status} {raw[:120]!r}")
        bad_shape = {"inputs": [{"name": "x", "datatype": "INT64", "shape": [1, n - 1], "data": [1] * (n - 1)}]}
        bad_type = {"inputs": [{"name": "x", "datatype": "INT32", "shape": [1, n], "data": [1] * n}]}
        for what, body in (("shape [1, in-1]", bad_shape), ("datatype INT32", bad_type)):
            status, _, _, raw = post_json(port, f"/v2/models/{int_name}/infer", body)
            report(status == 400, f"{label}: {int_name} rejects {what} with 400", f"{status} {raw[:150]!r}")
        for kind in ("demo-int64-wrongshape", "demo-int64-wrongtype"):
            if kind in names:
                status, _, answer, raw = post_json(port, f"/v2/models/{names[kind]}/infer", int64_request(x[:2]))
                ok = status == 200 and answer["outputs"][0]["data"] == [v for row in want[:2] for v in row]
                report(ok, f"{label}: {names[kind]} infer takes INT64 [rows, {n}] despite its metadata", f"{status}")

    xf = rng.uniform(-1, 1, size=(4, n)).astype(np.float32)
    for kind, bias in (("demo-fp32", None), ("demo-fp32-bias", demo.b32)):
        if kind not in names:
            continue
        want = demo_layer.float_matmul(xf, demo.w32, bias, np.float32)
        req = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [4, n], "data": xf.reshape(-1).tolist()}]}
        status, _, answer, raw = post_json(port, f"/v2/models/{names[kind]}/infer", req)
        if status != 200:
            report(False, f"{label}: JSON infer {names[kind]}", f"{status} {raw[:200]!r}")
            continue
        out = answer["outputs"][0]
        got = np.array(out["data"], dtype=np.float32).reshape(4, m)
        diff = float(np.max(np.abs(got - want)))
        report(out["datatype"] == "FP32" and out["shape"] == [4, m] and diff <= 1e-6,
               f"{label}: JSON infer {names[kind]} matches numpy float32", f"max |diff| {diff:.2e}")

    # Binary tensor data extension.
    if int_name:
        x = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(3, n), dtype=np.int64, endpoint=True)
        want = np.array(demo_layer.reference_ring_matmul(x.tolist(), demo.w_enc.tolist()), dtype=np.int64)
        body, headers = binary_request(x, "INT64", True)
        status, hdrs, raw = request(port, "POST", f"/v2/models/{int_name}/infer", body, headers)
        if server == "kserve":
            ok = status == 200 and "inference-header-content-length" in hdrs
            if ok:
                head, got = decode_binary_answer(hdrs, raw, "<i8", 3, m)
                ok = np.array_equal(got, want) and head["outputs"][0]["parameters"]["binary_data_size"] == want.nbytes
            report(ok, f"{label}: binary INT64 in → binary out, exact",
                   f"content-type {hdrs.get('content-type')!r}, transfer-encoding {hdrs.get('transfer-encoding')!r}")
            body, headers = binary_request(x, "INT64", False)
            status, _, raw = request(port, "POST", f"/v2/models/{int_name}/infer", body, headers)
            ok = status == 200 and json.loads(raw)["outputs"][0]["data"] == want.reshape(-1).tolist()
            report(ok, f"{label}: binary INT64 in → JSON out, exact", f"{status}")
            status, hdrs, _, raw = post_json(port, f"/v2/models/{int_name}/infer", int64_request(x, binary_out=True))
            ok = status == 200 and "inference-header-content-length" in hdrs
            ok = ok and np.array_equal(decode_binary_answer(hdrs, raw, "<i8", 3, m)[1], want)
            report(ok, f"{label}: JSON INT64 in → binary out, exact", f"{status}")
        else:
            # MLServer has no binary extension: FastAPI refuses the body (422), and when the bytes are
            # not UTF-8 its validation-error handler itself fails on them, so the answer is a 500.
            report(status in (422, 500), f"{label}: binary INT64 input refused (no binary extension)",
                   f"{status} {raw[:60]!r}")
            status, hdrs, answer, raw = post_json(port, f"/v2/models/{int_name}/infer", int64_request(x, binary_out=True))
            is_json = "inference-header-content-length" not in hdrs and answer is not None
            report(status == 200 and is_json and answer["outputs"][0]["data"] == want.reshape(-1).tolist(),
                   f"{label}: JSON in + binary_data output requested → JSON answer anyway, exact", f"{status}")
    if "demo-fp32" in names and server == "kserve":
        xb = rng.uniform(-1, 1, size=(2, n)).astype(np.float32)
        want = demo_layer.float_matmul(xb, demo.w32, None, np.float32)
        body, headers = binary_request(xb, "FP32", True)
        status, hdrs, raw = request(port, "POST", f"/v2/models/{names['demo-fp32']}/infer", body, headers)
        ok = status == 200 and "inference-header-content-length" in hdrs
        diff = float(np.max(np.abs(decode_binary_answer(hdrs, raw, "<f4", 2, m)[1] - want))) if ok else None
        report(ok and diff <= 1e-6, f"{label}: binary FP32 in → binary out", f"max |diff| {diff}")

    # An unmodified V2 client: tritonclient[http].
    if int_name:
        import tritonclient.http as triton

        client = triton.InferenceServerClient(url=f"{HOST}:{port}")
        x = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(2, n), dtype=np.int64, endpoint=True)
        want = np.array(demo_layer.reference_ring_matmul(x.tolist(), demo.w_enc.tolist()), dtype=np.int64)
        binary = server == "kserve"
        try:
            tensor = triton.InferInput("x", [2, n], "INT64")
            tensor.set_data_from_numpy(x, binary_data=binary)
            result = client.infer(int_name, inputs=[tensor],
                                  outputs=[triton.InferRequestedOutput("y", binary_data=binary)])
            got = result.as_numpy("y")
            report(got is not None and np.array_equal(got, want), f"{label}: tritonclient.http infer {int_name} "
                   f"({'binary' if binary else 'JSON'} tensors) exact",
                   f"server ready {client.is_server_ready()}, model ready {client.is_model_ready(int_name)}")
        except Exception as error:  # noqa: BLE001
            report(False, f"{label}: tritonclient.http infer {int_name}", repr(error)[:300])
        finally:
            client.close()


def check_matmul(peer, demo, dtype, add_bias):
    port, label = peer.port, peer.label
    check_loopback_only(peer)
    status, _, body = request(port, "GET", "/health")
    report(status == 200 and json.loads(body) == {"status": "ok"}, f"{label}: GET /health", body.decode())
    status, _, body = request(port, "GET", "/info")
    want_info = {"inputs": demo.inputs, "outputs": demo.outputs, "dtype": dtype, "adds_bias": add_bias}
    report(status == 200 and json.loads(body) == want_info, f"{label}: GET /info", body.decode())
    rng = np.random.default_rng(port)
    np_dtype = np.dtype(dtype)
    bias = demo.bias if add_bias else None
    tol = 1e-6 if dtype == "float32" else 1e-12
    x = rng.normal(0, 1, size=(3, demo.inputs))
    want = demo_layer.float_matmul(x.astype(np_dtype), demo.weight.astype(np_dtype), bias, np_dtype)
    status, _, answer, raw = post_json(port, "/matmul", {"x_share": x[0].tolist()})
    ok = status == 200 and len(answer["y_partial"]) == demo.outputs and not isinstance(answer["y_partial"][0], list)
    diff = float(np.max(np.abs(np.array(answer["y_partial"]) - want[0]))) if ok else None
    report(ok and diff <= tol, f"{label}: POST /matmul one row → flat y_partial", f"max |diff| {diff}")
    status, _, answer, raw = post_json(port, "/matmul", {"x_share": x.tolist()}, headers={})
    ok = status == 200 and np.array(answer["y_partial"]).shape == (3, demo.outputs)
    diff = float(np.max(np.abs(np.array(answer["y_partial"]) - want))) if ok else None
    report(ok and diff <= tol, f"{label}: POST /matmul batch of 3 (no Content-Type) → nested y_partial",
           f"max |diff| {diff}")
    for what, body in (("a row of in-1 values", {"x_share": [0.0] * (demo.inputs - 1)}),
                       ("a batch with one short row", {"x_share": [[0.0] * demo.inputs, [0.0] * 3]}),
                       ("an empty list", {"x_share": []}),
                       ("a non-number", {"x_share": ["a"] * demo.inputs}),
                       ("no x_share", {"x": [0.0] * demo.inputs})):
        status, _, _, raw = post_json(port, "/matmul", body)
        report(status == 422, f"{label}: rejects {what} with 422", raw[:100].decode(errors="replace"))


def check_exit_with_parent(demo_args):
    """A parent starts three peers with --exit-with-parent and dies; the peers must follow."""
    ports = [free_port() for _ in range(3)]
    launcher = f"""
import subprocess, sys, os
cmds = {[
        [KSERVE_PY, os.path.join(PEERS, "kserve_peer.py"), "--port", str(ports[0]), "--models", "demo-int64"],
        [MLSERVER_PY, os.path.join(PEERS, "mlserver_peer.py"), "--port", str(ports[1]), "--models", "demo-int64"],
        [MLSERVER_PY, os.path.join(PEERS, "matmul_peer.py"), "--port", str(ports[2])],
    ]!r}
procs = [subprocess.Popen(c + {demo_args!r} + ["--exit-with-parent"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) for c in cmds]
lines = [p.stdout.readline().decode().strip() for p in procs]
print(" ".join(str(p.pid) for p in procs), "|", ", ".join(lines), flush=True)
os._exit(0)
"""
    out = subprocess.run([MLSERVER_PY, "-c", launcher], capture_output=True, text=True, timeout=120).stdout
    pids_text, _, lines = out.partition("|")
    pids = [int(p) for p in pids_text.split()]
    report(len(pids) == 3 and lines.count("READY") == 3, "exit-with-parent: three peers started, parent died", lines.strip())
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15:
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and not _is_zombie(p)]
        if not alive:
            break
        time.sleep(0.1)
    report(not alive, "exit-with-parent: the orphaned peers exited",
           f"after {time.monotonic() - t0:.1f} s" if not alive else f"still alive: {alive}")
    for p in alive:
        os.kill(p, signal.SIGKILL)


def main():
    print(f"check_peers: model {os.path.relpath(MODEL_FILE, ROOT)} layer {LAYER}", flush=True)
    failures_before = demo_layer.self_test()
    report(not failures_before, "demo_layer self-test (ring_matmul, rounding, safetensors)", "; ".join(failures_before))
    demo = demo_layer.DemoModels(MODEL_FILE, LAYER, 26)
    demo20 = demo_layer.DemoModels(MODEL_FILE, LAYER, 20)
    info(f"layer {demo.outputs}x{demo.inputs}, W_enc sha256 (fw 26, half-even) {demo.digest}")
    base = ["--model-file", MODEL_FILE, "--layer", LAYER]
    kinds = demo_layer.MODEL_KINDS
    peers = {
        "kserve": Peer("kserve", KSERVE_PY, "kserve_peer.py", base, free_port()),
        "kserve-b": Peer("kserve-b", KSERVE_PY, "kserve_peer.py",
                         base + ["--model-prefix", "b-", "--models", "demo-int64", "--weight-frac-bits", "20"], free_port()),
        "mlserver": Peer("mlserver", MLSERVER_PY, "mlserver_peer.py", base + ["--model-prefix", "m-"], free_port()),
        "matmul-f32": Peer("matmul-f32", MLSERVER_PY, "matmul_peer.py", base, free_port()),
        "matmul-f64-bias": Peer("matmul-f64-bias", MLSERVER_PY, "matmul_peer.py",
                                base + ["--dtype", "float64", "--add-bias"], free_port()),
    }
    try:
        ready = {label: peer.wait_ready() for label, peer in peers.items()}
        if ready["kserve"]:
            check_v2(peers["kserve"], {k: k for k in kinds}, demo, 26, "kserve")
        if ready["kserve-b"]:
            check_v2(peers["kserve-b"], {"demo-int64": "b-demo-int64"}, demo20, 20, "kserve")
        if ready["mlserver"]:
            check_v2(peers["mlserver"], {k: "m-" + k for k in kinds}, demo, 26, "mlserver")
        if ready["matmul-f32"]:
            check_matmul(peers["matmul-f32"], demo, "float32", False)
        if ready["matmul-f64-bias"]:
            check_matmul(peers["matmul-f64-bias"], demo, "float64", True)
    finally:
        for peer in peers.values():
            if peer.proc.poll() is None:
                peer.stop()
            else:
                report(False, f"{peer.label}: still running at the end", f"exit code {peer.proc.returncode}")
    check_exit_with_parent(base)
    if failures:
        print(f"check_peers: {len(failures)} FAILED; peer logs in {LOG_DIR}", flush=True)
    else:
        shutil.rmtree(LOG_DIR, ignore_errors=True)
        print("check_peers: all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
