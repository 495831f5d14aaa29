#!/bin/sh
# `cache = true` with flowmap built without its `cache` feature is a compile error at the user's
# `cache`, naming the feature: once for the task option, once for the node override.
# Run from anywhere: `sh tests/no_cache_feature/check.sh` (uses $CARGO_TARGET_DIR if set).
set -u
# Its builds go to the main workspace's target directory unless one is set.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/target}"
dir=$(cd "$(dirname "$0")" && pwd)
cp "$dir/../../Cargo.lock" "$dir/Cargo.lock"
out=$(cargo check --quiet --offline --manifest-path "$dir/Cargo.toml" --message-format short 2>&1)
status=$?
rm -f "$dir/Cargo.lock"
fail() { printf '%s\n--- cargo output:\n%s\n' "$1" "$out"; exit 1; }
[ $status -ne 0 ] || fail "expected a compile error"
message="\`cache = true\` needs flowmap's \`cache\` feature"
[ "$(printf '%s\n' "$out" | grep -c "src/lib.rs:10:8: error.*$message")" = 1 ] || fail "no error at the task's \`cache\`"
[ "$(printf '%s\n' "$out" | grep -c "src/lib.rs:17:33: error.*$message")" = 1 ] || fail "no error at the override's \`cache\`"
[ "$(printf '%s\n' "$out" | grep -c ": error")" = 2 ] || fail "expected exactly two errors"
echo "ok: cache = true without the cache feature is a compile error at the user's token"
