-- Evaluation (issue #8): episodes derived from status events, officers' reports, baseline periods,
-- and officer-hours pre-aggregated per hour so every evaluator view stays fast and exact.
-- Episodes keep only a coarse grid cell, never an exact position; names never leave the tenant's
-- operational tables.

CREATE TYPE "Assault" AS ENUM ('none', 'verbal', 'physical');
CREATE TYPE "IncidentContext" AS ENUM ('traffic_control', 'regulatory_offence', 'problem_district', 'large_event', 'other');

-- One row per episode (ARCHITECTURE.md). (device_id, start_seq) identifies it; the builder replaces a
-- device's episodes from a restart point when late events arrive. Local day/week/weekday/hour are in
-- Europe/Berlin, fixed at derivation, so filters need no time-zone arithmetic per row.
CREATE TABLE "episodes" (
  "id" BIGSERIAL PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "unit_id" UUID REFERENCES "units"("id") ON DELETE RESTRICT,
  "team" TEXT,
  "start_seq" BIGINT NOT NULL,
  "started_at" TIMESTAMPTZ(3) NOT NULL,
  "ended_at" TIMESTAMPTZ(3),
  "closed" BOOLEAN NOT NULL,
  "max_stage" "Stage" NOT NULL,
  "display_at" TIMESTAMPTZ(3),
  "recording_at" TIMESTAMPTZ(3),
  "display_first" BOOLEAN NOT NULL,
  "announced" BOOLEAN,
  "emergency" BOOLEAN NOT NULL,
  "cell_row" INTEGER,
  "cell_col" INTEGER,
  "local_day" DATE NOT NULL,
  "local_week" DATE NOT NULL,
  "local_weekday" SMALLINT NOT NULL,
  "local_hour" SMALLINT NOT NULL,
  "report_id" UUID,
  "assault" "Assault",
  "context" "IncidentContext"
);
CREATE UNIQUE INDEX "episodes_device_start_key" ON "episodes"("device_id", "start_seq");
CREATE INDEX "episodes_tenant_day_idx" ON "episodes"("tenant_id", "local_day") WHERE "closed";
CREATE INDEX "episodes_open_idx" ON "episodes"("device_id") WHERE NOT "closed";
CREATE INDEX "episodes_tenant_started_idx" ON "episodes"("tenant_id", "started_at");

-- Devices with status events the builder has not looked at yet, and the lowest seq among them.
-- Filled by a trigger in the same transaction as the events, so no event is ever missed, whichever
-- gateway persisted it and in whatever order transactions commit.
CREATE TABLE "episode_dirty" (
  "device_id" UUID PRIMARY KEY REFERENCES "devices"("id") ON DELETE CASCADE,
  "tenant_id" UUID NOT NULL,
  "from_seq" BIGINT NOT NULL,
  "version" BIGINT NOT NULL DEFAULT 1,
  "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

-- Per device: a seq from which derivation may restart (idle for at least the quiet time there).
CREATE TABLE "episode_cursors" (
  "device_id" UUID PRIMARY KEY REFERENCES "devices"("id") ON DELETE CASCADE,
  "settled_seq" BIGINT
);

CREATE FUNCTION "lagebild_mark_episodes_dirty"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "episode_dirty" ("device_id", "tenant_id", "from_seq")
  SELECT "device_id", (array_agg("tenant_id"))[1], min("seq") FROM "new_rows"
   GROUP BY "device_id" ORDER BY "device_id"
  ON CONFLICT ("device_id") DO UPDATE
    SET "from_seq" = LEAST("episode_dirty"."from_seq", EXCLUDED."from_seq"),
        "version" = "episode_dirty"."version" + 1,
        "marked_at" = now();
  RETURN NULL;
END $$;
CREATE TRIGGER "status_events_mark_episodes" AFTER INSERT ON "status_events"
  REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "lagebild_mark_episodes_dirty"();

-- An officer's report after an episode. Matched to the episode containing episode_at (device clock);
-- the note stays in the tenant and is never read by the statistics API.
CREATE TABLE "episode_reports" (
  "id" UUID PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "device_id" UUID NOT NULL REFERENCES "devices"("id") ON DELETE RESTRICT,
  "episode_at" TIMESTAMPTZ(3) NOT NULL,
  "assault" "Assault" NOT NULL,
  "context" "IncidentContext" NOT NULL,
  "announcement_given" BOOLEAN NOT NULL,
  "note" TEXT NOT NULL DEFAULT '',
  "source" TEXT NOT NULL CHECK ("source" IN ('device', 'form', 'import')),
  "filed_by" UUID REFERENCES "users"("id") ON DELETE SET NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "episode_reports_device_at_idx" ON "episode_reports"("device_id", "episode_at");

-- Periods before the pilot as the evaluator enters them (e.g. Duisburg: 46 attacks and insults).
CREATE TABLE "baseline_periods" (
  "id" UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "label" TEXT NOT NULL,
  "starts_on" DATE NOT NULL,
  "ends_on" DATE NOT NULL,
  "officer_hours" DOUBLE PRECISION NOT NULL CHECK ("officer_hours" > 0),
  "assaults" INTEGER NOT NULL CHECK ("assaults" >= 0),
  "note" TEXT NOT NULL DEFAULT '',
  "created_by" UUID REFERENCES "users"("id") ON DELETE SET NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CHECK ("ends_on" >= "starts_on")
);
CREATE INDEX "baseline_periods_tenant_idx" ON "baseline_periods"("tenant_id");

-- Time on duty of ended shifts, cut at every full hour (UTC hours are local hours in Germany, whose
-- offsets are whole hours), so filters by day, weekday and hour sum exact seconds. Maintained by a
-- trigger on shifts; open shifts are added at query time up to now.
CREATE TABLE "officer_hours" (
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "team" TEXT NOT NULL,
  "hour" TIMESTAMPTZ NOT NULL,
  "local_day" DATE NOT NULL,
  "local_week" DATE NOT NULL,
  "local_weekday" SMALLINT NOT NULL,
  "local_hour" SMALLINT NOT NULL,
  "seconds" DOUBLE PRECISION NOT NULL,
  PRIMARY KEY ("tenant_id", "team", "hour")
);
CREATE INDEX "officer_hours_tenant_day_idx" ON "officer_hours"("tenant_id", "local_day");

-- The hour slices of [started, ended): one row per touched hour with the seconds inside it.
CREATE FUNCTION "lagebild_hour_slices"("started" TIMESTAMPTZ, "ended" TIMESTAMPTZ)
RETURNS TABLE ("hour" TIMESTAMPTZ, "local_day" DATE, "local_week" DATE, "local_weekday" SMALLINT,
               "local_hour" SMALLINT, "seconds" DOUBLE PRECISION)
LANGUAGE sql STABLE AS $$
  SELECT h,
         (h AT TIME ZONE 'Europe/Berlin')::date,
         date_trunc('week', h AT TIME ZONE 'Europe/Berlin')::date,
         extract(isodow FROM h AT TIME ZONE 'Europe/Berlin')::smallint,
         extract(hour FROM h AT TIME ZONE 'Europe/Berlin')::smallint,
         extract(epoch FROM LEAST(h + interval '1 hour', "ended") - GREATEST(h, "started"))::float8
    FROM generate_series(date_trunc('hour', "started"), "ended" - interval '1 microsecond', interval '1 hour') AS h
   WHERE "ended" > "started"
$$;

CREATE FUNCTION "lagebild_shift_hours"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."ended_at" IS NOT NULL THEN
    UPDATE "officer_hours" o SET "seconds" = o."seconds" - s."seconds"
      FROM "lagebild_hour_slices"(OLD."started_at", OLD."ended_at") s, "units" u
     WHERE u."id" = OLD."unit_id" AND o."tenant_id" = OLD."tenant_id" AND o."team" = u."team" AND o."hour" = s."hour";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW."ended_at" IS NOT NULL THEN
    INSERT INTO "officer_hours" ("tenant_id", "team", "hour", "local_day", "local_week", "local_weekday", "local_hour", "seconds")
    SELECT NEW."tenant_id", u."team", s."hour", s."local_day", s."local_week", s."local_weekday", s."local_hour", s."seconds"
      FROM "lagebild_hour_slices"(NEW."started_at", NEW."ended_at") s, "units" u
     WHERE u."id" = NEW."unit_id"
    ON CONFLICT ("tenant_id", "team", "hour") DO UPDATE SET "seconds" = "officer_hours"."seconds" + EXCLUDED."seconds";
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "shifts_officer_hours" AFTER INSERT OR UPDATE OF "started_at", "ended_at", "unit_id" OR DELETE ON "shifts"
  FOR EACH ROW EXECUTE FUNCTION "lagebild_shift_hours"();

-- Shifts that ended before this migration.
INSERT INTO "officer_hours" ("tenant_id", "team", "hour", "local_day", "local_week", "local_weekday", "local_hour", "seconds")
SELECT sh."tenant_id", u."team", s."hour", s."local_day", s."local_week", s."local_weekday", s."local_hour", sum(s."seconds")
  FROM "shifts" sh JOIN "units" u ON u."id" = sh."unit_id", "lagebild_hour_slices"(sh."started_at", sh."ended_at") s
 WHERE sh."ended_at" IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5, 6, 7;
