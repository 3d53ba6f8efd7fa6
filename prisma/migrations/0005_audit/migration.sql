-- Audit log (issue #6): append-only, hash-chained, with signed checkpoints.
-- hash = SHA-256 of the canonical JSON of (seq, tenant, at, actor, action, target, reason, recipient,
-- payload_hash, prev_hash); the chain is computed by the appender (packages/audit) under the lock
-- of the single head row, so concurrent gateways keep one chain. payload_hash stays when the
-- payload is pruned after the legal period, so the chain still verifies.

CREATE TABLE "audit_log" (
  "seq" BIGINT PRIMARY KEY,
  "tenant_id" UUID,
  "at" TIMESTAMPTZ(3) NOT NULL,
  "actor" TEXT,
  "action" TEXT NOT NULL,
  "target" TEXT,
  "reason" TEXT,
  "recipient" TEXT,
  "payload" JSONB,
  "payload_hash" TEXT NOT NULL,
  "prev_hash" TEXT NOT NULL,
  "hash" TEXT NOT NULL UNIQUE
);
CREATE INDEX "audit_log_tenant_at_idx" ON "audit_log"("tenant_id", "at");
CREATE INDEX "audit_log_target_idx" ON "audit_log"("target");

-- The chain head: one row, locked FOR UPDATE by every append.
CREATE TABLE "audit_head" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "checkpoint_seq" BIGINT NOT NULL DEFAULT 0,
  "checkpoint_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
INSERT INTO "audit_head" ("id", "seq", "hash")
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Ed25519 signatures over canonical JSON {format, seq, hash, at}; an outside party keeps copies.
CREATE TABLE "audit_checkpoints" (
  "seq" BIGINT PRIMARY KEY,
  "hash" TEXT NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL,
  "statement" TEXT NOT NULL,
  "signature" TEXT NOT NULL,
  "signing_key" TEXT NOT NULL
);

-- Only one change is ever allowed: nulling the payload of an entry whose legal period has ended
-- (the end of the year after the one it was written in), everything else untouched.
CREATE FUNCTION "audit_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- nested IFs: plpgsql does not short-circuit, and audit_checkpoints has no payload column
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log' THEN
    IF NEW.payload IS NULL AND OLD.payload IS NOT NULL
       AND OLD.at < date_trunc('year', now()) - interval '1 year'
       AND (NEW.seq, NEW.tenant_id, NEW.at, NEW.actor, NEW.action, NEW.target, NEW.reason, NEW.recipient,
            NEW.payload_hash, NEW.prev_hash, NEW.hash)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.tenant_id, OLD.at, OLD.actor, OLD.action, OLD.target, OLD.reason, OLD.recipient,
            OLD.payload_hash, OLD.prev_hash, OLD.hash) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();

-- Pruning after the legal period: the only sanctioned way to change audit rows.
CREATE FUNCTION "audit_prune_payloads"() RETURNS BIGINT LANGUAGE sql AS $$
  WITH pruned AS (
    UPDATE "audit_log" SET "payload" = NULL
     WHERE "payload" IS NOT NULL AND "at" < date_trunc('year', now()) - interval '1 year'
     RETURNING 1)
  SELECT count(*) FROM pruned
$$;

-- Privileges: nobody but the owner may change audit rows; an application role (created by the
-- deployment, see README) gets SELECT and INSERT only. Triggers bind even the owner.
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_log", "audit_checkpoints" FROM PUBLIC;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagebild_app') THEN
    CREATE ROLE "lagebild_app" NOLOGIN;
  END IF;
  GRANT SELECT, INSERT ON "audit_log", "audit_checkpoints" TO "lagebild_app";
  GRANT SELECT, UPDATE ON "audit_head" TO "lagebild_app";
  REVOKE UPDATE, DELETE, TRUNCATE ON "audit_log", "audit_checkpoints" FROM "lagebild_app";
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'lagebild_app role not created (no CREATEROLE); grant SELECT, INSERT on audit tables yourself';
END $$;
