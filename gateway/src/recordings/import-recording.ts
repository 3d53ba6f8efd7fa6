/**
 * A whole recording file into the vault and the database, by the same sequence as the SFU's live
 * recorder (`startRecordingSession` in @lagebild/recordings): row first (state `recording`), the
 * vault writer fed with the file's bytes, then the row completed from the signed manifest and
 * audited. Tests and the demo use it with a real WebM made by ffmpeg.
 */
import { createReadStream } from 'node:fs';
import { startRecordingSession } from '@lagebild/recordings';
import type { Keyring, Signer, VaultStore } from '@lagebild/vault';
import type pg from 'pg';

export interface ImportOptions {
  pool: pg.Pool;
  store: VaultStore;
  keyring: Keyring;
  signer: Signer;
  tenantId: string;
  deviceId: string;
  file: string;
  startedAt?: number;
  stoppedAt?: number;
  recordingId?: string;
  incidentId?: string | null;
}

export async function importRecording(o: ImportOptions): Promise<string> {
  const session = await startRecordingSession({
    pool: o.pool,
    store: o.store,
    keyring: o.keyring,
    signer: o.signer,
    tenantId: o.tenantId,
    deviceId: o.deviceId,
    recordingId: o.recordingId,
    startedAt: o.startedAt,
    incidentId: o.incidentId ?? null,
  });
  try {
    for await (const chunk of createReadStream(o.file, { highWaterMark: 256 * 1024 })) {
      await session.writer.write(chunk as Buffer);
    }
  } catch (err) {
    await session.fail((err as Error).message);
    throw err;
  }
  await session.finish(o.stoppedAt ? { stoppedAt: o.stoppedAt } : {});
  return session.id;
}
