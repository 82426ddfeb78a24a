#!/usr/bin/env bash
# Generates the Go packages bridge/apipb and bridge/proxypb from proto/ with
# pinned generators, or checks that the committed ones are up to date.
#
#   scripts/proto.sh generate   (make proto)        rewrite bridge/{apipb,proxypb}/*.pb.go
#   scripts/proto.sh check      (make proto-check)  regenerate into a temp dir and diff
#
# Needs protoc 3.21.x on PATH (Debian/Ubuntu package protobuf-compiler); this
# script installs nothing system-wide. The Go plugins are built with
# `go install <module>@<version>` into a temporary GOBIN that is removed on
# exit, so the versions below are the only ones that ever generate code.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned generator versions. protoc-gen-go must match the protobuf runtime in
# go.mod; protoc-gen-go-grpc v1.6.x emits code for grpc >= v1.64 (the module
# uses v1.85.0).
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
PROTOC_SERIES=3.21

MODULE=github.com/gyrehq/gyre
PROTO_FILES=(api/api.proto proxy/proxy.proto)
GEN_DIRS=(bridge/apipb bridge/proxypb)

mode="${1:-generate}"
case "$mode" in
  generate | check) ;;
  *) echo "usage: $0 [generate|check]" >&2; exit 2 ;;
esac

die() { echo "proto: $*" >&2; exit 1; }

command -v protoc >/dev/null ||
  die "protoc not found; install protoc ${PROTOC_SERIES}.x (Debian: apt-get install protobuf-compiler)"
protoc_version="$(protoc --version | awk '{print $2}')"
case "$protoc_version" in
  "${PROTOC_SERIES}".*) ;;
  *) die "protoc ${protoc_version} found, ${PROTOC_SERIES}.x required (Debian bookworm package protobuf-compiler)" ;;
esac

runtime_version="$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"
[ "$runtime_version" = "$PROTOC_GEN_GO_VERSION" ] ||
  die "go.mod has google.golang.org/protobuf ${runtime_version} but scripts/proto.sh pins protoc-gen-go ${PROTOC_GEN_GO_VERSION}; update PROTOC_GEN_GO_VERSION and run make proto"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# go install pkg@version ignores the main module; keep flags such as -mod out
# of it.
GOFLAGS= GOWORK=off GOBIN="$tmp/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO_VERSION}"
GOFLAGS= GOWORK=off GOBIN="$tmp/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"

# gen OUT: writes the generated files under OUT/bridge/...
gen() {
  protoc -I proto \
    --plugin=protoc-gen-go="$tmp/bin/protoc-gen-go" \
    --plugin=protoc-gen-go-grpc="$tmp/bin/protoc-gen-go-grpc" \
    --go_out="$1" --go_opt=module="$MODULE" \
    --go-grpc_out="$1" --go-grpc_opt=module="$MODULE" \
    "${PROTO_FILES[@]}"
}

if [ "$mode" = generate ]; then
  for d in "${GEN_DIRS[@]}"; do
    mkdir -p "$d"
    rm -f "$d"/*.pb.go
  done
  gen .
  echo "proto: generated ${GEN_DIRS[*]} (protoc ${protoc_version}, protoc-gen-go ${PROTOC_GEN_GO_VERSION}, protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION})"
  exit 0
fi

mkdir -p "$tmp/out"
gen "$tmp/out"
stale=0
for d in "${GEN_DIRS[@]}"; do
  # Compare the sets of generated files and their contents; the protoc
  # patch version in the header comment is ignored.
  files="$( { ls "$tmp/out/$d"; ls "$d" 2>/dev/null || true; } | grep '\.pb\.go$' | sort -u)"
  for f in $files; do
    if [ ! -f "$d/$f" ]; then
      echo "proto: $d/$f is missing" >&2; stale=1
    elif [ ! -f "$tmp/out/$d/$f" ]; then
      echo "proto: $d/$f is no longer generated" >&2; stale=1
    elif ! diff -u -I '^//[[:space:]]*protoc[[:space:]]' "$tmp/out/$d/$f" "$d/$f" >"$tmp/diff" 2>&1; then
      echo "proto: $d/$f differs from what proto/ generates:" >&2
      head -n 40 "$tmp/diff" >&2
      stale=1
    fi
  done
done
if [ "$stale" -ne 0 ]; then
  die "generated protobuf code is stale: run 'make proto' and commit the result"
fi
echo "proto: generated code is up to date"
