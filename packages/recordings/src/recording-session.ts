/**
 * One recording from first byte to signed manifest, the same sequence for a live stream (the SFU's
 * recorder) and a file (the gateway's import): row in state `recording` → vault writer fed with the
 * container's bytes → `finish()` seals (signed manifest), completes the row from the manifest and
 * audits; `cut()` seals what was written as a prefix when the stream goes on without this recording
 * (issue 14: the writer's own seal, or from disk after a failed write), marks the row `incomplete`
 * with the reason and audits that; `fail()` leaves an unsealed prefix (nothing reached the recorder).
 * A recording that begins shortly after a cut of its device continues it (`continues` in the row and
 * the manifest). Plaintext exists only in memory between the caller and the writer.
 */
import { randomUUID } from 'node:crypto';
import { auditedChange, auditTarget } from '@lagebild/audit';
import type { CutReason } from '@lagebild/protocol';
import {
  createRecordingWriter,
  type Keyring,
  type RecordingWriter,
  type SealedRecording,
  type Signer,
  sealPrefixOnDisk,
  sha256,
  type VaultStore,
} from '@lagebild/vault';
import type pg from 'pg';
import { beginRecording, completeRecording, linkContinuation, linkOpenIncident } from './recording-rows.ts';

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
  /** bytes held back on disk so a prefix can be sealed when the disk fills (the live recorder) */
  reserveBytes?: number;
}

export interface RecordingTiming {
  startedAt?: number;
  stoppedAt?: number;
  prerecordS?: number;
}

export interface RecordingSession {
  readonly id: string;
  readonly startedAt: number;
  readonly writer: RecordingWriter;
  /** seal, complete the row from the manifest, audit `recording_sealed` */
  finish(opts?: RecordingTiming): Promise<SealedRecording>;
  /**
   * the stream goes on without this recording: seal what was written as a prefix (from disk when a
   * write failed), row `incomplete` with `cut_reason`, audited; null when not one whole chunk was written
   */
  cut(reason: CutReason, detail: string, opts?: RecordingTiming): Promise<SealedRecording | null>;
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
  let writer: RecordingWriter;
  try {
    writer = await createRecordingWriter({
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
      ...(o.reserveBytes ? { reserveBytes: o.reserveBytes } : {}),
    });
  } catch (err) {
    // the key or the reserve could not be written (a full disk): the row must not stay `recording`
    await auditedChange(o.pool, async (client) => {
      await completeRecording(client, {
        id,
        complete: false,
        stoppedAt: Date.now(),
        bytes: 0,
        kekId: null,
        manifestSha256: null,
        plaintextSha256: null,
        ciphertextSha256: null,
      });
      return {
        result: undefined,
        entries: [
          {
            tenantId: o.tenantId,
            actor,
            action: 'recording_sealed',
            target,
            payload: { complete: false, reason: `could not begin: ${(err as Error).message}`, bytes: 0 },
          },
        ],
      };
    }).catch(() => {});
    throw err;
  }
  // outside the row's transaction: two recordings racing for one prefix must not undo the row
  await linkContinuation(o.pool, id);
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
      const continues = (await linkContinuation(o.pool, id)) ?? undefined;
      const sealed = await writer.seal({ ...opts, continues });
      await close(sealedRow(sealed), sealedPayload(sealed));
      return sealed;
    },
    async cut(reason, detail, opts = {}) {
      once();
      const continues = (await linkContinuation(o.pool, id)) ?? undefined;
      let sealed: SealedRecording | null = null;
      let fromDisk = writer.broken;
      if (!fromDisk) {
        // the final chunk is a write too: a disk that fills just now leaves sealing to the disk's copy
        sealed = await writer.seal({ ...opts, cut: reason, continues }).catch(() => null);
        fromDisk = sealed === null;
      }
      if (fromDisk) {
        await writer.abort();
        sealed = await sealPrefixOnDisk({
          store: o.store,
          keyring: o.keyring,
          signer: o.signer,
          tenantId: o.tenantId,
          recordingId: id,
          deviceId: o.deviceId,
          mediaType,
          startedAt: opts.startedAt ?? startedAt,
          prerecordS: opts.prerecordS ?? prerecordS,
          ...(opts.stoppedAt ? { stoppedAt: opts.stoppedAt } : {}),
          cut: reason,
          continues,
        });
      }
      const payload = { complete: false, cut: reason, reason: detail };
      if (sealed) {
        await close(
          { ...sealedRow(sealed), complete: false, cutReason: reason },
          { ...sealedPayload(sealed), ...payload },
        );
      } else {
        await close(
          { ...unsealedRow(opts.stoppedAt ?? Date.now(), 0), cutReason: reason },
          { ...payload, bytes: 0 },
        );
      }
      return sealed;
    },
    async fail(reason, opts = {}) {
      once();
      await writer.abort();
      await close(unsealedRow(opts.stoppedAt ?? Date.now(), writer.plaintextBytes), {
        complete: false,
        reason,
        bytes: writer.plaintextBytes,
      });
    },
  };

  function unsealedRow(stoppedAt: number, bytes: number): Parameters<typeof completeRecording>[1] {
    return {
      id,
      complete: false,
      stoppedAt,
      bytes,
      kekId: null,
      manifestSha256: null,
      plaintextSha256: null,
      ciphertextSha256: null,
    };
  }
}

/** the row completed from a signed manifest */
function sealedRow({ manifest, manifestJson }: SealedRecording): Parameters<typeof completeRecording>[1] {
  return {
    id: manifest.recordingId,
    complete: true,
    startedAt: manifest.startedAt,
    prerecordS: manifest.prerecordS,
    stoppedAt: manifest.stoppedAt,
    bytes: manifest.plaintextBytes,
    kekId: manifest.kekId,
    manifestSha256: sha256(manifestJson),
    plaintextSha256: manifest.plaintextSha256,
    ciphertextSha256: manifest.ciphertextSha256,
  };
}

function sealedPayload({ manifest }: SealedRecording): Record<string, unknown> {
  return {
    plaintextSha256: manifest.plaintextSha256,
    bytes: manifest.plaintextBytes,
    startedAt: manifest.startedAt,
    stoppedAt: manifest.stoppedAt,
    prerecordS: manifest.prerecordS,
    ...(manifest.continues ? { continues: manifest.continues.recordingId } : {}),
  };
}
