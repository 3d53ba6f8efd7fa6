-- The evaluator's episode counts pre-aggregated per tenant, local week and value of one dimension
-- (issue 17: every statistics view over 500,000 episodes in under 100 ms). Every statistics period is
-- widened to whole ISO months, which are whole weeks (Monday to Sunday), so a period is a set of
-- local weeks; and a query has at most one filter, and groups at most by that same dimension (a
-- breakdown, the heat map) or by week (the series). So one row per (week, dimension, value) answers
-- every view, and the disclosure control's per-week counts over the whole history are these rows too.
--
-- * `dim` is 'all' (value ''), 'team', 'context', 'weekday', 'hour' or 'cell'; `value` is spelt as the
--   disclosure control spells it (gateway/src/stats/queries/protection.ts, EPISODE_VALUE): no team
--   '', no context 'unreported', no position 'none', a cell 'row:col'.
-- * Only closed episodes count, as in every view. The counts are those of the views' select list
--   (gateway/src/stats/queries/episode-counts.ts, COUNTS_SQL); all of them add up over weeks.
-- * Maintained by statement triggers on `episodes` in the same transaction as every write (the
--   builder's delete and insert, attaching reports, seeds): one upsert per statement of the summed
--   differences, in key order so that concurrent builders lock rows in the same order; a difference
--   of zero (a report attached again, an episode replaced by the same one) writes nothing. A row whose
--   counts went back to zero stays; the queries read rows with episodes > 0 only.
-- * The display → recording percentiles do not add up; they are read from `episodes` through a
--   partial covering index of the escalated episodes (the only ones they look at).

CREATE TABLE "episode_week_counts" (
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "dim" TEXT NOT NULL CHECK ("dim" IN ('all', 'team', 'context', 'weekday', 'hour', 'cell')),
  "local_week" DATE NOT NULL,
  "value" TEXT NOT NULL,
  "episodes" INTEGER NOT NULL,
  "display" INTEGER NOT NULL,
  "display_then_recording" INTEGER NOT NULL,
  "direct_recording" INTEGER NOT NULL,
  "recordings" INTEGER NOT NULL,
  "deescalated" INTEGER NOT NULL,
  "verbal" INTEGER NOT NULL,
  "physical" INTEGER NOT NULL,
  "announced" INTEGER NOT NULL,
  "reported" INTEGER NOT NULL,
  PRIMARY KEY ("tenant_id", "dim", "local_week", "value")
);

-- The rows of `src` (a select of episode rows with a leading `sign` of 1 or -1) summed into the counts.
CREATE FUNCTION "lagebild_episode_week_counts_sql"("src" TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($q$
    INSERT INTO "episode_week_counts" AS c ("tenant_id", "dim", "local_week", "value", "episodes", "display",
      "display_then_recording", "direct_recording", "recordings", "deescalated", "verbal", "physical",
      "announced", "reported")
    SELECT * FROM (
      SELECT e."tenant_id", d."dim", e."local_week", d."value",
             sum(e."sign")::int AS "episodes",
             sum(CASE WHEN e."display_first" THEN e."sign" ELSE 0 END)::int AS "display",
             sum(CASE WHEN e."display_first" AND e."recording_at" IS NOT NULL THEN e."sign" ELSE 0 END)::int AS "display_then_recording",
             sum(CASE WHEN NOT e."display_first" AND e."recording_at" IS NOT NULL THEN e."sign" ELSE 0 END)::int AS "direct_recording",
             sum(CASE WHEN e."recording_at" IS NOT NULL THEN e."sign" ELSE 0 END)::int AS "recordings",
             sum(CASE WHEN e."display_first" AND e."recording_at" IS NULL
                           AND e."assault" IS DISTINCT FROM 'verbal'
                           AND e."assault" IS DISTINCT FROM 'physical' THEN e."sign" ELSE 0 END)::int AS "deescalated",
             sum(CASE WHEN e."assault" = 'verbal' THEN e."sign" ELSE 0 END)::int AS "verbal",
             sum(CASE WHEN e."assault" = 'physical' THEN e."sign" ELSE 0 END)::int AS "physical",
             sum(CASE WHEN e."recording_at" IS NOT NULL AND e."announced" THEN e."sign" ELSE 0 END)::int AS "announced",
             sum(CASE WHEN e."report_id" IS NOT NULL THEN e."sign" ELSE 0 END)::int AS "reported"
        FROM (%s) e,
             LATERAL (VALUES ('all', ''),
                             ('team', COALESCE(e."team", '')),
                             ('context', COALESCE(e."context"::text, 'unreported')),
                             ('weekday', e."local_weekday"::text),
                             ('hour', e."local_hour"::text),
                             ('cell', COALESCE(e."cell_row"::text || ':' || e."cell_col"::text, 'none'))) d("dim", "value")
       WHERE e."closed"
       GROUP BY 1, 2, 3, 4) s
     -- a difference of zero in every count writes nothing
     WHERE (s."episodes", s."display", s."display_then_recording", s."direct_recording", s."recordings",
            s."deescalated", s."verbal", s."physical", s."announced", s."reported") <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
     ORDER BY 1, 2, 3, 4
    ON CONFLICT ("tenant_id", "dim", "local_week", "value") DO UPDATE SET
      "episodes" = c."episodes" + EXCLUDED."episodes",
      "display" = c."display" + EXCLUDED."display",
      "display_then_recording" = c."display_then_recording" + EXCLUDED."display_then_recording",
      "direct_recording" = c."direct_recording" + EXCLUDED."direct_recording",
      "recordings" = c."recordings" + EXCLUDED."recordings",
      "deescalated" = c."deescalated" + EXCLUDED."deescalated",
      "verbal" = c."verbal" + EXCLUDED."verbal",
      "physical" = c."physical" + EXCLUDED."physical",
      "announced" = c."announced" + EXCLUDED."announced",
      "reported" = c."reported" + EXCLUDED."reported"
  $q$, "src")
$f$;

-- The statement's transition tables as signed rows: inserted +1, deleted -1, updated both. Most of
-- the builder's statements touch no closed episode (a device in standby re-derived to nothing, an
-- episode still open): those return at once, without the aggregate.
CREATE FUNCTION "lagebild_episode_week_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM "new_rows" n WHERE n."closed") THEN RETURN NULL; END IF;
    EXECUTE "lagebild_episode_week_counts_sql"('SELECT 1 AS "sign", n.* FROM "new_rows" n');
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM "old_rows" o WHERE o."closed") THEN RETURN NULL; END IF;
    EXECUTE "lagebild_episode_week_counts_sql"('SELECT -1 AS "sign", o.* FROM "old_rows" o');
  ELSE
    IF NOT EXISTS (SELECT 1 FROM "new_rows" n WHERE n."closed")
       AND NOT EXISTS (SELECT 1 FROM "old_rows" o WHERE o."closed") THEN
      RETURN NULL;
    END IF;
    EXECUTE "lagebild_episode_week_counts_sql"(
      'SELECT 1 AS "sign", n.* FROM "new_rows" n UNION ALL SELECT -1 AS "sign", o.* FROM "old_rows" o');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "episodes_week_counts_insert" AFTER INSERT ON "episodes"
  REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lagebild_episode_week_counts"();
CREATE TRIGGER "episodes_week_counts_update" AFTER UPDATE ON "episodes"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT
  EXECUTE FUNCTION "lagebild_episode_week_counts"();
CREATE TRIGGER "episodes_week_counts_delete" AFTER DELETE ON "episodes"
  REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lagebild_episode_week_counts"();

-- Episodes derived before this migration.
DO $$
BEGIN
  EXECUTE "lagebild_episode_week_counts_sql"('SELECT 1 AS "sign", x.* FROM "episodes" x');
END $$;

-- The display → recording percentiles of the summary: an index-only scan of the escalated episodes.
CREATE INDEX "episodes_tenant_day_escalated_idx" ON "episodes"("tenant_id", "local_day")
  INCLUDE ("team", "context", "local_weekday", "local_hour", "display_at", "recording_at")
  WHERE "closed" AND "display_first" AND "recording_at" IS NOT NULL;

-- written by the triggers on episodes (they run with the caller's rights); read by the views
GRANT SELECT, INSERT, UPDATE ON "episode_week_counts" TO "lagebild_app";
GRANT EXECUTE ON FUNCTION "lagebild_episode_week_counts_sql"(TEXT) TO "lagebild_app";
