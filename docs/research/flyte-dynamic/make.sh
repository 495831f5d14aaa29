#!/usr/bin/env bash
# One command to regenerate the dumps: makes a throwaway venv with the pinned flytekit and runs make.py.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet "flytekit==1.16.31" "flyteidl==1.16.8"
"$tmp/venv/bin/python" make.py
