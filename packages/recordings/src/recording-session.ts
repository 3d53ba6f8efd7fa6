/**
 * One recording from first byte to signed manifest, the same sequence for a live stream (the SFU's
 * recorder) and a file (the gateway's import): row in state `recording` → vault writer fed with the
 * container's bytes → `finish()` seals (signed manifest), completes the row from the manifest and
 * audits; `fail()` keeps what was written as a decryptable prefix, marks the row `incomplete` and
 * audits that. Plaintext exists only in memory between the caller and the writer.
 */
import { randomUUID } from 'node:crypto';
import { auditedChange, auditTarget } from '@lagebild/audit';
import {
  createRecordingWriter,
  type Keyring,
  type RecordingWriter,
  type SealedRecording,
  type Signer,
  sha256,
  type VaultStore,
} from '@lagebild/vault';
import type pg from 'pg';
import { beginRecording, completeRecording, linkOpenIncident } from './recording-rows.ts';

export interface OpenRecordingOptions {
  pool: pg.Pool;
  store: VaultStore;
  keyring: Keyring;
  signer: Signer;
  tenantId: string;
  deviceId: string;
  recordingId?: string;
  /** epoch ms of the first frame (of the pre-recording buffer, if any) */
  startedAt?: number;
  /**
   * seconds at the start that came from the device's pre-recording buffer, when known at the start
   * (an import); the live recorder measures them from the media and passes them to `finish()`
   */
  prerecordS?: number;
  /** what the device declared (audited at the start as a claim, never signed as a fact) */
  declaredPrerecordS?: number;
  mediaType?: string;
  incidentId?: string | null;
  segmentMs?: number;
  /** plaintext bytes per AEAD chunk; a crash loses at most the chunk being filled (live: keep it small) */
  chunkSize?: number;
  /** audit `recording_started` too (a live recording; an import is audited once, at seal) */
  auditStart?: boolean;
}

export interface RecordingSession {
  readonly id: string;
  readonly startedAt: number;
  readonly writer: RecordingWriter;
  /** seal, complete the row from the manifest, audit `recording_sealed` */
  finish(opts?: { startedAt?: number; stoppedAt?: number; prerecordS?: number }): Promise<SealedRecording>;
  /** no manifest: what was written stays a decryptable prefix; the row becomes `incomplete` */
  fail(reason: string, opts?: { stoppedAt?: number }): Promise<void>;
}

export async function startRecordingSession(o: OpenRecordingOptions): Promise<RecordingSession> {
  const id = o.recordingId ?? randomUUID();
  const startedAt = o.startedAt ?? Date.now();
  const prerecordS = o.prerecordS ?? 0;
  const mediaType = o.mediaType ?? 'video/webm';
  const actor = `device:${o.deviceId}`;
  const target = auditTarget('recording', id);
  // the row and its `recording_started` entry commit together
  let kekId: string | undefined;
  await auditedChange(o.pool, async (client) => {
    ({ kekId } = await beginRecording(
      client,
      {
        id,
        tenantId: o.tenantId,
        deviceId: o.deviceId,
        startedAt,
        mediaType,
        prerecordS,
        incidentId: o.incidentId,
      },
      (deleteAt) => o.keyring.kekIdFor(o.tenantId, deleteAt),
    ));
    return {
      result: undefined,
      entries: o.auditStart
        ? [
            {
              tenantId: o.tenantId,
              actor,
              action: 'recording_started',
              target,
              payload: {
                mediaType,
                ...(o.declaredPrerecordS ? { declaredPrerecordS: o.declaredPrerecordS } : {}),
              },
            },
          ]
        : [],
    };
  });
  const writer = await createRecordingWriter({
    store: o.store,
    keyring: o.keyring,
    kekId,
    signer: o.signer,
    recordingId: id,
    tenantId: o.tenantId,
    deviceId: o.deviceId,
    startedAt,
    prerecordS,
    mediaType,
    ...(o.segmentMs ? { segmentMs: o.segmentMs } : {}),
    ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}),
  });
  /** the row completed, linked to its incident and the seal audited: one transaction */
  const close = (row: Parameters<typeof completeRecording>[1], payload: Record<string, unknown>) =>
    auditedChange(o.pool, async (client) => {
      await completeRecording(client, row);
      if (o.incidentId === undefined) await linkOpenIncident(client, id);
      return {
        result: undefined,
        entries: [{ tenantId: o.tenantId, actor, action: 'recording_sealed', target, payload }],
      };
    });
  let ended = false;
  const once = () => {
    if (ended) throw new Error(`recording ${id} is already finished`);
    ended = true;
  };

  return {
    id,
    startedAt,
    writer,
    async finish(opts = {}) {
      once();
      const sealed = await writer.seal(opts);
      const { manifest, manifestJson } = sealed;
      await close(
        {
          id,
          complete: true,
          startedAt: manifest.startedAt,
          prerecordS: manifest.prerecordS,
          stoppedAt: manifest.stoppedAt,
          bytes: manifest.plaintextBytes,
          kekId: manifest.kekId,
          manifestSha256: sha256(manifestJson),
          plaintextSha256: manifest.plaintextSha256,
          ciphertextSha256: manifest.ciphertextSha256,
        },
        {
          plaintextSha256: manifest.plaintextSha256,
          bytes: manifest.plaintextBytes,
          startedAt: manifest.startedAt,
          stoppedAt: manifest.stoppedAt,
          prerecordS: manifest.prerecordS,
        },
      );
      return sealed;
    },
    async fail(reason, opts = {}) {
      once();
      await writer.abort();
      const bytes = writer.plaintextBytes;
      await close(
        {
          id,
          complete: false,
          stoppedAt: opts.stoppedAt ?? Date.now(),
          bytes,
          kekId: null,
          manifestSha256: null,
          plaintextSha256: null,
          ciphertextSha256: null,
        },
        { complete: false, reason, bytes },
      );
    },
  };
}
