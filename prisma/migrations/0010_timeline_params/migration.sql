-- Incident timelines store what happened as a kind and its parameters, not a German sentence
-- (issue 12): the dashboards word each entry in the reader's language. `text` keeps only what a
-- person typed (a note, a closing remark, a manual incident's summary), '' when nothing.
-- Entries written before this migration keep `params` NULL and their sentence in `text`, which the
-- dashboards show as it is: they were written in German, and rewording history is not our job.
ALTER TABLE "incident_events" ADD COLUMN "params" JSONB;
ALTER TABLE "incident_events" ALTER COLUMN "text" SET DEFAULT '';
