#!/usr/bin/env python3
"""Repeatable profile of the gateway's own cost per request (docs/OVERHEAD.md).

Starts two eis-servers and one eis-gateway (release build, the demo layer 256 -> 10 unless
--model says otherwise) on free loopback ports, drives POST /infer with wrk, and reports:

  callgrind  instructions per request, split by component (inbound HTTP, body parsing, encoding
             and sharing with the CSPRNG, libcurl submission and completion, task hand-offs,
             response writing, metrics, logging). Instruction counts do not depend on what else
             runs on the machine, so they are the stable measure; compare them across commits.
  perf       `perf record -e cpu-clock` on the gateway at full speed: where its wall-clock CPU
             goes, by shared object and by symbol. Timings are noisy on a shared machine.

Only processes this script started are stopped (by PID), also on failure.

Usage (from the package root, after `swift build -c release`):
  python3 docs/profile/profile-gateway.py                      # both tools, concurrency 1
  python3 docs/profile/profile-gateway.py --tool callgrind --concurrency 16 --batching
  python3 docs/profile/profile-gateway.py --json               # one JSON object (for diffs)
  python3 docs/profile/profile-gateway.py --tool callgrind --budget docs/profile/budget.json   # CI's check
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Components, by the *self* cost of each function: the instructions that function ran itself,
# matched on its demangled name or its shared object, first match wins. Inclusive costs are no
# use here: an async function's resumption carries its continuation's work, so "inclusive"
# figures of async code count the rest of the request many times over. What the runtime and libc
# run (retain/release, malloc, metadata lookups) is reported per thread instead of guessed.
COMPONENTS = [
    ("body parsing (JSON reader, numbers)", r"JSONReader|DecimalNumber|InferBodyParser|Float32Body", None),
    ("encoding + range check", r"FixedPointCodec|ShareRound\.encode|productIsExact|InferencePipeline\.prepare", None),
    ("sharing incl. CSPRNG (RAND_bytes)", r"SecureRandom|AdditiveSharing|Padding\.", r"libcrypto"),
    ("share wire format (request, answer)", r"ShareRequest|ShareResponse|WireFormat", None),
    ("recombine + decode", r"recombine|AdditiveSharing\.combine|FixedPointCodec\.decode", None),
    ("libcurl itself", None, r"libcurl"),
    ("transport glue (Transfer, MultiDriver, callbacks)", r"Transfer\.|EasyHandle|MultiDriver|CurlIOThread|CurlHTTPClient|HTTPClientRe", None),
    ("fan-out, pool, plugin (FanOut, ModelBackends, EISNativeBackend)",
     r"FanOut|ModelBackends|PoolStateMachine|EISNativeBackend|BackendEndpoint|ShareBatch|InferencePipeline|ShareRound|Gateway\.", None),
    ("response writing (JSON answer)", r"InferResponseWriter|_Float64ToASCII|Float32Body\.bytes", None),
    ("metrics", r"Prometheus|GatewayMetrics|MetricHandleCache|CoreMetrics|Histogram|Counter\b", None),
    ("logging", r"^Logging\.|LogHandler|Logger", None),
    ("inbound HTTP (NIO, Hummingbird, llhttp)", r"NIO|Hummingbird|HTTPTypes|HTTPFields|llhttp|ByteBuffer|Channel|Router|Selector|EventLoop|HTTP1", None),
    ("task hand-offs (concurrency runtime, dispatch, locks)", r"swift_task|swift_job|TaskGroup|_MutexHandle|futex|pthread_cond|CheckedContinuation|withTaskCancellationHandler",
     r"libswift_Concurrency|libdispatch|libswiftSynchronization"),
]
RUNTIME = r"libswiftCore|libc\.so|ld-linux|libpthread|libm\.so|libFoundation|libswiftDispatch|libBlocksRuntime"

def log(message):
    print(message, file=sys.stderr, flush=True)


class Processes:
    """The processes this script started; stopped by PID in reverse order."""

    def __init__(self):
        self.started = []

    def start(self, argv, **kwargs):
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, **kwargs)
        log("started " + " ".join(argv[:3]) + f" … (pid {process.pid})")
        self.started.append(process)
        return process

    def stop_all(self):
        for process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started = []


def port_of(process, timeout):
    """Waits for the child's `... on HOST:PORT` line (eis-server and eis-gateway print one)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise SystemExit(f"child exited ({process.returncode}) before reporting its port")
            continue
        match = re.search(r":(\d+)\s*$", line.strip())
        if match:
            return int(match.group(1))
    raise SystemExit("child did not report its port in time")


def write_config(directory, model, layer, ports, batching):
    path = os.path.join(directory, "gateway.conf")
    backends = "".join(
        f'[[models.backends]]\nurl = "http://127.0.0.1:{port}"\ntrust_domain = "{name}"\n'
        for port, name in zip(ports, ["a", "b"]))
    with open(path, "w") as handle:
        handle.write(
            '[gateway]\nlisten = "127.0.0.1:0"\nlog_level = "warning"\n'
            f"batching = {'true' if batching else 'false'}\n"
            # Under valgrind everything runs 20-50x slower; keep the gateway from timing out.
            "request_timeout_ms = 60000\nbackend_timeout_ms = 30000\n"
            # Health checks every 2 s with a 1 s timeout would mark backends down under valgrind.
            "[health]\ninterval_ms = 60000\ntimeout_ms = 30000\n"
            f'[[models]]\nname = "bench"\npath = "{model}"\nlayer = "{layer}"\n{backends}')
    return path


def write_wrk_script(directory, inputs, body_kind):
    """A wrk Lua script that POSTs one row of `inputs` random values to /infer."""
    import random
    rng = random.Random(15)
    # Full precision, as eis-bench sends (JSONEncoder writes the shortest round-trip form).
    row = [rng.uniform(-1, 1) for _ in range(inputs)]
    path = os.path.join(directory, "infer.lua")
    if body_kind == "json":
        body = json.dumps({"input": row})
        content_type = "application/json"
        lua_body = json.dumps(body)
    else:
        import struct
        raw = struct.pack(f"<{inputs}f", *row)
        content_type = "application/octet-stream"
        lua_body = '"' + "".join(f"\\{b}" for b in raw) + '"'
    with open(path, "w") as handle:
        handle.write(f'wrk.method = "POST"\nwrk.body = {lua_body}\n'
                     f'wrk.headers["Content-Type"] = "{content_type}"\n')
    return path


def run_wrk(port, script, concurrency, seconds):
    """Runs wrk; returns (requests, failed requests: non-2xx or socket errors, p50 ms)."""
    threads = 1 if concurrency < 4 else 2
    # A long timeout: under valgrind a request takes 20-50 times as long, and a request wrk gave
    # up on would count as failed.
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s", "--timeout", "60s",
         "--latency", "-s", script, f"http://127.0.0.1:{port}/infer"], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p50_ms = None
    if p50:
        scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p50.group(2)]
        p50_ms = float(p50.group(1)) * scale
    failed = int(bad.group(1)) if bad else 0
    if errors:
        log("wrk: " + errors.group(0))
        failed += sum(int(count) for count in errors.groups())
    return requests, failed, p50_ms


def wait_until_idle(pid, limit=60):
    """Waits until the process's CPU time stops moving (requests wrk left in flight finished), so
    callgrind's window neither starts nor ends in the middle of them."""
    deadline = time.time() + limit
    last = cpu_seconds(pid)
    while time.time() < deadline:
        time.sleep(0.3)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now
    log(f"callgrind: process {pid} still busy after {limit} s; measuring anyway")


def annotate(path, inclusive):
    """callgrind_annotate's per-function table: list of (Ir, function, object)."""
    output = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", "--show-percs=no", path],
        capture_output=True, text=True, check=True).stdout
    # Swift symbols come mangled from the symbol table; demangle them to match by type and method.
    output = subprocess.run(["swift", "demangle", "--simplified"], input=output, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in output.splitlines():
        match = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not match or ":" not in match.group(2):
            continue
        count = int(match.group(1).replace(",", ""))
        rest = match.group(2)
        obj = ""
        object_match = re.search(r"\s\[([^\]]+)\]$", rest)
        if object_match:
            obj = object_match.group(1)
            rest = rest[:object_match.start()]
        # "file:function"; the file is ??? or a path.
        function = rest.split(":", 1)[1] if re.match(r"^(\?\?\?|/[^:]*|[^ :]+\.\w+):", rest) else rest
        rows.append((count, function.strip(), obj))
    return rows


def totals(path):
    for line in open(path, errors="replace"):
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    return 0


def thread_role(inclusive_rows):
    names = {function for _, function, _ in inclusive_rows}
    if any("MultiDriver.run" in name for name in names):
        return "curl I/O thread"
    if any("SelectableEventLoop.run" in name for name in names):
        return "NIO event loop"
    return "Swift concurrency pool"


def classify(function, obj):
    for name, pattern, object_pattern in COMPONENTS:
        if object_pattern and re.search(object_pattern, obj):
            return name
        if pattern and re.search(pattern, function) and not re.search(RUNTIME, obj):
            return name
    return None


def start_servers(processes, args, binaries, work):
    """Starts the two eis-servers; returns the path of a gateway configuration for them."""
    ports = []
    for _ in range(2):
        server = processes.start([os.path.join(binaries, "eis-server"), "--model", args.model, "--name", "bench",
                                  "--listen", "127.0.0.1:0", "--log-level", "warning"])
        ports.append(port_of(server, 60))
    return write_config(work, args.model, args.layer, ports, args.batching)


def profile_callgrind(args, binaries, work):
    processes = Processes()
    try:
        config = start_servers(processes, args, binaries, work)
        out = os.path.join(work, "callgrind.out")
        # Valgrind 3.19 cannot read the DWARF 5 that Swift emits ("unhandled dwarf2 abbrev form");
        # a copy without debug sections keeps the symbol table, which is all callgrind needs.
        binary = os.path.join(work, "eis-gateway")
        subprocess.run(["objcopy", "--strip-debug", os.path.join(binaries, "eis-gateway"), binary], check=True)
        # Something in the process calls sigsuspend with a mask in read-only memory, and valgrind
        # 3.19 writes into that mask and crashes; a preloaded sigsuspend passes a copy.
        shim = os.path.join(work, "sigsuspend-shim.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", shim, os.path.join(ROOT, "docs/profile/sigsuspend-shim.c")], check=True)
        environment = dict(os.environ, LD_PRELOAD=shim)
        gateway = processes.start(["valgrind", "--tool=callgrind", "--separate-threads=yes", "--instr-atstart=no",
                                   f"--callgrind-out-file={out}.%p", "--dump-instr=no",
                                   binary, "--config", config],
                                  stderr=open(os.path.join(work, "valgrind.log"), "w"), env=environment)
        port = port_of(gateway, 300)
        script = write_wrk_script(work, args.inputs, args.body)
        log(f"callgrind: warming up the gateway (pid {gateway.pid}) for {args.warmup} s")
        run_wrk(port, script, args.concurrency, args.warmup)
        wait_until_idle(gateway.pid)
        subprocess.run(["callgrind_control", "--instr=on", str(gateway.pid)], capture_output=True, check=True)
        log(f"callgrind: measuring {args.seconds} s at concurrency {args.concurrency}")
        requests, bad, _ = run_wrk(port, script, args.concurrency, args.seconds)
        wait_until_idle(gateway.pid)
        subprocess.run(["callgrind_control", "--dump=measured", str(gateway.pid)], capture_output=True, check=True)
        subprocess.run(["callgrind_control", "--instr=off", str(gateway.pid)], capture_output=True, check=True)
        # callgrind_control returns once the dump is written.
    except BaseException:
        # What valgrind said is the only trace of a crash under it; the directory is removed.
        log_tail(os.path.join(work, "valgrind.log"))
        raise
    finally:
        processes.stop_all()
    files = [os.path.join(work, f) for f in os.listdir(work)
             if f.startswith(f"callgrind.out.{gateway.pid}") and totals(os.path.join(work, f)) > 0
             and "measured" in open(os.path.join(work, f), errors="replace").read(4000)]
    if requests == 0 or not files:
        raise SystemExit(f"callgrind: nothing measured (requests {requests}, dump files {len(files)})")
    if bad:
        log(f"callgrind: {bad} requests failed (non-2xx or socket errors)")
    components = {name: 0 for name, _, _ in COMPONENTS}
    roles = {}
    runtime_by_role = {}
    other_by_role = {}
    top = {}
    total = 0
    for path in files:
        thread_total = totals(path)
        total += thread_total
        role = thread_role(annotate(path, inclusive=True))
        roles[role] = roles.get(role, 0) + thread_total
        for count, function, obj in annotate(path, inclusive=False):
            component = classify(function, obj)
            if component:
                components[component] += count
            elif re.search(RUNTIME, obj):
                runtime_by_role[role] = runtime_by_role.get(role, 0) + count
            else:
                other_by_role[role] = other_by_role.get(role, 0) + count
            key = f"{function} [{os.path.basename(obj)}]"
            top[key] = top.get(key, 0) + count
    per = lambda value: round(value / requests)
    by_component = {name: per(value) for name, value in components.items()}
    by_component.update({f"Swift runtime + libc on the {role} (retain/release, malloc, metadata)": per(value)
                         for role, value in sorted(runtime_by_role.items())})
    by_component.update({f"other code on the {role}": per(value) for role, value in sorted(other_by_role.items())})
    return {
        "tool": "callgrind", "concurrency": args.concurrency, "batching": args.batching, "body": args.body,
        "requests": requests, "failed_requests": bad, "instructions_per_request": per(total),
        "by_thread": {role: per(value) for role, value in sorted(roles.items(), key=lambda item: -item[1])},
        "by_component": by_component,
        "top_functions": [(per(value), name) for name, value in sorted(top.items(), key=lambda item: -item[1])[:args.top]],
        "files": files,
    }


def profile_perf(args, binaries, work):
    processes = Processes()
    try:
        config = start_servers(processes, args, binaries, work)
        gateway = processes.start([os.path.join(binaries, "eis-gateway"), "--config", config])
        port = port_of(gateway, 60)
        script = write_wrk_script(work, args.inputs, args.body)
        run_wrk(port, script, args.concurrency, 1)
        data = os.path.join(work, "perf.data")
        recorder = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4999", "-g", "-o", data, "-p", str(gateway.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        cpu_before, switches_before = cpu_seconds(gateway.pid), context_switches(gateway.pid)
        requests, bad, p50_ms = run_wrk(port, script, args.concurrency, args.seconds)
        cpu_after, switches_after = cpu_seconds(gateway.pid), context_switches(gateway.pid)
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)
    finally:
        processes.stop_all()
    def report(sort):
        output = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                                 "--percent-limit", "0.5", "-g", "none"], capture_output=True, text=True).stdout
        output = subprocess.run(["swift", "demangle", "--simplified"], input=output, capture_output=True, text=True).stdout
        rows = []
        for line in output.splitlines():
            match = re.match(r"^\s*([\d.]+)%\s+(.*)$", line)
            if match:
                rows.append((float(match.group(1)), re.sub(r"\s+", " ", match.group(2)).strip()))
        return rows
    return {
        "tool": "perf", "concurrency": args.concurrency, "batching": args.batching, "body": args.body,
        "requests": requests, "non_2xx": bad, "p50_ms": p50_ms,
        "gateway_cpu_us_per_request": round((cpu_after - cpu_before) * 1e6 / max(requests, 1), 1),
        # Each is a thread going to sleep or being preempted: the thread hand-offs the kernel's
        # share of the CPU comes from.
        "context_switches_per_request": round((switches_after - switches_before) / max(requests, 1), 2),
        "by_object_percent": report("dso")[:15],
        "by_symbol_percent": report("dso,sym")[:40],
        "perf_data": data,
    }


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid):
    """Voluntary and involuntary context switches over all of the process's threads so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as handle:
                for line in handle:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def print_report(result):
    if result["tool"] == "callgrind":
        print(f"\ncallgrind: {result['requests']} requests at concurrency {result['concurrency']}, "
              f"batching {'on' if result['batching'] else 'off'}, {result['body']} body")
        print(f"  instructions per request (all gateway threads): {result['instructions_per_request']:>10,}")
        print("\n  by thread")
        for name, value in result["by_thread"].items():
            print(f"    {name:<78}{value:>10,}")
        print("\n  by component (self cost of the functions that belong to it)")
        for name, value in result["by_component"].items():
            print(f"    {name:<78}{value:>10,}")
        print("\n  top functions (self cost per request)")
        for value, name in result["top_functions"]:
            print(f"    {value:>8,}  {name[:110]}")
    else:
        print(f"\nperf cpu-clock: {result['requests']} requests at concurrency {result['concurrency']}, "
              f"p50 {result['p50_ms']} ms, gateway CPU {result['gateway_cpu_us_per_request']} µs/request, "
              f"{result['context_switches_per_request']} context switches/request")
        print("  by shared object (% of gateway samples)")
        for percent, name in result["by_object_percent"]:
            print(f"    {percent:6.2f}%  {name}")
        print("  top symbols")
        for percent, name in result["by_symbol_percent"]:
            print(f"    {percent:6.2f}%  {name[:110]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", choices=["callgrind", "perf", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds (callgrind: under valgrind)")
    parser.add_argument("--warmup", type=float, default=5, help="callgrind warm-up seconds before counting")
    parser.add_argument("--batching", action="store_true", help="profile the gateway with batching = true")
    parser.add_argument("--body", choices=["json", "f32"], default="json")
    parser.add_argument("--model", default=os.path.join(ROOT, "models/demo.safetensors"))
    parser.add_argument("--layer", default="fc")
    parser.add_argument("--inputs", type=int, default=256, help="the layer's input width")
    parser.add_argument("--top", type=int, default=25, help="how many functions to list by self cost")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (dumps, perf.data)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per tool instead of tables")
    parser.add_argument("--budget", help="a JSON file of instruction budgets (docs/profile/budget.json): exit 3 when "
                        "the callgrind count per request for this set-up leaves its budget (above the tolerance, or "
                        "far below), or a request failed")
    args = parser.parse_args()
    if args.budget and args.tool == "perf":
        raise SystemExit("--budget needs callgrind (--tool callgrind or both)")
    for tool in ["wrk"] + (["valgrind", "callgrind_control", "callgrind_annotate"] if args.tool != "perf" else []) \
            + (["perf"] if args.tool != "callgrind" else []):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not on PATH (Debian: apt-get install wrk valgrind linux-perf)")
    binaries = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    if not os.path.exists(os.path.join(binaries, "eis-gateway")):
        raise SystemExit(f"no release build in {binaries}: run `swift build -c release` first")
    work = tempfile.mkdtemp(prefix="eis-profile-")
    results = []
    try:
        if args.tool in ("callgrind", "both"):
            results.append(profile_callgrind(args, binaries, work))
        if args.tool in ("perf", "both"):
            results.append(profile_perf(args, binaries, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")
    for result in results:
        if args.json:
            print(json.dumps(result, sort_keys=True))
        else:
            print_report(result)
    if args.budget:
        check_budget(args, next(result for result in results if result["tool"] == "callgrind"))


OVER_BUDGET = 3


def check_budget(args, result):
    """Exits with OVER_BUDGET when the instructions per request leave the budget for this set-up.

    Instruction counts hardly move with the machine's load, so a budget catches a regression
    that timings on a shared machine would hide. The key names the set-up: concurrency, batching
    and body; the tolerance absorbs what does move (batch sizes under valgrind, hash seeds). A
    run in which any request failed does not count (failing fast is cheap and would pass), and
    neither does one far below the budget (then the budget is stale, or the measurement broke).
    """
    with open(args.budget) as file:
        budgets = json.load(file)
    key = f"concurrency={args.concurrency} batching={'on' if args.batching else 'off'} body={args.body}"
    if key not in budgets["instructions_per_request"]:
        raise SystemExit(f"budget: {args.budget} has no budget for '{key}'")
    for option in ("seconds", "warmup"):
        if getattr(args, option) != budgets["measured_with"][option]:
            raise SystemExit(f"budget: measured with --{option} {budgets['measured_with'][option]}, not {getattr(args, option)}")
    budget = budgets["instructions_per_request"][key]
    limit = budget * (1 + budgets["tolerance"])
    floor = budget * budgets["lowest_fraction"]
    measured = result["instructions_per_request"]
    if result["failed_requests"]:
        print(f"budget ({key}): {result['failed_requests']} of {result['requests']} requests failed; the count means nothing")
        sys.exit(OVER_BUDGET)
    verdict = "within" if floor <= measured <= limit else ("OVER" if measured > limit else "far BELOW: lower the budget")
    print(f"budget ({key}): {measured:,} instructions per request, budget {budget:,} "
          f"+{budgets['tolerance']:.0%} = {round(limit):,}: {verdict}")
    if verdict != "within":
        sys.exit(OVER_BUDGET)


def log_tail(path, lines=40):
    """Prints the end of a log file to stderr, if there is one."""
    try:
        with open(path, errors="replace") as handle:
            tail = handle.readlines()[-lines:]
    except OSError:
        return
    log(f"--- last lines of {path}:\n" + "".join(tail))


if __name__ == "__main__":
    main()
