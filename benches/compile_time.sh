#!/usr/bin/env bash
# Compile cost of flowmap's macros, against the same functions without them, in one run.
#
#   benches/compile_time.sh [TASKS] [WORKFLOWS]      (defaults: 200 tasks, 20 workflows)
#
# Generates two binaries under target/compile-time/:
#   attributed/  TASKS trivial `#[task]`s and WORKFLOWS `#[workflow]`s, each a chain of
#                TASKS/WORKFLOWS calls plus one `map!`; `main` builds every graph and runs one.
#   plain/       the same functions with no attribute: the chain as plain calls, the map as an
#                iterator; `main` calls every workflow.
# Dependencies are built first; then each crate alone is rebuilt from scratch (debug,
# CARGO_INCREMENTAL=0) and `cargo check`ed, and the wall time and peak memory of rustc are printed.
# Needs only the Rust toolchain and GNU time (`/usr/bin/time`, for peak memory; without it the
# memory column says so).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TASKS=${1:-200}
WORKFLOWS=${2:-20}
CHAIN=$((TASKS / WORKFLOWS))
OUT=$ROOT/target/compile-time
export CARGO_INCREMENTAL=0
export CARGO_TARGET_DIR=$OUT/target

gen() { # $1 = attributed|plain
    local kind=$1 dir=$OUT/$1
    mkdir -p "$dir/src"
    {
        echo '[package]'
        echo "name = \"ct-$kind\""
        echo 'version = "0.0.0"'
        echo 'edition = "2024"'
        echo 'publish = false'
        echo '[workspace]'
        echo '[dependencies]'
        if [ "$kind" = attributed ]; then
            echo "flowmap = { path = \"$ROOT\" }"
            echo 'tokio = { version = "1", features = ["rt", "macros"] }'
        fi
    } >"$dir/Cargo.toml"
    {
        echo '#![allow(dead_code)]'
        [ "$kind" = attributed ] && echo 'use flowmap::prelude::*;'
        for ((t = 0; t < TASKS; t++)); do
            [ "$kind" = attributed ] && echo '#[task]'
            printf 'fn t%03d(x: i64) -> i64 { x + %d }\n' "$t" "$t"
        done
        for ((w = 0; w < WORKFLOWS; w++)); do
            [ "$kind" = attributed ] && echo '#[workflow]'
            printf 'fn w%02d(x: i64, xs: Vec<i64>) -> (i64, Vec<i64>) {\n' "$w"
            for ((c = 0; c < CHAIN; c++)); do
                printf '    let x = t%03d(x);\n' $((w * CHAIN + c))
            done
            if [ "$kind" = attributed ]; then
                printf '    let ys = map!(t%03d)(x = xs);\n' $((w * CHAIN))
            else
                printf '    let ys = xs.into_iter().map(t%03d).collect();\n' $((w * CHAIN))
            fi
            echo '    (x, ys)'
            echo '}'
        done
        if [ "$kind" = attributed ]; then
            echo '#[tokio::main(flavor = "current_thread")]'
            echo 'async fn main() {'
            for ((w = 0; w < WORKFLOWS; w++)); do
                printf '    assert!(w%02d.graph().is_ok());\n' "$w"
            done
            echo '    println!("{:?}", w00(1, vec![1, 2]).await);'
            echo '}'
        else
            echo 'fn main() {'
            for ((w = 0; w < WORKFLOWS; w++)); do
                printf '    println!("{:?}", w%02d(1, vec![1, 2]));\n' "$w"
            done
            echo '}'
        fi
    } >"$dir/src/main.rs"
}

# Prints "seconds peak-MiB" for one cargo command in $1's directory.
measure() {
    local dir=$1
    shift
    touch "$dir/src/main.rs"
    if [ -x /usr/bin/time ]; then
        (cd "$dir" && /usr/bin/time -f '%e %M' -o "$OUT/time.txt" cargo "$@" -q >/dev/null 2>"$OUT/err.txt") || {
            cat "$OUT/err.txt" >&2
            exit 1
        }
        awk '{ printf "%s %.0f", $1, $2 / 1024 }' "$OUT/time.txt"
    else
        local start end
        start=$(date +%s.%N)
        (cd "$dir" && cargo "$@" -q >/dev/null)
        end=$(date +%s.%N)
        awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f n/a", e - s }'
    fi
}

gen attributed
gen plain
echo "building dependencies..." >&2
(cd "$OUT/attributed" && cargo build -q && cargo check -q)
(cd "$OUT/plain" && cargo build -q && cargo check -q)

printf '%-44s %10s %14s\n' "crate ($TASKS tasks, $WORKFLOWS workflows)" "seconds" "peak rustc MiB"
for kind in attributed plain; do
    read -r secs mib <<<"$(measure "$OUT/$kind" build)"
    printf '%-44s %10s %14s\n' "$kind: cargo build (debug)" "$secs" "$mib"
    read -r secs mib <<<"$(measure "$OUT/$kind" check)"
    printf '%-44s %10s %14s\n' "$kind: cargo check" "$secs" "$mib"
done
