#!/usr/bin/env bash
# Builds the `anomalies` example (features cli, s3: Flyte with S3 blobs) and prints the path of its binary as cargo
# reports it, so the path is right wherever cargo puts its output (`CARGO_TARGET_DIR`,
# `build.target-dir` in a config, `--target`), not only under `./target`. Needs cargo and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --features cli,s3 --example anomalies --message-format=json-render-diagnostics |
    python3 -c '
import json, sys
found = [
    m["executable"]
    for m in map(json.loads, sys.stdin)
    if m.get("reason") == "compiler-artifact"
    and m["target"]["name"] == "anomalies"
    and "example" in m["target"]["kind"]
    and m.get("executable")
]
if not found:
    sys.exit("cargo built no executable for the example `anomalies`")
print(found[-1])
'
