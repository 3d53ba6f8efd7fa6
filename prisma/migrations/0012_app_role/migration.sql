-- The application's database role (issue 13): gateway and SFU connect as `lagebild_app`, a login
-- role that owns nothing, so it can neither disable the audit log's triggers (ALTER TABLE needs the
-- owner) nor change the schema. Migrations and the seed run as the owner. The deployment creates
-- the login role and its password (docs/operations.md, "Deploying"; `npm start` and the test stack
-- do it themselves); this migration only grants, per table, what the gateway's and the SFU's
-- statements need. A later migration that adds a table grants the app role what it needs there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagebild_app') THEN
    RAISE EXCEPTION 'role lagebild_app does not exist: create the application''s login role first (docs/operations.md, Deploying)';
  END IF;
END $$;

-- Nothing beyond what is granted here: no tables of its own, no TRUNCATE, no REFERENCES/TRIGGER.
-- (PostgreSQL 15+ no longer lets PUBLIC create in schema public; older servers did.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO "lagebild_app";

-- Read only.
GRANT SELECT ON "units" TO "lagebild_app";

-- Read and change, per the statements that change them.
GRANT SELECT, UPDATE ON "tenants", "shifts" TO "lagebild_app";                 -- policies; unit sign-off
GRANT SELECT, INSERT, DELETE ON "sessions" TO "lagebild_app";                 -- login, logout, sweeper
-- the sweeper locks the rows it takes (FOR UPDATE … SKIP LOCKED), which needs UPDATE on one column;
-- the application never updates a session, and a changed token hash only ends one
GRANT UPDATE ("token_hash") ON "sessions" TO "lagebild_app";
GRANT SELECT, INSERT, UPDATE ON "users" TO "lagebild_app";                    -- users page (issue 15)
GRANT SELECT, INSERT, UPDATE ON "devices" TO "lagebild_app";                  -- enrolment, revocation
GRANT SELECT, INSERT ON "status_events", "stage_changes", "incident_events", "episode_reports"
  TO "lagebild_app";
GRANT SELECT, INSERT, UPDATE ON "incident_counters", "incidents", "alerts", "dispatch_requests",
  "episode_cursors", "recordings", "recording_approvals" TO "lagebild_app";
GRANT SELECT, INSERT, UPDATE, DELETE ON "episodes", "episode_dirty" TO "lagebild_app"; -- derivation
GRANT SELECT, INSERT, DELETE ON "baseline_periods" TO "lagebild_app";
-- written by the trigger on shifts (lagebild_shift_hours runs with the caller's rights)
GRANT SELECT, INSERT, UPDATE ON "officer_hours" TO "lagebild_app";

-- The audit trail: append and read; the head row is moved by every append. No UPDATE or DELETE on
-- entries and checkpoints (0005 revoked them; the triggers refuse them even for the owner).
GRANT SELECT, INSERT ON "audit_log", "audit_checkpoints" TO "lagebild_app";
GRANT SELECT, UPDATE ON "audit_head" TO "lagebild_app";

GRANT USAGE ON SEQUENCE "status_events_id_seq", "stage_changes_id_seq", "incident_events_id_seq",
  "episodes_id_seq" TO "lagebild_app";

-- Pruning payloads past the legal period is the one change to audit rows there is; the app may not
-- UPDATE audit_log, so the function runs with its owner's rights (and the trigger still checks each
-- row). A fixed search_path, so a caller cannot slip in its own "audit_log".
ALTER FUNCTION "audit_prune_payloads"() SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION "audit_prune_payloads"() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit_prune_payloads"() TO "lagebild_app";
-- lagebild_shorten_retention runs with the caller's rights (UPDATE on recordings is granted above).
GRANT EXECUTE ON FUNCTION "lagebild_shorten_retention"(UUID, INTEGER), "lagebild_hour_slices"(TIMESTAMPTZ, TIMESTAMPTZ)
  TO "lagebild_app";
