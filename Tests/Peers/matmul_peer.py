#!/usr/bin/env python3
"""The technical note's proof-of-concept share server, written from its API: FastAPI + uvicorn.

    .venv/mlserver/bin/python Tests/Peers/matmul_peer.py --port P --model-file models/demo.safetensors \
        --layer fc [--dtype float32|float64] [--add-bias] [--exit-with-parent]

API (all JSON, on 127.0.0.1:P only):
  POST /matmul {"x_share": [x_1, …, x_in]}            → 200 {"y_partial": [y_1, …, y_out]}
  POST /matmul {"x_share": [[…in…], [… in …], …]}      → 200 {"y_partial": [[…out…], …]}
      y = x · Wᵀ (+ b with --add-bias), computed in --dtype (default float32).
      A row of the wrong length, non-numbers, NaN/∞, an empty batch or a malformed body → 422
      {"detail": "..."}.
  GET /health → 200 {"status": "ok"}
  GET /info   → 200 {"inputs": in, "outputs": out, "dtype": "float32", "adds_bias": false} (not with --no-info)

Prints `READY <port>` on stdout once /health answers; all logs go to stderr.
"""
import argparse
import json
import math
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peer_runtime  # noqa: E402


def build_app(weight, bias, dtype, add_bias, with_info=True):
    import numpy as np
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    import demo_layer

    outputs, inputs = weight.shape
    np_dtype = np.dtype(dtype)
    w = weight.astype(np_dtype)
    b = bias.astype(np_dtype) if add_bias else None
    app = FastAPI(title="EIS matmul test peer", docs_url=None, redoc_url=None, openapi_url=None)

    def unprocessable(message):
        return JSONResponse(status_code=422, content={"detail": message})

    def is_number(v):
        return (isinstance(v, (int, float)) and not isinstance(v, bool)
                and (isinstance(v, int) or math.isfinite(v)))

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    if with_info:
        @app.get("/info")
        async def info():
            return {"inputs": inputs, "outputs": outputs, "dtype": np_dtype.name, "adds_bias": bool(add_bias)}

    @app.post("/matmul")
    async def matmul(request: Request):
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as error:
            return unprocessable(f"body is not JSON: {error}")
        if not isinstance(body, dict) or "x_share" not in body:
            return unprocessable('body must be an object with "x_share"')
        share = body["x_share"]
        if not isinstance(share, list) or not share:
            return unprocessable("x_share must be a non-empty list (one row) or a list of rows")
        batch = isinstance(share[0], list)
        rows = share if batch else [share]
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                return unprocessable(f"row {i} is not a list (mixing numbers and rows?)")
            if len(row) != inputs:
                return unprocessable(f"row {i} has {len(row)} values, the layer takes {inputs}")
            if not all(is_number(v) for v in row):
                return unprocessable(f"row {i} holds something that is not a finite number")
        try:
            x = np.array(rows, dtype=np_dtype)
        except (OverflowError, ValueError) as error:
            return unprocessable(f"x_share: {error}")
        if not np.all(np.isfinite(x)):
            return unprocessable(f"x_share has values outside the {np_dtype.name} range")
        y = demo_layer.float_matmul(x, w, b, np_dtype)
        return {"y_partial": y.tolist() if batch else y[0].tolist()}

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="HTTP port on 127.0.0.1")
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--layer", default="fc")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--add-bias", action="store_true", help="answer x·Wᵀ + b instead of x·Wᵀ")
    parser.add_argument("--no-info", action="store_true", help="serve only the note's API: no GET /info")
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args()
    ready_stream = peer_runtime.claim_stdout()

    import uvicorn

    import demo_layer

    weight, bias = demo_layer.load_linear(args.model_file, args.layer)
    if args.add_bias and bias is None:
        raise SystemExit(f"--add-bias: the file has no {args.layer}.bias")
    app = build_app(weight, bias, args.dtype, args.add_bias, with_info=not args.no_info)

    handle_exit = uvicorn.Server.handle_exit

    def handle_exit_with_timer(self, sig, frame):
        peer_runtime.arm_exit_timer(5.0)
        handle_exit(self, sig, frame)

    uvicorn.Server.handle_exit = handle_exit_with_timer
    if args.exit_with_parent:
        peer_runtime.watch_parent()
    peer_runtime.announce_when_ready(ready_stream, args.port, ["/health"])
    config = uvicorn.Config(app, host=peer_runtime.HOST, port=args.port, log_level="warning",
                            access_log=False, timeout_graceful_shutdown=3)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler
    # that was there before it started: make that one exit 0 instead of dying of the signal.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: peer_runtime.exit_now(0))
    uvicorn.Server(config).run()
    peer_runtime.exit_now(0)


if __name__ == "__main__":
    main()
