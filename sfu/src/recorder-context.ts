/**
 * What the recorder needs beyond mediasoup, loaded once from the configuration: the vault store, the
 * tenants' key-encryption keys and this service's manifest signing key (in a PKCS#11 token with
 * HSM_TOKEN_LABEL, issue 13; for development in the keyring and PEM files, the keyring re-read when
 * it changes), the database pool for Recording rows and audit entries, and a journal in Redis of the
 * recordings this node has open, so that after a crash (SFU killed) the next start marks them
 * `incomplete` instead of leaving them `recording` for ever. Their video stays a decryptable prefix.
 */
import { appendAudit } from '@lagebild/audit';
import { finishOrphanedRecordings } from '@lagebild/recordings';
import {
  hsmConfigOf,
  type Keyring,
  localFolderStore,
  openKeySource,
  openRecording,
  type Signer,
  type VaultStore,
} from '@lagebild/vault';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { SfuConfig } from './config.ts';
import type { Logger } from './logger.ts';

export interface RecorderContext {
  store: VaultStore;
  signer: Signer;
  pool: pg.Pool;
  keyring(): Promise<Keyring>;
  journal: {
    add(recordingId: string, tenantId: string): Promise<void>;
    remove(recordingId: string): Promise<void>;
  };
  close(): Promise<void>;
}

/** null when VAULT_DIR is not set: this node does not record. */
export async function loadRecorderContext(
  config: SfuConfig,
  redis: Redis,
  log: Logger,
): Promise<RecorderContext | null> {
  if (!config.VAULT_DIR) return null;
  const store = localFolderStore(config.VAULT_DIR);
  const keys = await openKeySource({
    hsm: hsmConfigOf(config),
    signerName: config.HSM_SIGNING_KEY,
    keyringFile: config.VAULT_KEYRING_FILE,
    signingKeyFile: config.VAULT_SIGNING_KEY_FILE,
  });
  const signer = keys.signer;
  log.info({ keys: keys.kind, signingKey: signer.fingerprint.slice(0, 16) }, 'keys opened');
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: 4,
    application_name: 'lagebild-sfu',
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'database pool error'));
  async function keyring(): Promise<Keyring> {
    const k = await keys.keyring();
    if (!k) throw new Error(`keyring ${config.VAULT_KEYRING_FILE} does not exist (yet)`);
    return k;
  }
  const journalKey = `lb:rec:open:${config.SFU_ID}`;
  const ctx: RecorderContext = {
    store,
    signer,
    pool,
    keyring,
    journal: {
      add: async (id, tenantId) => void (await redis.hset(journalKey, id, tenantId)),
      remove: async (id) => void (await redis.hdel(journalKey, id)),
    },
    close: async () => {
      await pool.end();
      keys.close();
    },
  };
  await finishOrphans(ctx, await redis.hgetall(journalKey), log).catch((err) =>
    log.error({ err }, 'could not finish recordings of a previous run'),
  );
  return ctx;
}

async function finishOrphans(ctx: RecorderContext, open: Record<string, string>, log: Logger): Promise<void> {
  for (const [recordingId, tenantId] of Object.entries(open)) {
    let bytes = 0;
    try {
      const rec = await openRecording({
        store: ctx.store,
        keyring: await ctx.keyring(),
        tenantId,
        recordingId,
      });
      bytes = rec.size;
    } catch (err) {
      log.warn({ err: (err as Error).message, recordingId }, 'orphaned recording unreadable');
    }
    const n = await finishOrphanedRecordings(ctx.pool, [{ id: recordingId, bytes, stoppedAt: Date.now() }]);
    if (n > 0) {
      await appendAudit(ctx.pool, {
        tenantId,
        actor: 'system:recorder',
        action: 'recording_sealed',
        target: `recording:${recordingId}`,
        payload: { complete: false, reason: 'recorder stopped without sealing (process died)', bytes },
      });
      log.warn({ recordingId, bytes }, 'recording of a previous run marked incomplete');
    }
    await ctx.journal.remove(recordingId);
  }
}
