-- Recordings and retention (issue #6). The video itself lives encrypted in the vault store; these
-- rows hold what the library, the sweeper and the statistics need, and outlive the video (metadata
-- is kept after deletion, with the signed deletion receipt).

CREATE TYPE "RetentionClass" AS ENUM ('standard', 'evidence', 'legal_hold');
CREATE TYPE "RecordingState" AS ENUM ('recording', 'complete', 'incomplete', 'deleted');
CREATE TYPE "ApprovalState" AS ENUM ('pending', 'approved', 'rejected');

ALTER TABLE "tenants" ADD COLUMN "retention_days" INTEGER NOT NULL DEFAULT 14
  CHECK ("retention_days" BETWEEN 1 AND 3650);

CREATE TABLE "recordings" (
  "id" UUID PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "unit_id" UUID REFERENCES "units"("id") ON DELETE RESTRICT,
  "incident_id" UUID REFERENCES "incidents"("id") ON DELETE RESTRICT,
  "started_at" TIMESTAMPTZ(3) NOT NULL,
  "stopped_at" TIMESTAMPTZ(3),
  "prerecord_s" REAL NOT NULL DEFAULT 0,
  "media_type" TEXT NOT NULL DEFAULT 'video/webm',
  "bytes" BIGINT NOT NULL DEFAULT 0,
  "state" "RecordingState" NOT NULL DEFAULT 'recording',
  "retention" "RetentionClass" NOT NULL DEFAULT 'standard',
  "retention_reason" TEXT,
  "case_reference" TEXT,
  "retention_by" UUID,
  "retention_at" TIMESTAMPTZ(3),
  -- when the sweeper deletes it; NULL while held. Set from the tenant's period at creation,
  -- moved only by a four-eyes extension or a release.
  "delete_at" TIMESTAMPTZ(3),
  "kek_id" TEXT,
  "manifest_sha256" TEXT,
  "plaintext_sha256" TEXT,
  "ciphertext_sha256" TEXT,
  "deleted_at" TIMESTAMPTZ(3),
  "deletion_receipt" TEXT,
  "deletion_signature" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CHECK ("retention" = 'standard' OR "delete_at" IS NULL),
  CHECK ("retention" = 'standard' OR ("retention_reason" IS NOT NULL AND "case_reference" IS NOT NULL))
);
CREATE INDEX "recordings_tenant_started_idx" ON "recordings"("tenant_id", "started_at" DESC);
CREATE INDEX "recordings_due_idx" ON "recordings"("delete_at")
  WHERE "retention" = 'standard' AND "state" IN ('complete', 'incomplete');

-- Four-eyes approvals (§ 15c PolG NRW): early deletion or keeping beyond the period.
CREATE TABLE "recording_approvals" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "recording_id" UUID NOT NULL REFERENCES "recordings"("id") ON DELETE RESTRICT,
  "action" TEXT NOT NULL CHECK ("action" IN ('early_deletion', 'extension')),
  "reason" TEXT NOT NULL,
  "extend_days" INTEGER,
  "requested_by" UUID NOT NULL REFERENCES "users"("id") ON DELETE RESTRICT,
  "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "state" "ApprovalState" NOT NULL DEFAULT 'pending',
  "decided_by" UUID REFERENCES "users"("id") ON DELETE RESTRICT,
  "decided_at" TIMESTAMPTZ(3),
  "decision_reason" TEXT,
  CHECK ("decided_by" IS NULL OR "decided_by" <> "requested_by")
);
CREATE INDEX "recording_approvals_recording_idx" ON "recording_approvals"("recording_id");
CREATE UNIQUE INDEX "recording_approvals_one_pending" ON "recording_approvals"("recording_id", "action")
  WHERE "state" = 'pending';
