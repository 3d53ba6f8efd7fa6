-- Lagebild initial schema: tenants, users and sessions, devices, units and shifts, status events,
-- stage changes. Every row that belongs to a municipality carries tenant_id.

CREATE TYPE "Role" AS ENUM ('admin', 'supervisor', 'operator', 'evaluator');
CREATE TYPE "Stage" AS ENUM ('standby', 'display', 'recording');
CREATE TYPE "DeviceState" AS ENUM ('active', 'revoked');

CREATE TABLE "tenants" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "slug" TEXT NOT NULL UNIQUE,
  "name" TEXT NOT NULL,
  "center_lat" DOUBLE PRECISION NOT NULL,
  "center_lng" DOUBLE PRECISION NOT NULL,
  "zoom" INTEGER NOT NULL DEFAULT 14,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE "users" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "username" TEXT NOT NULL UNIQUE,
  "display_name" TEXT NOT NULL,
  "role" "Role" NOT NULL,
  "password_hash" TEXT NOT NULL,
  "disabled_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "users_tenant_id_idx" ON "users"("tenant_id");

-- Only the SHA-256 of the session token is stored: a database leak does not hand out sessions.
CREATE TABLE "sessions" (
  "token_hash" TEXT PRIMARY KEY,
  "user_id" UUID NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "ip" TEXT,
  "user_agent" TEXT
);
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- Device secrets are 256-bit random values, so a fast hash (SHA-256) is as safe as a slow one here
-- and lets thousands of cameras reconnect at once; passwords, being guessable, use argon2id.
CREATE TABLE "devices" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "label" TEXT NOT NULL,
  "secret_hash" TEXT NOT NULL,
  "state" "DeviceState" NOT NULL DEFAULT 'active',
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "revoked_at" TIMESTAMPTZ(3),
  "last_seen_at" TIMESTAMPTZ(3),
  UNIQUE ("tenant_id", "label")
);

CREATE TABLE "units" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "callsign" TEXT NOT NULL,
  "team" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  UNIQUE ("tenant_id", "callsign")
);

-- A shift binds a unit to the device it wears for a period; an open shift has ended_at NULL.
CREATE TABLE "shifts" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "unit_id" UUID NOT NULL REFERENCES "units"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "ended_at" TIMESTAMPTZ(3),
  CHECK ("ended_at" IS NULL OR "ended_at" >= "started_at")
);
CREATE UNIQUE INDEX "shifts_one_open_per_device" ON "shifts"("device_id") WHERE "ended_at" IS NULL;
CREATE UNIQUE INDEX "shifts_one_open_per_unit" ON "shifts"("unit_id") WHERE "ended_at" IS NULL;
CREATE INDEX "shifts_tenant_started_idx" ON "shifts"("tenant_id", "started_at");

-- Every acknowledged status event. (device_id, seq) is the idempotency key: a resend is a no-op.
CREATE TABLE "status_events" (
  "id" BIGSERIAL PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "seq" BIGINT NOT NULL,
  "device_time" TIMESTAMPTZ(3) NOT NULL,
  "received_at" TIMESTAMPTZ(3) NOT NULL,
  "lat" DOUBLE PRECISION,
  "lng" DOUBLE PRECISION,
  "accuracy_m" REAL,
  "heading_deg" REAL,
  "speed_mps" REAL,
  "battery_pct" SMALLINT NOT NULL,
  "signal_bars" SMALLINT NOT NULL,
  "network" TEXT NOT NULL,
  "stage" "Stage" NOT NULL,
  "announced" BOOLEAN,
  "unannounced_reason" TEXT,
  "emergency" BOOLEAN NOT NULL,
  "late" BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX "status_events_device_seq_key" ON "status_events"("device_id", "seq");
CREATE INDEX "status_events_tenant_time_idx" ON "status_events"("tenant_id", "device_time");

-- Transitions of the live stage in seq order, as the gateway saw them (late events never create one).
CREATE TABLE "stage_changes" (
  "id" BIGSERIAL PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "unit_id" UUID REFERENCES "units"("id") ON DELETE RESTRICT,
  "seq" BIGINT NOT NULL,
  "from_stage" "Stage",
  "to_stage" "Stage" NOT NULL,
  "emergency" BOOLEAN NOT NULL,
  "announced" BOOLEAN,
  "unannounced_reason" TEXT,
  "device_time" TIMESTAMPTZ(3) NOT NULL,
  "received_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX "stage_changes_device_seq_key" ON "stage_changes"("device_id", "seq");
CREATE INDEX "stage_changes_tenant_time_idx" ON "stage_changes"("tenant_id", "device_time");
CREATE INDEX "stage_changes_unit_time_idx" ON "stage_changes"("unit_id", "device_time");
