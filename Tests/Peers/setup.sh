#!/usr/bin/env bash
# Creates the two virtualenvs the test peers run in, at the repository root:
#   .venv/mlserver  <- Tests/Peers/requirements-mlserver.txt (MLServer peer, matmul peer, tritonclient)
#   .venv/kserve    <- Tests/Peers/requirements-kserve.txt   (KServe peer)
# They cannot share one venv (MLServer 1.7.1 pins FastAPI < 0.116, KServe 0.21.0 needs Starlette >= 1.3).
#
# Idempotent: a venv whose stamp (sha256 of its requirements file + the Python version) matches is
# left alone, so a second run is a fast no-op. A venv with a missing or stale stamp is rebuilt from
# scratch. Concurrent runs serialise on a lock file (when flock(1) exists).
#
# Python: $EIS_PEERS_PYTHON if set, else the first of python3, python3.12, python3.11, python3.10
# that is 3.10-3.12 (MLServer 1.7.1 wants < 3.13, KServe 0.21.0 wants >= 3.10) and has venv.
# Needs PyPI (or a pip mirror) the first time.
set -euo pipefail

start=$(date +%s)
peers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$peers_dir/../.." && pwd)"
venvs="$root/.venv"
mkdir -p "$venvs"

if command -v flock >/dev/null 2>&1; then
  exec 9>"$venvs/.peers-setup.lock"
  flock 9
fi

pick_python() {
  local candidates=("${EIS_PEERS_PYTHON:-}" python3 python3.12 python3.11 python3.10)
  local py
  for py in "${candidates[@]}"; do
    [ -n "$py" ] || continue
    command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  echo "setup.sh: no Python 3.10-3.12 with the venv module found (tried: ${candidates[*]});" \
       "install one (Debian/Ubuntu: python3-venv) or set EIS_PEERS_PYTHON" >&2
  return 1
}

python="$(pick_python)"
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

# ensure_venv NAME REQUIREMENTS IMPORT-CHECK
ensure_venv() {
  local name="$1" requirements="$2" check="$3"
  local venv="$venvs/$name" stamp_file="$venvs/$name/.eis-peers-stamp"
  local stamp
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1) python-$py_version"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
    echo "== .venv/$name is up to date"
    return 0
  fi
  local t0
  t0=$(date +%s)
  echo "== creating .venv/$name with $python ($py_version) from $(basename "$requirements")"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$requirements"
  "$venv/bin/python" -m pip check
  "$venv/bin/python" -c "$check"
  "$venv/bin/python" "$peers_dir/demo_layer.py" --self-test
  echo "$stamp" >"$stamp_file"
  echo "== .venv/$name ready in $(( $(date +%s) - t0 )) s"
}

ensure_venv mlserver "$peers_dir/requirements-mlserver.txt" \
  'import mlserver, fastapi, uvicorn, numpy, tritonclient.http; print("imports ok: mlserver", mlserver.__version__, "fastapi", fastapi.__version__)'
ensure_venv kserve "$peers_dir/requirements-kserve.txt" \
  'import kserve, fastapi, uvicorn, numpy; from importlib.metadata import version; print("imports ok: kserve", version("kserve"), "fastapi", fastapi.__version__)'

echo "== peers setup done in $(( $(date +%s) - start )) s; venv sizes:"
du -sh "$venvs/mlserver" "$venvs/kserve" | sed "s|$root/||"
