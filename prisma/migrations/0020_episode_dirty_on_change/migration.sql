-- A device is marked for the episode builder only by events that can change its episodes (issue 17).
--
-- 0003's trigger marked every device that got any status event, so at 1 Hz the builder re-derived
-- every reporting device on every tick: about ten statements per device in its own transaction,
-- whatever the events said. Episodes depend only on the rows where the stage or the emergency flag
-- changes (the builder's `observations` read exactly those, plus the newest row), and an episode that
-- ends by the passing of time is closed by the builder's quiet pass, not by a new event. So a device
-- is marked now when one of the statement's new rows differs in stage or emergency from the row
-- before it by seq (in the table, which holds the statement's rows already: a row's predecessor may
-- be among them), or has none (the device's first event). A late row is compared with its own
-- predecessor, so a late event that changes anything marks its device from its seq on, as before;
-- one that repeats its predecessor's stage and flag leaves the change rows, and so the episodes, as
-- they were. The `from_seq` is the lowest seq among the marking rows.
CREATE OR REPLACE FUNCTION "lagebild_mark_episodes_dirty"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "episode_dirty" ("device_id", "tenant_id", "from_seq")
  SELECT n."device_id", (array_agg(n."tenant_id"))[1], min(n."seq")
    FROM "new_rows" n
    LEFT JOIN LATERAL (
      SELECT p."stage", p."emergency" FROM "status_events" p
       WHERE p."device_id" = n."device_id" AND p."seq" < n."seq"
       ORDER BY p."seq" DESC LIMIT 1) prev ON true
   WHERE prev."stage" IS NULL OR prev."stage" <> n."stage" OR prev."emergency" <> n."emergency"
   GROUP BY n."device_id" ORDER BY n."device_id"
  ON CONFLICT ("device_id") DO UPDATE
    SET "from_seq" = LEAST("episode_dirty"."from_seq", EXCLUDED."from_seq"),
        "version" = "episode_dirty"."version" + 1,
        "marked_at" = now();
  RETURN NULL;
END $$;
