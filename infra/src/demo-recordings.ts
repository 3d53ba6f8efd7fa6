/**
 * The demo's videos, made on first start from ffmpeg's test picture and encrypted into the vault
 * exactly as the recorder does (`importRecording`): one recent recording per municipality, and the
 * video behind each pilot recording that is kept as evidence or under legal hold, so every
 * recording the library offers to play can be played. Pilot recordings that were deleted stay rows
 * without video, as crypto-shredded ones are. Each step is idempotent: what has a video is skipped.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Db, withTransaction } from '@lagebild/db';
import { importRecording } from '@lagebild/gateway/recordings';
import { type Keyring, localFolderStore, makeTestVideo, type Signer } from '@lagebild/vault';

const DEMO_SECONDS = 10;

export interface DemoVault {
  dir: string;
  keyring: Keyring;
  signer: Signer;
}

/** Returns what it did, for the start-up log. */
export async function ensureDemoVideos(
  db: Db,
  vault: DemoVault,
  tenants: ReadonlyArray<{ id: string; devices: ReadonlyArray<{ deviceId: string }> }>,
  workDir: string,
): Promise<string[]> {
  const { rows: recent } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM recordings r JOIN devices d ON d.id = r.device_id
      WHERE d.label NOT LIKE 'PILOT-%'`,
  );
  // held pilot recordings that have no video yet (loaded as metadata by the pilot seed)
  const { rows: held } = await db.pool.query<{
    id: string;
    tenant_id: string;
    device_id: string;
    started_at: Date;
  }>(
    `SELECT r.id, r.tenant_id, r.device_id, r.started_at FROM recordings r JOIN devices d ON d.id = r.device_id
      WHERE d.label LIKE 'PILOT-%' AND r.retention <> 'standard' AND r.manifest_sha256 IS NULL
      ORDER BY r.started_at`,
  );
  if (recent[0]!.n > 0 && held.length === 0) return [];

  const source = join(workDir, 'demo-source.webm');
  await makeTestVideo(source, { seconds: DEMO_SECONDS });
  const store = localFolderStore(vault.dir);
  const common = { pool: db.pool, store, keyring: vault.keyring, signer: vault.signer, file: source };
  const done: string[] = [];
  try {
    if (recent[0]!.n === 0) {
      const startedAt = Date.now() - 3_600_000;
      for (const t of tenants) {
        await importRecording({
          ...common,
          tenantId: t.id,
          deviceId: t.devices[0]!.deviceId,
          startedAt,
          stoppedAt: startedAt + DEMO_SECONDS * 1000,
        });
      }
      done.push('demo recordings encrypted into the vault');
    }
    for (const r of held) {
      const startedAt = r.started_at.getTime();
      // a new row with the video, then in one transaction it takes over the pilot row's retention
      // and replaces it: a failure on the way leaves the pilot row as it was
      const id = await importRecording({
        ...common,
        tenantId: r.tenant_id,
        deviceId: r.device_id,
        startedAt,
        stoppedAt: startedAt + DEMO_SECONDS * 1000,
      });
      await withTransaction(db.pool, async (client) => {
        await client.query(
          `UPDATE recordings n SET retention = o.retention, retention_reason = o.retention_reason,
                  case_reference = o.case_reference, retention_by = o.retention_by,
                  retention_at = o.retention_at, delete_at = NULL, unit_id = o.unit_id,
                  created_at = o.created_at
             FROM recordings o WHERE n.id = $1 AND o.id = $2`,
          [id, r.id],
        );
        await client.query('DELETE FROM recordings WHERE id = $1', [r.id]);
      });
    }
    if (held.length > 0) done.push(`${held.length} pilot evidence recordings given their demo video`);
  } finally {
    await rm(source, { force: true }); // the demo source is not evidence, but keep the habit
  }
  return done;
}
