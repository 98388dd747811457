#!/usr/bin/env python3
"""Two gateway builds side by side, in one run: CPU per request and p50, slice by slice.

On a shared machine the load moves between two benchmark runs by more than a change is worth,
so a before/after from separate runs says little. Here both gateways serve the same two
eis-servers at once and `wrk` drives them in alternating slices (A, B, A, B, ...), so whatever
the machine does in between reaches both alike; the ratio B/A is the figure to read.

Usage (from the package root):
  python3 docs/profile/compare-gateways.py BEFORE/eis-gateway AFTER/eis-gateway \\
      [--concurrency 16] [--slices 6] [--seconds 2] [--batching] [--body json|f32]

The eis-server comes from the release build (`swift build -c release`). Only processes this
script started are stopped (by PID), also on failure.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("profile_gateway", os.path.join(HERE, "profile-gateway.py"))
profile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(profile)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--slices", type=int, default=6, help="slices per gateway, alternating")
    parser.add_argument("--seconds", type=float, default=2, help="seconds per slice")
    parser.add_argument("--batching", action="store_true")
    parser.add_argument("--body", choices=["json", "f32"], default="json")
    parser.add_argument("--model", default=os.path.join(profile.ROOT, "models/demo.safetensors"))
    parser.add_argument("--layer", default="fc")
    parser.add_argument("--inputs", type=int, default=256)
    args = parser.parse_args()
    binaries = profile.subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=profile.ROOT,
                                      capture_output=True, text=True, check=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="eis-compare-")
    processes = profile.Processes()
    try:
        config = profile.start_servers(processes, args, binaries, work)
        gateways = {}
        for label, executable in (("before", args.before), ("after", args.after)):
            process = processes.start([os.path.abspath(executable), "--config", config])
            gateways[label] = (process, profile.port_of(process, 60))
        script = profile.write_wrk_script(work, args.inputs, args.body)
        for label, (process, port) in gateways.items():
            profile.run_wrk(port, script, args.concurrency, 1)  # warm-up
        cpu = {label: [] for label in gateways}
        p50 = {label: [] for label in gateways}
        for slice_index in range(args.slices):
            # Alternate which goes first, so neither always runs right after the other.
            order = list(gateways.items())
            for label, (process, port) in (order if slice_index % 2 == 0 else order[::-1]):
                before = profile.cpu_seconds(process.pid)
                requests, bad, p50_ms = profile.run_wrk(port, script, args.concurrency, args.seconds)
                if bad:
                    raise SystemExit(f"{label}: {bad} requests failed (non-2xx or socket errors)")
                cpu[label].append((profile.cpu_seconds(process.pid) - before) * 1e6 / max(requests, 1))
                if p50_ms is not None:
                    p50[label].append(p50_ms)
    finally:
        processes.stop_all()
    print(f"concurrency {args.concurrency}, batching {'on' if args.batching else 'off'}, {args.body} body, "
          f"{args.slices} alternating slices of {args.seconds} s each")
    median_p50 = {label: statistics.median(values) if values else float("nan") for label, values in p50.items()}
    for label in cpu:
        print(f"  {label:<7} gateway CPU µs/request: median {statistics.median(cpu[label]):7.1f}   "
              f"slices {' '.join(f'{value:.0f}' for value in cpu[label])}   p50 ms median {median_p50[label]:.3f}")
    ratios = [after / before for before, after in zip(cpu["before"], cpu["after"])]
    print(f"  after/before CPU per request: median {statistics.median(ratios):.3f} "
          f"(slice pairs: {' '.join(f'{ratio:.2f}' for ratio in ratios)}); "
          f"p50 {median_p50['after'] / median_p50['before']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
