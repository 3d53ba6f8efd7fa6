#!/usr/bin/env bash
# Generates the Prisma client offline. The CLI wants a schema engine binary it would download;
# `generate` never runs it, so any existing file satisfies the check (see README, Database).
set -euo pipefail
cd "$(dirname "$0")"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
npx prisma generate --no-hints
