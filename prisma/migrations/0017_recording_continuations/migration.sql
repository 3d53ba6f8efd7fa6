-- Recordings cut before their stream ended, and the recordings that continue them (issue 14).
--
-- A recording is cut when ffmpeg or the mediasoup worker dies, the SFU restarts or the recordings'
-- disk fills up while the camera still streams. It is then sealed as a prefix (state `incomplete`,
-- signed manifest with `cut`), and the next recording of the same device within 5 minutes of the cut
-- continues it. `continued_by` is not stored: it is the row whose `continues_id` names this one, and
-- the unique index makes that at most one.
ALTER TABLE "recordings" ADD COLUMN "cut_reason" TEXT;
ALTER TABLE "recordings" ADD COLUMN "cut_at" TIMESTAMPTZ(3);
ALTER TABLE "recordings" ADD COLUMN "continues_id" UUID;
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_cut_reason"
  CHECK ("cut_reason" IN ('ffmpeg_exit', 'worker_died', 'sfu_restart', 'disk_full', 'write_failed'));
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_cut"
  CHECK (("cut_reason" IS NULL) = ("cut_at" IS NULL));
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_continues_id_fkey"
  FOREIGN KEY ("continues_id") REFERENCES "recordings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE UNIQUE INDEX "recordings_continues_key" ON "recordings"("continues_id");
-- the lookup of a device's latest cut recording when another begins
CREATE INDEX "recordings_device_cut_idx" ON "recordings"("device_id", "cut_at") WHERE "cut_at" IS NOT NULL;
