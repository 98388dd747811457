#!/usr/bin/env python3
"""A KServe 0.21.0 ModelServer serving the demo layer over the Open Inference Protocol (V2).

    .venv/kserve/bin/python Tests/Peers/kserve_peer.py --port P --model-file models/demo.safetensors \
        --layer fc [--weight-frac-bits 26] [--model-prefix a-] [--models demo-int64,...] [--exit-with-parent]

HTTP only (gRPC off), on 127.0.0.1 only (KServe hard-codes host 0.0.0.0 in its uvicorn config;
this file patches that config after KServe builds it). Prints `READY <port>` on stdout once
`/v2/health/ready` and every `/v2/models/{m}/ready` answer 200; all logs go to stderr.
"""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peer_runtime  # noqa: E402

args = peer_runtime.v2_arguments(__doc__.splitlines()[0]).parse_args()
# kserve.model_server parses sys.argv when imported (parse_known_args, with prefix matching):
# hide ours from it.
sys.argv = sys.argv[:1]
ready_stream = peer_runtime.claim_stdout()

import numpy as np  # noqa: E402
import uvicorn  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer  # noqa: E402
from kserve.errors import InvalidInput  # noqa: E402
from kserve.protocol.rest import server as kserve_rest_server  # noqa: E402

import demo_layer  # noqa: E402

# --- bind to 127.0.0.1 only -------------------------------------------------------------------
_rest_init = kserve_rest_server.RESTServer.__init__


def _rest_init_loopback(self, *a, **kw):
    _rest_init(self, *a, **kw)
    self.config.host = peer_runtime.HOST  # read by uvicorn when it binds, after this


kserve_rest_server.RESTServer.__init__ = _rest_init_loopback

# --- exit promptly: arm a hard-exit timer whenever uvicorn is asked to stop ---------------------
_handle_exit = uvicorn.Server.handle_exit


def _handle_exit_with_timer(self, sig, frame):
    peer_runtime.arm_exit_timer(5.0)
    _handle_exit(self, sig, frame)


uvicorn.Server.handle_exit = _handle_exit_with_timer


class DemoModel(Model):
    """One model kind of demo_layer.MODEL_KINDS, under a (possibly prefixed) name."""

    def __init__(self, name, kind, demo):
        super().__init__(name)
        self.kind = kind
        self.demo = demo
        self.inputs_meta, self.outputs_meta = demo.metadata(kind)
        self.load()

    def load(self):
        self.ready = True
        return self.ready

    def get_input_types(self):
        return self.inputs_meta

    def get_output_types(self):
        return self.outputs_meta

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        if len(payload.inputs) != 1:
            raise InvalidInput(f"expected exactly one input 'x', got {len(payload.inputs)}")
        tensor = payload.inputs[0]
        problem = self.demo.check_input(self.kind, tensor.datatype, list(tensor.shape))
        if problem:
            raise InvalidInput(problem)
        try:
            if tensor.datatype == "INT64" and tensor.data is not None and not isinstance(tensor.data, np.ndarray):
                x = demo_layer.int_list_to_array(tensor.data, int(np.prod(tensor.shape))).reshape(tensor.shape)
            else:
                x = tensor.as_numpy()
        except (ValueError, TypeError) as error:
            raise InvalidInput(f"input 'x': {error}")
        y = self.demo.compute(self.kind, x)
        output = InferOutput(name="y", shape=list(y.shape), datatype="INT64" if y.dtype == np.int64 else "FP32")
        output.set_data_from_numpy(y, binary_data=False)
        # KServe answers 500 when the response id is None; a request without "id" gets a fresh one.
        return InferResponse(
            response_id=payload.id if payload.id is not None else str(uuid.uuid4()),
            model_name=self.name,
            infer_outputs=[output],
            use_binary_outputs=payload.use_binary_outputs,
            requested_outputs=payload.request_outputs,
        )


def main():
    kinds = peer_runtime.selected_kinds(args.models, demo_layer.MODEL_KINDS)
    demo = demo_layer.DemoModels(args.model_file, args.layer, args.weight_frac_bits, args.rounding)
    models = [DemoModel(args.model_prefix + kind, kind, demo) for kind in kinds]
    if args.exit_with_parent:
        peer_runtime.watch_parent()
    paths = ["/v2/health/ready"] + [f"/v2/models/{m.name}/ready" for m in models]
    peer_runtime.announce_when_ready(ready_stream, args.port, paths)
    server = ModelServer(http_port=args.port, enable_grpc=False, workers=1, grace_period=3,
                         enable_latency_logging=False)
    server.start(models)
    # The server has stopped. Skip interpreter finalisation: with KServe's imports (grpc among
    # them) it takes another ~2.5 s here, which would make stopping a peer slow.
    peer_runtime.exit_now(0)


if __name__ == "__main__":
    main()
