/**
 * A whole recording into the vault and the database, the way the live recorder will do it: row
 * first (state `recording`), then the vault writer fed with the media bytes, then the row completed
 * from the signed manifest, each step audited. Until the SFU recorder exists, tests and the demo
 * use it with a real WebM made by ffmpeg.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { appendAudit, type CheckpointPolicy } from '@lagebild/audit';
import { createRecordingWriter, type Keyring, type Signer, sha256, type VaultStore } from '@lagebild/vault';
import type pg from 'pg';
import { beginRecording, completeRecording } from './recording-rows.ts';

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
  const id = o.recordingId ?? randomUUID();
  const startedAt = o.startedAt ?? Date.now();
  const policy: CheckpointPolicy = { signer: o.signer };
  await beginRecording(o.pool, {
    id,
    tenantId: o.tenantId,
    deviceId: o.deviceId,
    startedAt,
    incidentId: o.incidentId,
  });
  const writer = await createRecordingWriter({
    store: o.store,
    keyring: o.keyring,
    signer: o.signer,
    recordingId: id,
    tenantId: o.tenantId,
    deviceId: o.deviceId,
    startedAt,
  });
  const sink = writer.writable();
  await pipeline(createReadStream(o.file, { highWaterMark: 256 * 1024 }), sink);
  const { manifest, manifestJson } = await sink.sealed;
  await completeRecording(o.pool, {
    id,
    complete: true,
    stoppedAt: o.stoppedAt ?? manifest.stoppedAt,
    bytes: manifest.plaintextBytes,
    kekId: manifest.kekId,
    manifestSha256: sha256(manifestJson),
    plaintextSha256: manifest.plaintextSha256,
    ciphertextSha256: manifest.ciphertextSha256,
  });
  await appendAudit(
    o.pool,
    {
      tenantId: o.tenantId,
      actor: `device:${o.deviceId}`,
      action: 'recording_sealed',
      target: `recording:${id}`,
      payload: { plaintextSha256: manifest.plaintextSha256, bytes: manifest.plaintextBytes },
    },
    policy,
  );
  return id;
}
