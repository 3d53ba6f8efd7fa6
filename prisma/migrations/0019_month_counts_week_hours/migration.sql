-- Two more roll-ups for the evaluator's views (issue 17: every view over 500,000 episodes in under
-- 100 ms warm), each kept in the same transaction as every write it sums, like 0018's.
--
-- 1. `episode_month_counts`: the closed episodes of `episode_week_counts` summed per ISO month (the
--    month of a week's Thursday, as the disclosure control and every snapped period count months;
--    stored as that month's first day). Every period is whole ISO months, so a count by dimension or
--    a total over a period reads one row per month instead of one per week, and the disclosure
--    control's per-month rows of a dimension are these rows too (the heat map: 667 grid cells × 12
--    months instead of × 53 weeks). Written by the same statement as the week counts: the episode
--    triggers of 0018 now run `lagebild_episode_counts_sql`, which sums the statement's signed rows
--    once per week and adds them to both tables (weeks first, then months, each in key order).
-- 2. `officer_week_hours`: the hourly `officer_hours` (kept by the trigger on shifts) summed per
--    local week and value of one dimension: 'all' (value ''), 'team', 'weekday', 'hour' (officer-hours
--    have no context). Kept by statement triggers on `officer_hours` itself, so every write to it (a
--    shift ended, changed or deleted, the bench's bulk fill) moves the weekly sums with it. Open shifts
--    are still added at query time. `officer_hours` stays the reference. The sums are NUMERIC, each
--    hourly value added as its numeric (float8 → numeric), so the weekly sum is exactly the sum of the
--    current hourly values however often they changed, and equals, to the last digit, the views'
--    sum over the hourly rows (which also sum in numeric): floats added in another order would not.

CREATE TABLE "episode_month_counts" (
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "dim" TEXT NOT NULL CHECK ("dim" IN ('all', 'team', 'context', 'weekday', 'hour', 'cell')),
  "iso_month" DATE NOT NULL CHECK (extract(day FROM "iso_month") = 1),
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
  PRIMARY KEY ("tenant_id", "dim", "iso_month", "value")
);

-- The rows of `src` (a select of episode rows with a leading `sign` of 1 or -1) summed into the week
-- counts and the month counts, in one statement (0018's select, its upsert, and the month upsert).
CREATE FUNCTION "lagebild_episode_counts_sql"("src" TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($q$
    WITH "s" AS (
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
       GROUP BY 1, 2, 3, 4
    ), "w" AS (
      INSERT INTO "episode_week_counts" AS c ("tenant_id", "dim", "local_week", "value", "episodes", "display",
        "display_then_recording", "direct_recording", "recordings", "deescalated", "verbal", "physical",
        "announced", "reported")
      SELECT * FROM "s"
       -- a difference of zero in every count writes nothing
       WHERE ("episodes", "display", "display_then_recording", "direct_recording", "recordings",
              "deescalated", "verbal", "physical", "announced", "reported") <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
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
    )
    INSERT INTO "episode_month_counts" AS c ("tenant_id", "dim", "iso_month", "value", "episodes", "display",
      "display_then_recording", "direct_recording", "recordings", "deescalated", "verbal", "physical",
      "announced", "reported")
    SELECT * FROM (
      SELECT "tenant_id", "dim", date_trunc('month', "local_week" + 3)::date AS "iso_month", "value",
             sum("episodes")::int, sum("display")::int, sum("display_then_recording")::int,
             sum("direct_recording")::int, sum("recordings")::int, sum("deescalated")::int, sum("verbal")::int,
             sum("physical")::int, sum("announced")::int, sum("reported")::int
        FROM "s" GROUP BY 1, 2, 3, 4) m("tenant_id", "dim", "iso_month", "value", "episodes", "display",
          "display_then_recording", "direct_recording", "recordings", "deescalated", "verbal", "physical",
          "announced", "reported")
     WHERE ("episodes", "display", "display_then_recording", "direct_recording", "recordings",
            "deescalated", "verbal", "physical", "announced", "reported") <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
     ORDER BY 1, 2, 3, 4
    ON CONFLICT ("tenant_id", "dim", "iso_month", "value") DO UPDATE SET
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

-- 0018's trigger function, now writing both tables through the function above.
CREATE OR REPLACE FUNCTION "lagebild_episode_week_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM "new_rows" n WHERE n."closed") THEN RETURN NULL; END IF;
    EXECUTE "lagebild_episode_counts_sql"('SELECT 1 AS "sign", n.* FROM "new_rows" n');
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM "old_rows" o WHERE o."closed") THEN RETURN NULL; END IF;
    EXECUTE "lagebild_episode_counts_sql"('SELECT -1 AS "sign", o.* FROM "old_rows" o');
  ELSE
    IF NOT EXISTS (SELECT 1 FROM "new_rows" n WHERE n."closed")
       AND NOT EXISTS (SELECT 1 FROM "old_rows" o WHERE o."closed") THEN
      RETURN NULL;
    END IF;
    EXECUTE "lagebild_episode_counts_sql"(
      'SELECT 1 AS "sign", n.* FROM "new_rows" n UNION ALL SELECT -1 AS "sign", o.* FROM "old_rows" o');
  END IF;
  RETURN NULL;
END $$;
DROP FUNCTION "lagebild_episode_week_counts_sql"(TEXT);

-- The months of the weeks counted before this migration.
INSERT INTO "episode_month_counts" ("tenant_id", "dim", "iso_month", "value", "episodes", "display",
  "display_then_recording", "direct_recording", "recordings", "deescalated", "verbal", "physical",
  "announced", "reported")
SELECT "tenant_id", "dim", date_trunc('month', "local_week" + 3)::date, "value", sum("episodes"), sum("display"),
       sum("display_then_recording"), sum("direct_recording"), sum("recordings"), sum("deescalated"),
       sum("verbal"), sum("physical"), sum("announced"), sum("reported")
  FROM "episode_week_counts"
 GROUP BY 1, 2, 3, 4;

CREATE TABLE "officer_week_hours" (
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "dim" TEXT NOT NULL CHECK ("dim" IN ('all', 'team', 'weekday', 'hour')),
  "local_week" DATE NOT NULL,
  "value" TEXT NOT NULL,
  "seconds" NUMERIC NOT NULL,
  PRIMARY KEY ("tenant_id", "dim", "local_week", "value")
);

-- The rows of `src` (hourly rows with a leading `sign` of 1 or -1) added to the weekly sums, in key order.
CREATE FUNCTION "lagebild_officer_week_hours_sql"("src" TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $f$
  SELECT format($q$
    INSERT INTO "officer_week_hours" AS w ("tenant_id", "dim", "local_week", "value", "seconds")
    SELECT * FROM (
      SELECT h."tenant_id", d."dim", h."local_week", d."value", sum(h."sign" * h."seconds"::numeric) AS "seconds"
        FROM (%s) h,
             LATERAL (VALUES ('all', ''), ('team', h."team"), ('weekday', h."local_weekday"::text),
                             ('hour', h."local_hour"::text)) d("dim", "value")
       GROUP BY 1, 2, 3, 4) s
     WHERE s."seconds" <> 0
     ORDER BY 1, 2, 3, 4
    ON CONFLICT ("tenant_id", "dim", "local_week", "value") DO UPDATE SET "seconds" = w."seconds" + EXCLUDED."seconds"
  $q$, "src")
$f$;

CREATE FUNCTION "lagebild_officer_week_hours"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE "lagebild_officer_week_hours_sql"('SELECT 1 AS "sign", n.* FROM "new_rows" n');
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE "lagebild_officer_week_hours_sql"('SELECT -1 AS "sign", o.* FROM "old_rows" o');
  ELSE
    EXECUTE "lagebild_officer_week_hours_sql"(
      'SELECT 1 AS "sign", n.* FROM "new_rows" n UNION ALL SELECT -1 AS "sign", o.* FROM "old_rows" o');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "officer_hours_week_insert" AFTER INSERT ON "officer_hours"
  REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lagebild_officer_week_hours"();
CREATE TRIGGER "officer_hours_week_update" AFTER UPDATE ON "officer_hours"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT
  EXECUTE FUNCTION "lagebild_officer_week_hours"();
CREATE TRIGGER "officer_hours_week_delete" AFTER DELETE ON "officer_hours"
  REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lagebild_officer_week_hours"();

-- Hours of the shifts ended before this migration.
DO $$
BEGIN
  EXECUTE "lagebild_officer_week_hours_sql"('SELECT 1 AS "sign", x.* FROM "officer_hours" x');
END $$;

-- written by the triggers (they run with the caller's rights); read by the views
GRANT SELECT, INSERT, UPDATE ON "episode_month_counts", "officer_week_hours" TO "lagebild_app";
GRANT EXECUTE ON FUNCTION "lagebild_episode_counts_sql"(TEXT), "lagebild_officer_week_hours_sql"(TEXT)
  TO "lagebild_app";
