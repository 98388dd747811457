#!/usr/bin/env python3
"""An MLServer 1.7.1 server serving the demo layer over the Open Inference Protocol (V2).

    .venv/mlserver/bin/python Tests/Peers/mlserver_peer.py --port P --model-file models/demo.safetensors \
        --layer fc [--weight-frac-bits 26] [--model-prefix a-] [--models demo-int64,...] [--exit-with-parent]

Writes settings.json and one model-settings.json folder per model into a temporary directory
and runs MLServer in this process (what `mlserver start DIR` does): HTTP on 127.0.0.1:P, gRPC on
127.0.0.1 with a port the OS picks (MLServer cannot switch gRPC off), metrics server off,
parallel workers 0 (no worker processes). Prints `READY <port>` on stdout once
`/v2/health/ready` and every `/v2/models/{m}/ready` answer 200; all logs go to stderr.

MLServer imports the model class by name (`mlserver_peer.DemoMLModel`), so this module must stay
importable without side effects: everything that runs lives under `main()`.
"""
import asyncio
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import peer_runtime  # noqa: E402  (first: it records the parent process)

import numpy as np  # noqa: E402
from mlserver import MLModel  # noqa: E402
from mlserver.errors import InferenceError  # noqa: E402
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse, Parameters, ResponseOutput  # noqa: E402

import demo_layer  # noqa: E402


class DemoMLModel(MLModel):
    """One model kind of demo_layer.MODEL_KINDS; the kind and the layer come from
    model-settings.json `parameters.extra`."""

    async def load(self) -> bool:
        extra = self.settings.parameters.extra
        self.kind = extra["kind"]
        self.demo = demo_layer.DemoModels(extra["model_file"], extra["layer"], int(extra["weight_frac_bits"]),
                                          extra.get("rounding", "half-even"))
        self.ready = True
        return self.ready

    async def metadata(self) -> MetadataModelResponse:
        # MLModel.metadata() copies only `content_type` from the settings' parameters; this model
        # adds its own (weight_frac_bits and the W_enc digest for the INT64 models).
        response = await super().metadata()
        response.parameters = Parameters(**self.demo.parameters(self.kind))
        return response

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        if len(payload.inputs) != 1:
            raise InferenceError(f"expected exactly one input 'x', got {len(payload.inputs)}")
        tensor = payload.inputs[0]
        datatype = getattr(tensor.datatype, "value", tensor.datatype)
        shape = [int(d) for d in tensor.shape]
        problem = self.demo.check_input(self.kind, datatype, shape)
        if problem:
            raise InferenceError(problem)
        data = getattr(tensor.data, "root", tensor.data)
        count = shape[0] * shape[1]
        try:
            if datatype == "INT64":
                x = demo_layer.int_list_to_array(data, count).reshape(shape)
            else:
                x = np.asarray(data, dtype=np.float32).reshape(-1)
                if x.size != count:
                    raise ValueError(f"tensor has {x.size} elements, shape says {count}")
                x = x.reshape(shape)
        except (ValueError, TypeError) as error:
            raise InferenceError(f"input 'x': {error}")
        y = self.demo.compute(self.kind, x)
        output = ResponseOutput(name="y", datatype="INT64" if y.dtype == np.int64 else "FP32",
                                shape=list(y.shape), data=y.reshape(-1).tolist())
        return InferenceResponse(id=payload.id, model_name=self.name, outputs=[output])


def write_repository(root, args, kinds):
    """settings.json and <name>/model-settings.json for every model; returns the model names."""
    settings = {
        "debug": False,
        "host": peer_runtime.HOST,
        "http_port": args.port,
        "grpc_port": 0,  # the OS picks a free port (MLServer's log then says ":0")
        "metrics_endpoint": None,
        "parallel_workers": 0,
    }
    with open(os.path.join(root, "settings.json"), "w") as f:
        json.dump(settings, f, indent=2)
    demo = demo_layer.DemoModels(args.model_file, args.layer, args.weight_frac_bits, args.rounding)
    names = []
    for kind in kinds:
        name = args.model_prefix + kind
        inputs, outputs = demo.metadata(kind)
        model_settings = {
            "name": name,
            "implementation": "mlserver_peer.DemoMLModel",
            "platform": "numpy",
            "inputs": inputs,
            "outputs": outputs,
            "parameters": {"extra": {
                "kind": kind,
                "model_file": os.path.abspath(args.model_file),
                "layer": args.layer,
                "weight_frac_bits": args.weight_frac_bits,
                "rounding": args.rounding,
            }},
        }
        folder = os.path.join(root, name)
        os.makedirs(folder)
        with open(os.path.join(folder, "model-settings.json"), "w") as f:
            json.dump(model_settings, f, indent=2)
        names.append(name)
    return names


def main():
    args = peer_runtime.v2_arguments(__doc__.splitlines()[0]).parse_args()
    ready_stream = peer_runtime.claim_stdout()
    kinds = peer_runtime.selected_kinds(args.models, demo_layer.MODEL_KINDS)
    # MLServer reads MLSERVER_* variables too; ours must win for host, ports, metrics, workers.
    for key in ("MLSERVER_HOST", "MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_ENDPOINT",
                "MLSERVER_PARALLEL_WORKERS", "MLSERVER_MODELS_DIR"):
        os.environ.pop(key, None)
    root = tempfile.mkdtemp(prefix="eis-mlserver-peer-")
    code = 1
    try:
        names = write_repository(root, args, kinds)

        import uvicorn
        from mlserver import MLServer
        from mlserver.cli.serve import load_settings

        handle_exit = uvicorn.Server.handle_exit

        def handle_exit_with_timer(self, sig, frame):
            peer_runtime.arm_exit_timer(8.0)  # gRPC's stop has a 5 s grace
            handle_exit(self, sig, frame)

        uvicorn.Server.handle_exit = handle_exit_with_timer

        if args.exit_with_parent:
            peer_runtime.watch_parent()
        paths = ["/v2/health/ready"] + [f"/v2/models/{name}/ready" for name in names]
        peer_runtime.announce_when_ready(ready_stream, args.port, paths)

        async def serve():
            settings, models_settings = await load_settings(root)
            server = MLServer(settings)  # installs SIGINT/SIGTERM/SIGQUIT handlers on this loop
            await server.start(models_settings)

        asyncio.run(serve())
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        peer_runtime.exit_now(code)


if __name__ == "__main__":
    main()
