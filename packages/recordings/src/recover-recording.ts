/**
 * The recovery sweep's step for one recording a killed recorder left open (issue 14): the row is
 * still `recording`, the vault holds whole chunks and perhaps a torn record. What is on disk is
 * sealed as a prefix (`sealPrefixOnDisk`: torn tail truncated, signed manifest with `cut`), the row
 * becomes `incomplete` with the reason and the manifest's hashes, and the seal is audited by the
 * system, all in one transaction with the row. A recording whose manifest was already written (killed
 * between manifest and row) is completed from that manifest. The camera's next recording continues it.
 */
import { auditedChange, auditTarget } from '@lagebild/audit';
import type { CutReason, RecordingManifest } from '@lagebild/protocol';
import {
  type Keyring,
  loadManifest,
  type Signer,
  sealPrefixOnDisk,
  sha256,
  type VaultStore,
} from '@lagebild/vault';
import type pg from 'pg';
import { completeRecording } from './recording-rows.ts';

export interface RecoveredRecording {
  recordingId: string;
  /** false: the row was not `recording` any more (sealed meanwhile, or unknown) */
  recovered: boolean;
  /** plaintext bytes of the sealed prefix (0 when nothing whole reached the disk) */
  bytes: number;
  truncatedBytes: number;
  manifest: RecordingManifest | null;
}

export async function recoverLeftRecording(o: {
  pool: pg.Pool;
  store: VaultStore;
  keyring: Keyring;
  signer: Signer;
  tenantId: string;
  recordingId: string;
  reason: CutReason;
}): Promise<RecoveredRecording> {
  const { pool, tenantId, recordingId } = o;
  const { rows } = await pool.query<{
    device_id: string;
    started_at: Date;
    media_type: string;
    prerecord_s: number;
  }>(
    `SELECT device_id, started_at, media_type, prerecord_s FROM recordings
      WHERE id = $1 AND tenant_id = $2 AND state = 'recording'`,
    [recordingId, tenantId],
  );
  const row = rows[0];
  if (!row) return { recordingId, recovered: false, bytes: 0, truncatedBytes: 0, manifest: null };
  let truncatedBytes = 0;
  let sealed = await loadManifest(o.store, tenantId, recordingId);
  if (!sealed) {
    // the continuation of this one, if any, begins after it: the manifest links nothing back
    const p = await sealPrefixOnDisk({
      store: o.store,
      keyring: o.keyring,
      signer: o.signer,
      tenantId,
      recordingId,
      deviceId: row.device_id,
      mediaType: row.media_type,
      startedAt: row.started_at.getTime(),
      prerecordS: Number(row.prerecord_s),
      cut: o.reason,
    });
    if (p) sealed = { manifest: p.manifest, json: p.manifestJson, signature: p.signature };
    truncatedBytes = p?.truncatedBytes ?? 0;
  }
  const m = sealed?.manifest ?? null;
  await auditedChange(pool, async (client) => {
    await completeRecording(client, {
      id: recordingId,
      complete: false,
      startedAt: m?.startedAt,
      prerecordS: m?.prerecordS,
      stoppedAt: m?.stoppedAt ?? Date.now(),
      bytes: m?.plaintextBytes ?? 0,
      kekId: m?.kekId ?? null,
      manifestSha256: sealed ? sha256(sealed.json) : null,
      plaintextSha256: m?.plaintextSha256 ?? null,
      ciphertextSha256: m?.ciphertextSha256 ?? null,
      cutReason: o.reason,
    });
    return {
      result: undefined,
      entries: [
        {
          tenantId,
          actor: 'system:recorder',
          action: 'recording_sealed',
          target: auditTarget('recording', recordingId),
          payload: {
            complete: false,
            cut: o.reason,
            reason: 'recorder stopped without sealing (process died): sealed from disk at the next start',
            bytes: m?.plaintextBytes ?? 0,
            truncatedBytes,
            ...(m ? { plaintextSha256: m.plaintextSha256 } : {}),
          },
        },
      ],
    };
  });
  return { recordingId, recovered: true, bytes: m?.plaintextBytes ?? 0, truncatedBytes, manifest: m };
}
