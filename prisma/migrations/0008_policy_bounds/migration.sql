-- Per-tenant policies get an administration screen (issue: policies only settable in SQL). The
-- database now refuses what the screen refuses, so SQL by hand cannot go beyond the law either.
--
-- Retention: recordings are deleted after at most 14 days unless kept as evidence. A longer period
-- set before is clamped to 14, and the deletion time of that tenant's standard recordings moves
-- forward exactly as a shortening from the screen does (lagebild_shorten_retention below).

-- Moves the deletion time of a tenant's not-yet-deleted `standard` recordings forward to fit a
-- shorter period: least(current time, started_at + days + approved four-eyes extension days), and a
-- recording released from evidence keeps the one day of grace its release gave it. Never later than
-- before; evidence and legal hold (delete_at NULL) are untouched. Returns how many rows moved.
CREATE FUNCTION "lagebild_shorten_retention"("tenant" UUID, "days" INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  moved INTEGER;
BEGIN
  UPDATE "recordings" r
     SET "delete_at" = n."due"
    FROM (
      SELECT r2."id",
             greatest(
               r2."started_at" + make_interval(days => "days" + coalesce((
                 SELECT sum(a."extend_days")::int FROM "recording_approvals" a
                  WHERE a."recording_id" = r2."id" AND a."action" = 'extension' AND a."state" = 'approved'), 0)),
               coalesce(r2."retention_at" + interval '1 day', '-infinity'::timestamptz)
             ) AS "due"
        FROM "recordings" r2
       WHERE r2."tenant_id" = "tenant" AND r2."retention" = 'standard' AND r2."state" <> 'deleted'
         AND r2."delete_at" IS NOT NULL
    ) n
   WHERE r."id" = n."id" AND n."due" < r."delete_at";
  GET DIAGNOSTICS moved = ROW_COUNT;
  RETURN moved;
END $$;

SELECT "lagebild_shorten_retention"("id", 14) FROM "tenants" WHERE "retention_days" > 14;
UPDATE "tenants" SET "retention_days" = 14 WHERE "retention_days" > 14;

-- Pre-recording (0 = off … 120 s) is already bounded by 0007. Alert escalation and the answer time
-- of a dispatch request had a lower bound only (5 s); an hour and ten minutes are the upper ends a
-- control room can still call "unanswered" / "escalating".
UPDATE "tenants" SET "alert_escalate_after_s" = 3600 WHERE "alert_escalate_after_s" > 3600;
UPDATE "tenants" SET "dispatch_answer_timeout_s" = 600 WHERE "dispatch_answer_timeout_s" > 600;

-- Automatic incidents can only be triggered by an emergency or a recording; anything else in the
-- array was never read. Duplicates and unknown values go.
UPDATE "tenants" SET "auto_incident_on" = ARRAY(
    SELECT k FROM unnest(ARRAY['emergency', 'recording']) k WHERE k = ANY ("auto_incident_on"))
  WHERE NOT ("auto_incident_on" <@ ARRAY['emergency', 'recording']::TEXT[])
     OR cardinality("auto_incident_on") <> (SELECT count(DISTINCT x) FROM unnest("auto_incident_on") x);

ALTER TABLE "tenants"
  ADD CONSTRAINT "tenants_retention_days_max_14" CHECK ("retention_days" BETWEEN 1 AND 14),
  ADD CONSTRAINT "tenants_alert_escalate_after_s_range" CHECK ("alert_escalate_after_s" BETWEEN 5 AND 3600),
  ADD CONSTRAINT "tenants_dispatch_answer_timeout_s_range" CHECK ("dispatch_answer_timeout_s" BETWEEN 5 AND 600),
  ADD CONSTRAINT "tenants_auto_incident_on_known" CHECK ("auto_incident_on" <@ ARRAY['emergency', 'recording']::TEXT[]);
