#!/usr/bin/env bash
# Makes the flytekit goldens: packages golden/workflows.py with flytekit (pinned) and unpacks
# the .pb files into package/. Needs python3 and network access; the goldens are committed, so
# `cargo test` needs neither.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "flytekit==1.16.31" "flyteidl==1.16.8"
"$tmp/venv/bin/pyflyte" --pkgs golden package --image ghcr.io/me/anomalies:v1 --output "$tmp/pkg.tgz" --force
rm -rf package
mkdir package
tar xzf "$tmp/pkg.tgz" -C package
ls package
rm -rf literals
"$tmp/venv/bin/python" literals.py literals
ls literals
rm -rf execute
"$tmp/venv/bin/python" execute.py execute
find execute -type f | sort
