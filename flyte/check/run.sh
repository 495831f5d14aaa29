#!/usr/bin/env bash
# Cross-checks of the Flyte backend with Flyte's own Python code and a real S3 API. Installs
# flytekit 1.16.31, flyteidl 1.16.8 and moto (an S3 server) into a fresh virtualenv, then:
# - checks two packages (the example's, and the golden workflows') with flyteidl and flytekit's
#   models (check_package.py);
# - checks the futures.pb that dynamic twins' pods wrote, likewise (check_futures.py);
# - runs the example binary as a task container against S3 and reads what it wrote with
#   flytekit (check_container.py).
# Called by .ci/run; fails (never skips) when python3 or the network is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "flytekit==1.16.31" "flyteidl==1.16.8"
# moto's boto3 is newer than flytekit's s3fs pins; installed after it, without resolving the two
# together (which backtracks for many minutes): nothing here uses s3fs.
if ! "$tmp/venv/bin/pip" install --quiet "moto[server]==5.2.5" boto3 > "$tmp/pip.log" 2>&1; then
    cat "$tmp/pip.log"
    exit 1
fi
# Where cargo put it (CARGO_TARGET_DIR and the like), as cargo itself reports.
bin=$(flyte/check/example_bin.sh)
"$bin" package --image ghcr.io/flowmap/anomalies:ci -o "$tmp/anomalies.tgz" 2> /dev/null
FLOWMAP_WRITE_PACKAGE="$tmp/golden.tgz" cargo test --quiet -p flowmap-flyte --lib golden > /dev/null
"$tmp/venv/bin/python" flyte/check/check_package.py "$tmp/anomalies.tgz" "$tmp/golden.tgz"
# The futures.pb of the dynamic twins (flyte/src/tests/dynamic.rs), as their pods wrote them.
mkdir "$tmp/futures"
FLOWMAP_WRITE_FUTURES="$tmp/futures" cargo test --quiet -p flowmap-flyte --lib dynamic > /dev/null
"$tmp/venv/bin/python" flyte/check/check_futures.py "$tmp/futures"
"$tmp/venv/bin/python" flyte/check/check_container.py "$bin" 2> "$tmp/moto.log" || { cat "$tmp/moto.log"; exit 1; }
