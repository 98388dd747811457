#!/usr/bin/env bash
# Fuzzes every target with libFuzzer + AddressSanitizer for SECONDS each (default 8).
#   Tests/Fuzz/run.sh [SECONDS] [TARGET…]
# New interesting inputs go to a scratch corpus (.build-fuzz/corpus/TARGET), never into the
# committed seeds; a crash is written to .build-fuzz/crashes/TARGET/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-8}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(share-request share-response infer-json config safetensors v2-request v2-response v2-metadata backend-text request-host); fi

echo "== building eis-fuzz with libFuzzer and AddressSanitizer (.build-fuzz)"
EIS_LIBFUZZER=1 swift build --scratch-path .build-fuzz --product eis-fuzz
binary=".build-fuzz/debug/eis-fuzz"

status=0
for target in "${targets[@]}"; do
  scratch=".build-fuzz/corpus/$target"
  crashes=".build-fuzz/crashes/$target"
  mkdir -p "$scratch" "$crashes"
  # TOMLKit 0.6.0 leaks: the key list of every table it is asked for (TOMLTable.keys mallocs it
  # and never frees it) and the parser's error on a syntax error: a few bytes per configuration
  # load, in a dependency. Leak detection stays on for every other target.
  leaks=1
  if [ "$target" = config ]; then leaks=0; fi
  echo "== fuzzing $target for ${seconds}s"
  # -max_len bounds one input (64 KiB covers every seed); -rss_limit_mb keeps a bad input from
  # taking the machine; the committed corpus is read-only input, the scratch one collects.
  if ! ASAN_OPTIONS="detect_leaks=$leaks" EIS_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -detect_leaks="$leaks" -artifact_prefix="$crashes/" -print_final_stats=1 \
      "$scratch" "Tests/Fuzz/corpus/$target" 2>&1 | tail -n 12; then
    echo "FUZZ FAILURE in $target: see $crashes/ (replay: swift run eis-fuzz $target FILE)" >&2
    status=1
  fi
done
exit $status
