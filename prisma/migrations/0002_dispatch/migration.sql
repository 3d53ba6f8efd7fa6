-- Incidents, alerts and dispatch of backup (issue 7).

-- Per-tenant policy: which events open an incident by themselves, when an unacknowledged alert
-- escalates, how long a device has to answer a dispatch request.
ALTER TABLE "tenants"
  ADD COLUMN "auto_incident_on" TEXT[] NOT NULL DEFAULT ARRAY['emergency', 'recording'],
  ADD COLUMN "alert_escalate_after_s" INTEGER NOT NULL DEFAULT 60 CHECK ("alert_escalate_after_s" >= 5),
  ADD COLUMN "dispatch_answer_timeout_s" INTEGER NOT NULL DEFAULT 60 CHECK ("dispatch_answer_timeout_s" >= 5);

CREATE TYPE "IncidentKind" AS ENUM ('emergency', 'recording', 'manual');
CREATE TYPE "IncidentStatus" AS ENUM ('open', 'closed');
CREATE TYPE "DispatchState" AS ENUM ('sent', 'delivered', 'accepted', 'en_route', 'on_scene', 'declined', 'timeout', 'cancelled');

-- Incident numbers run per tenant and year ("2026-0042"); the counter row is locked by the UPSERT.
CREATE TABLE "incident_counters" (
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "year" INTEGER NOT NULL,
  "last" INTEGER NOT NULL,
  PRIMARY KEY ("tenant_id", "year")
);

CREATE TABLE "incidents" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "number" TEXT NOT NULL,
  "kind" "IncidentKind" NOT NULL,
  "status" "IncidentStatus" NOT NULL DEFAULT 'open',
  "priority" SMALLINT NOT NULL CHECK ("priority" BETWEEN 1 AND 3),
  "unit_id" UUID REFERENCES "units"("id") ON DELETE RESTRICT,
  "device_id" UUID REFERENCES "devices"("id") ON DELETE RESTRICT,
  "lat" DOUBLE PRECISION,
  "lng" DOUBLE PRECISION,
  "summary" TEXT NOT NULL DEFAULT '',
  "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "opened_by" UUID REFERENCES "users"("id") ON DELETE RESTRICT,
  "closed_at" TIMESTAMPTZ(3),
  "closed_by" UUID REFERENCES "users"("id") ON DELETE RESTRICT,
  "outcome" TEXT,
  UNIQUE ("tenant_id", "number"),
  CHECK (("status" = 'closed') = ("closed_at" IS NOT NULL))
);
-- A unit in trouble has at most one open automatic incident: a second trigger (recording, then the
-- emergency button) joins it instead of opening another.
CREATE UNIQUE INDEX "incidents_one_open_auto_per_device" ON "incidents"("device_id")
  WHERE "status" = 'open' AND "kind" <> 'manual';
CREATE INDEX "incidents_tenant_status_idx" ON "incidents"("tenant_id", "status", "opened_at");

-- The incident's timeline: every stage change, alert, acknowledgement, dispatch step and note.
CREATE TABLE "incident_events" (
  "id" BIGSERIAL PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "incident_id" UUID NOT NULL REFERENCES "incidents"("id") ON DELETE RESTRICT,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "kind" TEXT NOT NULL,
  "actor_id" UUID REFERENCES "users"("id") ON DELETE RESTRICT,
  "text" TEXT NOT NULL
);
CREATE INDEX "incident_events_incident_idx" ON "incident_events"("incident_id", "id");

CREATE TABLE "alerts" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "incident_id" UUID NOT NULL REFERENCES "incidents"("id") ON DELETE RESTRICT,
  "kind" "IncidentKind" NOT NULL,
  "raised_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "acknowledged_at" TIMESTAMPTZ(3),
  "acknowledged_by" UUID REFERENCES "users"("id") ON DELETE RESTRICT,
  "escalation_level" INTEGER NOT NULL DEFAULT 0,
  "escalated_at" TIMESTAMPTZ(3)
);
CREATE INDEX "alerts_unacknowledged_idx" ON "alerts"("raised_at") WHERE "acknowledged_at" IS NULL;
CREATE INDEX "alerts_incident_idx" ON "alerts"("incident_id");

CREATE TABLE "dispatch_requests" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "incident_id" UUID NOT NULL REFERENCES "incidents"("id") ON DELETE RESTRICT,
  "unit_id" UUID NOT NULL REFERENCES "units"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "state" "DispatchState" NOT NULL DEFAULT 'sent',
  "requested_by" UUID NOT NULL REFERENCES "users"("id") ON DELETE RESTRICT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "distance_m" REAL NOT NULL,
  "eta_s" REAL NOT NULL,
  "mode" TEXT NOT NULL,
  "note" TEXT NOT NULL DEFAULT '',
  "decline_reason" TEXT
);
-- Two supervisors dispatching the same unit at once: the second INSERT fails here, exactly one wins.
CREATE UNIQUE INDEX "dispatch_requests_one_active_per_unit" ON "dispatch_requests"("unit_id")
  WHERE "state" IN ('sent', 'delivered', 'accepted', 'en_route');
CREATE INDEX "dispatch_requests_incident_idx" ON "dispatch_requests"("incident_id");
CREATE INDEX "dispatch_requests_pending_idx" ON "dispatch_requests"("expires_at") WHERE "state" IN ('sent', 'delivered');
