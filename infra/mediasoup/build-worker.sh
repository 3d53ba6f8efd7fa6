#!/usr/bin/env bash
# Builds the mediasoup worker (C++) from the installed npm package without any download, and caches
# the binary under .tools/mediasoup-worker/<key>/, key = mediasoup version + hash of this folder
# (build script, patches, subproject stand-ins). Prints the binary's path on stdout; logs go to stderr.
#
# Why: mediasoup's postinstall downloads a prebuilt worker or its meson subprojects' sources, and
# neither is reachable here (npm install runs with the postinstall disabled, see allowScripts in the
# root package.json). Instead every subproject the worker asks for is satisfied by a small meson
# project in subprojects/ backed by a Debian library, and one bug is patched (patches/*.patch).
#
# Usage: infra/mediasoup/build-worker.sh [--key]   (--key: print the cache key and exit)
# Needs (Debian): meson >= 1.1 (bookworm-backports), ninja-build, pkg-config, g++, libuv1-dev,
#   libssl-dev, libsrtp2-dev, libflatbuffers-dev, flatbuffers-compiler, patch.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PKG="${MEDIASOUP_PKG_DIR:-$ROOT/node_modules/mediasoup}"
CACHE="${MEDIASOUP_WORKER_CACHE:-$ROOT/.tools/mediasoup-worker}"

log() { printf '\033[1m[mediasoup-worker]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[mediasoup-worker] %s\033[0m\n' "$*" >&2; exit 1; }

[ -f "$PKG/package.json" ] && [ -f "$PKG/worker/meson.build" ] \
  || die "mediasoup npm package not found at $PKG (run npm install first)"
VERSION="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -1)"
[ -n "$VERSION" ] || die "cannot read the mediasoup version from $PKG/package.json"
HASH="$(cd "$HERE" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
KEY="$VERSION-$HASH"
if [ "${1:-}" = "--key" ]; then echo "$KEY"; exit 0; fi

OUT="$CACHE/$KEY"
BIN="$OUT/mediasoup-worker"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

# Say everything that is missing at once, with the Debian package that provides it.
missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt-get install $2)"); }
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing+=("pkg-config module $1 (apt-get install $2)"); }
need_cmd meson "-t bookworm-backports meson"
need_cmd ninja ninja-build
need_cmd pkg-config pkg-config
need_cmd c++ g++
need_cmd cc gcc
need_cmd flatc flatbuffers-compiler
need_cmd patch patch
if command -v pkg-config >/dev/null 2>&1; then
  need_pc libuv libuv1-dev
  need_pc libssl libssl-dev
  need_pc libcrypto libssl-dev
  need_pc libsrtp2 libsrtp2-dev
  need_pc flatbuffers libflatbuffers-dev
fi
if command -v meson >/dev/null 2>&1; then
  mv="$(meson --version)"
  [ "$(printf '%s\n1.1.0\n' "$mv" | sort -V | head -1)" = 1.1.0 ] \
    || missing+=("meson >= 1.1 (found $mv; apt-get install -t bookworm-backports meson)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  die "cannot build the mediasoup $VERSION worker, missing: $(printf '%s; ' "${missing[@]}")"
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi # built by a concurrent caller meanwhile

WORK="$CACHE/build-$KEY"
rm -rf "$WORK"
mkdir -p "$WORK"
log "building mediasoup $VERSION worker (key $KEY, takes a few minutes) in $WORK"
cp -a "$PKG/worker" "$WORK/worker"
for p in "$HERE"/patches/*.patch; do
  (cd "$WORK" && patch -p1 --forward --quiet < "$p") || die "patch $(basename "$p") does not apply to mediasoup $VERSION"
done

# Each wrap names the directory meson looks in; put the matching stand-in there.
SUB="$WORK/worker/subprojects"
wrap_dir() { sed -n 's/^directory[[:space:]]*=[[:space:]]*//p' "$SUB/$1.wrap"; }
for pair in libuv:libuv openssl:openssl flatbuffers:flatbuffers libsrtp3:libsrtp3 unordered-dense:unordered_dense; do
  wrap="${pair%%:*}" shim="${pair##*:}"
  [ -f "$SUB/$wrap.wrap" ] || die "mediasoup $VERSION has no subprojects/$wrap.wrap; the stand-ins need updating"
  dir="$(wrap_dir "$wrap")"
  rm -rf "${SUB:?}/$dir"
  cp -a "$HERE/subprojects/$shim" "$SUB/$dir"
  cp "$HERE/subprojects/empty.c" "$SUB/$dir/empty.c" # meson forbids reaching outside a subproject
done

# -Dms_use_builtin_bwe=true: mediasoup's own bandwidth estimator instead of the libwebrtc one,
# which would need abseil (another subproject) for no benefit to this service.
(cd "$WORK/worker" \
  && meson setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true -Dms_use_builtin_bwe=true \
       out/Release >&2 \
  && ninja -C out/Release -j "$(nproc)" mediasoup-worker >&2) \
  || die "worker build failed (log above); build tree kept in $WORK"

mkdir -p "$OUT.partial"
cp "$WORK/worker/out/Release/mediasoup-worker" "$OUT.partial/mediasoup-worker"
rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
rm -rf "$WORK"
log "built $BIN"
echo "$BIN"
