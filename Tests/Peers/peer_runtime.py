"""Process plumbing shared by the three test peers (standard library only).

* `claim_stdout()`: keeps the real stdout for the single `READY <port>` line and points fd 1
  (and `sys.stdout`) at stderr, so server logs, access logs and stray prints never reach it.
* `announce_when_ready(...)`: polls the peer's own health URLs on 127.0.0.1, then prints
  `READY <port>`; if the peer is not ready in time it SIGTERMs itself.
* `watch_parent()`: for `--exit-with-parent`; SIGTERMs the peer when its parent changes.
* `arm_exit_timer()`: a watchdog the peers arm when a stop signal arrives; it hard-exits a few
  seconds later in case a server's graceful shutdown stalls.
* `exit_now()`: flush and `os._exit`, skipping slow interpreter finalisation.
"""
import argparse
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"

# The parent as it was when this module was first imported (each peer imports it first thing,
# before its slow imports), so a parent that dies during start-up is noticed too.
INITIAL_PARENT = os.getppid()


def claim_stdout():
    """Returns a text stream on the original stdout; fd 1 and sys.stdout now go to stderr."""
    ready_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(ready_fd, "w", buffering=1)


def _answers_200(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def announce_when_ready(ready_stream, port, paths, timeout=120.0, interval=0.05):
    """Starts a thread that prints `READY <port>` once every path answers 200."""

    def run():
        deadline = time.monotonic() + timeout
        pending = list(paths)
        while time.monotonic() < deadline:
            pending = [p for p in pending if not _answers_200(f"http://{HOST}:{port}{p}")]
            if not pending:
                ready_stream.write(f"READY {port}\n")
                ready_stream.flush()
                return
            time.sleep(interval)
        print(f"peer: not ready after {timeout:.0f} s (still failing: {pending}); stopping", file=sys.stderr)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=run, name="announce-ready", daemon=True).start()


def watch_parent(interval=0.5):
    """SIGTERMs this process when its parent process changes (the parent died)."""
    parent = INITIAL_PARENT

    def run():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                print(f"peer: parent {parent} is gone; stopping", file=sys.stderr)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=run, name="watch-parent", daemon=True).start()


_timer_lock = threading.Lock()
_timer_armed = False


def arm_exit_timer(grace=5.0):
    """Hard-exits the process `grace` seconds from now unless it has ended by then."""
    global _timer_armed
    with _timer_lock:
        if _timer_armed:
            return
        _timer_armed = True

    def run():
        time.sleep(grace)
        print(f"peer: still running {grace:.0f} s after the stop signal; exiting hard", file=sys.stderr)
        os._exit(1)

    threading.Thread(target=run, name="exit-timer", daemon=True).start()


def exit_now(code=0):
    """Flushes the standard streams and ends the process without interpreter finalisation."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def v2_arguments(description):
    """The command line both V2 peers take."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True, help="HTTP port on 127.0.0.1")
    parser.add_argument("--model-file", required=True, help="safetensors file with <layer>.weight [out, in]")
    parser.add_argument("--layer", default="fc", help="layer name in the file (default fc)")
    parser.add_argument("--weight-frac-bits", type=int, default=26, help="fw for the INT64 models (default 26)")
    parser.add_argument("--rounding", choices=("half-even", "half-away"), default="half-even",
                        help="rounding of W·2^fw (default half-even, as EISCore)")
    parser.add_argument("--model-prefix", default="",
                        help="prefix for every served model name, e.g. 'b-' serves b-demo-int64, ...")
    parser.add_argument("--models", default="",
                        help="comma-separated subset of the model kinds to serve (default: all)")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="exit when the parent process dies")
    return parser


def selected_kinds(arg, all_kinds):
    if not arg:
        return list(all_kinds)
    kinds = [k.strip() for k in arg.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in all_kinds]
    if unknown:
        raise SystemExit(f"unknown model kind(s) {unknown}; known: {', '.join(all_kinds)}")
    return kinds
