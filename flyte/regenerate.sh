#!/usr/bin/env bash
# Regenerates src/idl/*.rs from Flyte's .proto files, as published in the npm package
# @flyteorg/flyteidl (pinned below, checked against its registry integrity hash).
# Needs cargo, npm and network access; CI does not run it: the generated files are committed.
set -euo pipefail
cd "$(dirname "$0")"
VERSION=1.16.5
INTEGRITY='sha512-mMjjwzQ+v9tzSoIRg0U506UR4tRyb8tsYpczHJ6cHm9Z+IETwTJA2jV8Nd8opWNZgQOq9nuT394LeYz39KVjag=='
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@flyteorg/flyteidl@$VERSION" > /dev/null)
tgz="$work/flyteorg-flyteidl-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
    echo "integrity mismatch for @flyteorg/flyteidl@$VERSION: $got" >&2
    exit 1
fi
tar xzf "$tgz" -C "$work"
rm -f src/idl/flyteidl.*.rs
cargo run --quiet --release --manifest-path gen/Cargo.toml -- "$work/package/protos" src/idl
# Only the packages flowmap compiles to are kept; google.protobuf comes from prost-types.
ls src/idl
