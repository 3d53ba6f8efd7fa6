-- Pre-recording buffer (issue #6) as a per-tenant policy: seconds of a camera's buffer before the
-- button press that may become the start of a recording. Off (0) unless an administrator enables it
-- where the state's law allows it; typically 30–60 s.
ALTER TABLE "tenants" ADD COLUMN "prerecord_s" INTEGER NOT NULL DEFAULT 0
  CHECK ("prerecord_s" BETWEEN 0 AND 120);
