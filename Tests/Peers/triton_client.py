#!/usr/bin/env python3
"""Drives an eis-gateway's Open Inference (KServe V2) routes with the real `tritonclient.http`,
the way an unmodified Triton/KServe application would, and prints one JSON report on stdout.

    .venv/mlserver/bin/python Tests/Peers/triton_client.py --url 127.0.0.1:PORT \
        --model demo --model-file models/demo.safetensors --layer fc

The report has, per check, what the client saw: for inferences the answer's shape, datatype
and max |y - (W x + b)| against a float64 reference computed here from the model file; for
bad requests the status and message of the InferenceServerException. It judges nothing: the
Swift test (`GatewayV2InboundTests`) asserts on the report, so a failing check fails there.
"""
import argparse
import json
import os
import sys

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_layer import load_linear  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="HOST:PORT of the gateway")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--layer", default="fc")
    parser.add_argument("--input-name", default="input")
    parser.add_argument("--output-name", default="output")
    parser.add_argument("--token", help="bearer token to send")
    args = parser.parse_args()

    weight, bias = load_linear(args.model_file, args.layer)
    outputs_width, inputs_width = weight.shape
    bias = bias if bias is not None else np.zeros(outputs_width)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    client = triton.InferenceServerClient(url=args.url, concurrency=8)
    rng = np.random.default_rng(20261125)
    report = {}

    report["server_live"] = client.is_server_live(headers=headers)
    report["server_ready"] = client.is_server_ready(headers=headers)
    report["model_ready"] = client.is_model_ready(args.model, headers=headers)
    report["server_metadata"] = client.get_server_metadata(headers=headers)
    report["model_metadata"] = client.get_model_metadata(args.model, headers=headers)

    def infer(name, rows, datatype, binary_in, binary_out, *, shape=None, request_output=True, model_version=""):
        dtype = {"FP32": np.float32, "FP64": np.float64}[datatype]
        x = rng.uniform(-1, 1, size=(rows, inputs_width)).astype(dtype)
        tensor = triton.InferInput(args.input_name, list(shape or x.shape), datatype)
        tensor.set_data_from_numpy(x.reshape(shape) if shape else x, binary_data=binary_in)
        requested = [triton.InferRequestedOutput(args.output_name, binary_data=binary_out)] if request_output else None
        result = client.infer(args.model, [tensor], outputs=requested, request_id=name, headers=headers,
                              model_version=model_version)
        y = result.as_numpy(args.output_name)
        want = x.astype(np.float64) @ weight.T + bias
        body = result.get_response()
        report[name] = {
            "shape": list(y.shape),
            "datatype": body["outputs"][0]["datatype"],
            "id": body.get("id"),
            "model_name": body.get("model_name"),
            "max_error": float(np.max(np.abs(y.astype(np.float64).reshape(want.shape) - want))),
        }

    infer("json_fp32", 4, "FP32", binary_in=False, binary_out=False)
    infer("binary_fp32", 8, "FP32", binary_in=True, binary_out=True)
    infer("binary_in_json_out", 3, "FP32", binary_in=True, binary_out=False)
    infer("json_fp64", 2, "FP64", binary_in=False, binary_out=False)
    infer("binary_fp64", 5, "FP64", binary_in=True, binary_out=True)
    infer("single_row", 1, "FP32", binary_in=False, binary_out=False, shape=[inputs_width])
    infer("no_requested_outputs", 2, "FP32", binary_in=True, binary_out=False, request_output=False)
    infer("version_1", 1, "FP32", binary_in=True, binary_out=True, model_version="1")

    # Concurrent requests, as an application with a thread pool sends them (the gateway's
    # batcher may coalesce them): every answer must still be its own.
    pending = []
    for index in range(16):
        x = rng.uniform(-1, 1, size=(1 + index % 3, inputs_width)).astype(np.float32)
        tensor = triton.InferInput(args.input_name, list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=True)
        pending.append((x, client.async_infer(args.model, [tensor], request_id=f"async-{index}", headers=headers,
                                              outputs=[triton.InferRequestedOutput(args.output_name, binary_data=True)])))
    worst = 0.0
    ids = []
    for x, request in pending:
        result = request.get_result()
        ids.append(result.get_response().get("id"))
        worst = max(worst, float(np.max(np.abs(result.as_numpy(args.output_name) - (x.astype(np.float64) @ weight.T + bias)))))
    report["async_16"] = {"max_error": worst, "ids": ids}

    def failure(name, call):
        try:
            call()
            report[name] = {"status": "200"}
        except InferenceServerException as error:
            report[name] = {"status": error.status(), "message": error.message()}

    def send(shape, datatype, data, binary=False, input_name=None, model=None, model_version=""):
        tensor = triton.InferInput(input_name or args.input_name, shape, datatype)
        tensor.set_data_from_numpy(data, binary_data=binary)
        client.infer(model or args.model, [tensor], headers=headers, model_version=model_version)

    width = inputs_width
    failure("wrong_width", lambda: send([1, width - 1], "FP32", np.zeros((1, width - 1), np.float32)))
    failure("unknown_model", lambda: send([1, width], "FP32", np.zeros((1, width), np.float32), model="no-such-model"))
    failure("unknown_version", lambda: send([1, width], "FP32", np.zeros((1, width), np.float32), model_version="7"))
    failure("unknown_input", lambda: send([1, width], "FP32", np.zeros((1, width), np.float32), input_name="x"))
    failure("int32", lambda: send([1, width], "INT32", np.zeros((1, width), np.int32)))
    nan_row = np.zeros((1, width), np.float32)
    nan_row[0, 7] = np.nan
    failure("nan_binary", lambda: send([1, width], "FP32", nan_row, binary=True))
    failure("nan_json", lambda: send([1, width], "FP32", nan_row, binary=False))
    failure("out_of_range", lambda: send([1, width], "FP64", np.full((1, width), 1e12), binary=True))
    failure("unknown_output", lambda: client.infer(
        args.model, [_zeros(args.input_name, width)], headers=headers,
        outputs=[triton.InferRequestedOutput("logits")]))
    report["model_ready_unknown"] = client.is_model_ready("no-such-model", headers=headers)

    # The gateway keeps serving after every one of those.
    infer("after_errors", 2, "FP32", binary_in=True, binary_out=True)
    client.close()
    json.dump(report, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


def _zeros(name, width):
    tensor = triton.InferInput(name, [1, width], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, width), np.float32), binary_data=True)
    return tensor


if __name__ == "__main__":
    main()
