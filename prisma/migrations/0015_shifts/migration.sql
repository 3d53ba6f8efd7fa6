-- Shifts and cameras administered on the "Dienst" page (issue 15). Until now shifts existed only
-- because the seed wrote them; here the database takes over the rules the page relies on:
--
-- * A camera is on one open shift at a time and a unit wears one camera: the partial unique
--   indexes of 0001 (shifts_one_open_per_device, shifts_one_open_per_unit). Two supervisors
--   handing out the same camera at once both insert; one insert waits for the other's transaction
--   and then fails with a unique violation, which the gateway answers with 409 naming who holds
--   the camera. No application lock can forget this.
-- * A shift keeps the team its unit had when it started (`team`), so officer-hours and episodes
--   stay with the team that was on duty even when the unit changes team or a team is renamed
--   later. A trigger fills it from the unit when an INSERT does not name it (seeds, tests).
-- * The officer is a pseudonymous personnel number on the shift, for supervisors and admins only:
--   statistics never select it, evaluators never see it.
-- * Teams are rows of their own (create, rename, deactivate); a unit names its team by name, as the
--   statistics always did, and a trigger makes sure that name exists as a team of the tenant.

CREATE TABLE "teams" (
  "id" UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  "tenant_id" UUID NOT NULL REFERENCES "tenants"("id") ON DELETE RESTRICT,
  "name" TEXT NOT NULL CHECK (length("name") BETWEEN 1 AND 60),
  "deactivated_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "teams_tenant_name_key" UNIQUE ("tenant_id", "name")
);
INSERT INTO "teams" ("tenant_id", "name")
SELECT DISTINCT "tenant_id", "team" FROM "units" ON CONFLICT DO NOTHING;

CREATE FUNCTION "lagebild_unit_team"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "teams" ("tenant_id", "name") VALUES (NEW."tenant_id", NEW."team") ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER "units_team_exists" BEFORE INSERT OR UPDATE OF "team" ON "units"
  FOR EACH ROW EXECUTE FUNCTION "lagebild_unit_team"();

-- a deactivated unit gets no new shift; its history stays
ALTER TABLE "units" ADD COLUMN "deactivated_at" TIMESTAMPTZ(3);

ALTER TABLE "shifts" ADD COLUMN "team" TEXT;
ALTER TABLE "shifts" ADD COLUMN "personnel_number" TEXT;
ALTER TABLE "shifts" ADD COLUMN "started_by" UUID REFERENCES "users"("id") ON DELETE SET NULL;
ALTER TABLE "shifts" ADD COLUMN "ended_by" UUID REFERENCES "users"("id") ON DELETE SET NULL;
UPDATE "shifts" s SET "team" = u."team" FROM "units" u WHERE u."id" = s."unit_id";
ALTER TABLE "shifts" ALTER COLUMN "team" SET NOT NULL;
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_ended_after_start" CHECK ("ended_at" IS NULL OR "ended_at" >= "started_at");

CREATE FUNCTION "lagebild_shift_team"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."team" IS NULL THEN
    SELECT u."team" INTO NEW."team" FROM "units" u WHERE u."id" = NEW."unit_id";
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER "shifts_team_default" BEFORE INSERT ON "shifts"
  FOR EACH ROW EXECUTE FUNCTION "lagebild_shift_team"();

-- Officer-hours follow the shift's own team (not the unit's team of today).
CREATE OR REPLACE FUNCTION "lagebild_shift_hours"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."ended_at" IS NOT NULL THEN
    UPDATE "officer_hours" o SET "seconds" = o."seconds" - s."seconds"
      FROM "lagebild_hour_slices"(OLD."started_at", OLD."ended_at") s
     WHERE o."tenant_id" = OLD."tenant_id" AND o."team" = OLD."team" AND o."hour" = s."hour";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW."ended_at" IS NOT NULL THEN
    INSERT INTO "officer_hours" ("tenant_id", "team", "hour", "local_day", "local_week", "local_weekday", "local_hour", "seconds")
    SELECT NEW."tenant_id", NEW."team", s."hour", s."local_day", s."local_week", s."local_weekday", s."local_hour", s."seconds"
      FROM "lagebild_hour_slices"(NEW."started_at", NEW."ended_at") s
    ON CONFLICT ("tenant_id", "team", "hour") DO UPDATE SET "seconds" = "officer_hours"."seconds" + EXCLUDED."seconds";
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER "shifts_officer_hours" ON "shifts";
CREATE TRIGGER "shifts_officer_hours" AFTER INSERT OR UPDATE OF "started_at", "ended_at", "unit_id", "team" OR DELETE ON "shifts"
  FOR EACH ROW EXECUTE FUNCTION "lagebild_shift_hours"();

-- The app role: teams are created, renamed and deactivated; units created, changed and
-- deactivated; shifts started (INSERT) and ended (UPDATE, granted in 0012). Nothing is deleted.
GRANT SELECT, INSERT, UPDATE ON "teams" TO "lagebild_app";
GRANT INSERT, UPDATE ON "units" TO "lagebild_app";
GRANT INSERT ON "shifts" TO "lagebild_app";
