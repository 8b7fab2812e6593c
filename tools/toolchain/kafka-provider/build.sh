#!/usr/bin/env bash
# Build the Pulumi kafka resource plugin from Go modules.
#
#   tools/toolchain/kafka-provider/build.sh OUTDIR VERSION
#
# Steps (all inside a temporary directory, which is removed afterwards):
#   1. build the schema generator (cmd/pulumi-tfgen-kafka),
#   2. generate schema.json + bridge-metadata.json with it and stamp VERSION
#      into schema-embed.json,
#   3. build cmd/pulumi-resource-kafka (CGO_ENABLED=0, -trimpath, VERSION
#      linked in), embedding the two generated files,
#   4. check that the binary reports VERSION,
#   5. move it to OUTDIR/pulumi-resource-kafka.
# Nothing is written to OUTDIR unless every step succeeded; the final move is
# a rename within OUTDIR, so a half-written binary is never visible there.
#
# Dependencies come from go.mod/go.sum (built with -mod=readonly, so a build
# never edits them); a clean GOMODCACHE is filled through `go` from the
# configured module proxy. VERSION must match the pulumi_kafka SDK version
# the program uses (the SDK asks the engine for that plugin version), e.g.
# 3.13.3.
#
# Environment: GOFLAGS, GOMODCACHE, GOCACHE, GOPROXY etc. are honoured.
# KAFKA_PROVIDER_KEEP_SCHEMA=1 also writes OUTDIR/pulumi-resource-kafka.schema.json.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
    echo "build.sh: 'go' not found on PATH; install Go 1.25.9 or newer to build pulumi-resource-kafka" >&2
    exit 127
fi

if [ "$#" -ne 2 ]; then
    echo "usage: $0 OUTDIR VERSION   (e.g. $0 ./bin 3.13.3)" >&2
    exit 2
fi
outdir=$1
version=${2#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$ ]]; then
    echo "build.sh: VERSION must be a semantic version such as 3.13.3, got '$2'" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/kafka-provider-build.XXXXXX")
staged=
cleanup() {
    rm -rf "$work"
    if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf 'build.sh: %s\n' "$*" >&2; }

# Copy the module source (tracked inputs only) so that generated files live
# in the temp dir and never in the work tree.
src=$work/src
mkdir -p "$src"
(cd "$here" && cp -R go.mod go.sum provider cmd stubs "$src"/)
rm -f "$src"/cmd/pulumi-resource-kafka/{schema.json,schema-embed.json,bridge-metadata.json,Pulumi.yaml}

ldvar=evidentsource.local/kafka-provider/provider.Version
export CGO_ENABLED=0
# tfgen starts a plugin host; keep it away from the user's ~/.pulumi and
# from any plugin download.
export PULUMI_HOME=$work/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

cd "$src"

log "building schema generator ($(go version | cut -d' ' -f3))"
go build -mod=readonly -trimpath \
    -ldflags "-X $ldvar=$version" \
    -o "$work/bin/pulumi-tfgen-kafka" ./cmd/pulumi-tfgen-kafka

log "generating schema for version $version"
# --skip-examples: translating the upstream HCL examples needs the Pulumi
# converter plugins, which are not available offline. Property and resource
# descriptions are still taken from the upstream docs.
"$work/bin/pulumi-tfgen-kafka" schema --skip-examples --quiet \
    --out "$src/cmd/pulumi-resource-kafka" >"$work/tfgen.log" 2>&1 || {
    cat "$work/tfgen.log" >&2
    log "schema generation failed"
    exit 1
}
"$work/bin/pulumi-tfgen-kafka" stamp-schema \
    cmd/pulumi-resource-kafka/schema.json cmd/pulumi-resource-kafka/schema-embed.json
test -s cmd/pulumi-resource-kafka/bridge-metadata.json

log "building pulumi-resource-kafka"
go build -mod=readonly -trimpath \
    -ldflags "-s -w -X $ldvar=$version" \
    -o "$work/bin/pulumi-resource-kafka" ./cmd/pulumi-resource-kafka

reported=$("$work/bin/pulumi-resource-kafka" -version 2>/dev/null || true)
if [ "$reported" != "$version" ]; then
    log "built binary reports version '$reported', expected '$version'"
    exit 1
fi

# Stage inside OUTDIR, then rename: the final name appears atomically.
staged=$(mktemp "$outdir/.pulumi-resource-kafka.XXXXXX")
cp "$work/bin/pulumi-resource-kafka" "$staged"
chmod 0755 "$staged"
if [ "${KAFKA_PROVIDER_KEEP_SCHEMA:-}" = 1 ]; then
    cp cmd/pulumi-resource-kafka/schema-embed.json "$outdir/pulumi-resource-kafka.schema.json"
fi
mv -f "$staged" "$outdir/pulumi-resource-kafka"
staged=
log "wrote $outdir/pulumi-resource-kafka ($version)"
