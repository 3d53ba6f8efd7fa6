/**
 * What the recorder needs beyond mediasoup, loaded once from the configuration: the vault store, the
 * tenants' key-encryption keys and the recorder's own manifest signing key `sign/recorder` (in the
 * PKCS#11 key token, HSM_TOKEN_LABEL, issue 13; for development in the keyring and PEM files, the
 * keyring re-read when it changes). The SFU is the internet-facing service: it must not be able to
 * sign an audit checkpoint, so it refuses (in production; warns otherwise) when its tokens hold any
 * signing key but its own, e.g. because it was given the gateway's signing token and PIN, the database pool for Recording rows and audit entries, and a journal in Redis of the
 * recordings this node has open. After a crash (SFU killed) the next start's recovery sweep seals
 * each of them from disk as a prefix (torn tail truncated, signed manifest with `cut: sfu_restart`,
 * row `incomplete`) before the SFU takes streams again; the camera's next recording continues it
 * (issue 14).
 */
import { recoverLeftRecording } from '@lagebild/recordings';
import {
  hsmConfigOf,
  hsmSigningConfigOf,
  isSigningKeyOf,
  type Keyring,
  localFolderStore,
  openKeySource,
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
  const production = config.LAGEBILD_ENV === 'production';
  const keys = await openKeySource({
    hsm: hsmConfigOf(config),
    signingHsm: hsmSigningConfigOf(config),
    signerName: config.HSM_SIGNING_KEY,
    keyringFile: config.VAULT_KEYRING_FILE,
    signingKeyFile: config.VAULT_SIGNING_KEY_FILE,
    // checked before the recorder's key is looked for, so a wrong token gets no key made in it
    refuseForeignSigningKeys: production,
  }).catch((err: Error) => {
    throw production && /not this service's own/.test(err.message)
      ? new Error(
          `the SFU's tokens hold signing keys that are not the recorder's: ${err.message}; give the SFU only the key token's PIN (HSM_TOKEN_LABEL, HSM_PIN_FILE), never the gateway's signing token (LAGEBILD_ENV=production)`,
        )
      : err;
  });
  const foreign =
    keys.kind === 'hsm'
      ? keys.usableSigningKeys().filter((k) => !isSigningKeyOf(k.label, config.HSM_SIGNING_KEY))
      : [];
  if (foreign.length > 0)
    log.warn(
      { foreign },
      "the SFU's tokens hold signing keys that are not the recorder's (production refuses it)",
    );
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

/** The recovery sweep: every recording the journal says a previous run of this node left open. */
async function finishOrphans(ctx: RecorderContext, open: Record<string, string>, log: Logger): Promise<void> {
  for (const [recordingId, tenantId] of Object.entries(open)) {
    const startMs = Date.now();
    try {
      const r = await recoverLeftRecording({
        pool: ctx.pool,
        store: ctx.store,
        keyring: await ctx.keyring(),
        signer: ctx.signer,
        tenantId,
        recordingId,
        reason: 'sfu_restart',
      });
      if (r.recovered)
        log.warn(
          {
            recordingId,
            bytes: r.bytes,
            truncatedBytes: r.truncatedBytes,
            sealed: r.manifest !== null,
            sealMs: Date.now() - startMs,
          },
          'recording of a previous run sealed as a prefix',
        );
      await ctx.journal.remove(recordingId);
    } catch (err) {
      // stays in the journal: the next start tries again
      log.error({ err, recordingId }, 'recording of a previous run could not be sealed');
    }
  }
}
