-- Key custody (issue 13). Each recording's data key is wrapped under a key-encryption key in the
-- HSM that belongs to its deletion day (`day-YYYY-MM-DD`, per tenant) or to the tenant's evidence
-- key (`evidence-N`); `recordings.kek_id` names it from the start of the recording. The retention
-- sweeper destroys a day's key inside the module once none of the tenant's recordings still needs
-- it (the index below answers that), and remembers here which keys it destroyed and when, for the
-- key inventory (`npm run keys -- list`). The key material itself is never in the database.

CREATE INDEX "recordings_tenant_kek_idx" ON "recordings" ("tenant_id", "kek_id");

CREATE TABLE "destroyed_keys" (
  "tenant_id" UUID NOT NULL,
  "kek_id" TEXT NOT NULL,
  "destroyed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "destroyed_keys_pkey" PRIMARY KEY ("tenant_id", "kek_id")
);

-- the sweeper (gateway) records what it destroyed; nothing updates or deletes these rows
GRANT SELECT, INSERT ON "destroyed_keys" TO "lagebild_app";
