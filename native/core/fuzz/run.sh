#!/bin/sh
# Build one fuzz target against Debian's libFuzzer (no crates needed) and run it.
#   ./run.sh TARGET [SECONDS] [more libFuzzer flags...]
#   TARGET: decode | capture_parser | flow_engine        SECONDS: default 60
# Needs: apt-get install libfuzzer-22-dev (match the LLVM major of `rustc -vV`), or LIBFUZZER_A=path.
set -eu
cd "$(dirname "$0")"
T=${1:?usage: run.sh decode|capture_parser|flow_engine [seconds] [libFuzzer flags]}
S=${2:-60}
shift
[ $# -gt 0 ] && shift
LLVM=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
LIBFUZZER=${LIBFUZZER_A:-/usr/lib/llvm-$LLVM/lib/libFuzzer.a}
[ -f "$LIBFUZZER" ] || LIBFUZZER=$(ls /usr/lib/llvm-*/lib/libFuzzer.a 2>/dev/null | sort -V | tail -n 1)
if [ ! -f "$LIBFUZZER" ]; then
    echo "libFuzzer.a not found: apt-get install libfuzzer-$LLVM-dev (or set LIBFUZZER_A)" >&2
    exit 1
fi
HOST=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps these flags off build scripts; --cfg fuzzing selects LLVMFuzzerTestOneInput.
RUSTFLAGS="--cfg fuzzing -C passes=sancov-module -C llvm-args=-sanitizer-coverage-level=4 \
 -C llvm-args=-sanitizer-coverage-inline-8bit-counters -C llvm-args=-sanitizer-coverage-pc-table \
 -C llvm-args=-sanitizer-coverage-trace-compares -C link-arg=$LIBFUZZER -C link-arg=-lstdc++" \
    cargo build --release --target "$HOST" --target-dir target/libfuzzer --bin "$T"
[ -d "corpus/$T" ] || cargo run --release --example make_seeds
mkdir -p "artifacts/$T"
exec "target/libfuzzer/$HOST/release/$T" -max_total_time="$S" -print_final_stats=1 \
    -artifact_prefix="artifacts/$T/" "$@" "corpus/$T"
