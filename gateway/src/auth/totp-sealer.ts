/**
 * TOTP secrets at rest (issue 15). A second factor is only worth something while its secret is
 * secret, and a backup or dump of `users` must not hand it out with the rest. Each secret is sealed
 * with AES-256-GCM under a key of its tenant: in the gateway's own PKCS#11 token (`kek/<tenant>/secrets`,
 * made on first use, never leaving the module; the SFU has no PIN for that token) or, for
 * development, under the keyring file's current key. The associated data names the tenant and the
 * user, so a sealed secret copied onto another user's row does not open. Stored as
 * `lagebild-totp/1:<kekId>:<base64 iv ‖ ciphertext ‖ tag>`.
 *
 * Without keys at all (development without HSM or keyring settings; production mode refuses to
 * start that way) secrets are stored as they are and the gateway says so when it starts. A secret
 * stored before sealing existed is sealed by `sealStoredTotpSecrets` when the gateway starts.
 */
import type { Keyring } from '@lagebild/vault';
import type pg from 'pg';
import type { Logger } from '../logger.ts';

const PREFIX = 'lagebild-totp/1:';
/** a TOTP secret as `newTotpSecret` makes it: 160 bits in base32, 32 ASCII characters */
const SECRET_BYTES = 32;

export interface TotpSealer {
  /** true when secrets are sealed (keys are configured) */
  sealing(): Promise<boolean>;
  seal(tenantId: string, userId: string, secret: string): Promise<string>;
  /**
   * the secret of a stored value (sealed, or stored before sealing existed); null, logged as an
   * error, when the seal does not open (another user's, altered, or its key is gone): no code matches
   */
  open(tenantId: string, userId: string, stored: string): Promise<string | null>;
}

export const isSealedTotpSecret = (stored: string) => stored.startsWith(PREFIX);

const aadId = (userId: string) => `totp-secret:${userId}`;

export function createTotpSealer(
  keys: () => Promise<{ keyring: Keyring; kekId?: string } | null>,
  log: Logger,
): TotpSealer {
  return {
    sealing: async () => (await keys()) !== null,
    async seal(tenantId, userId, secret) {
      const k = await keys();
      if (!k) return secret;
      const raw = Buffer.from(secret, 'ascii');
      if (raw.length !== SECRET_BYTES) throw new Error(`a TOTP secret has ${SECRET_BYTES} characters`);
      const w = k.keyring.wrap(tenantId, aadId(userId), raw, k.kekId);
      return `${PREFIX}${w.kekId}:${w.wrapped}`;
    },
    async open(tenantId, userId, stored) {
      if (!isSealedTotpSecret(stored)) return stored;
      const rest = stored.slice(PREFIX.length);
      const colon = rest.indexOf(':');
      try {
        const k = await keys();
        if (!k) throw new Error('no keys configured (HSM_TOKEN_LABEL) to open it with');
        const raw = k.keyring.unwrap(
          {
            format: 'lagebild-wrapped-key/1',
            tenantId,
            recordingId: aadId(userId),
            kekId: rest.slice(0, colon),
            wrapped: rest.slice(colon + 1),
          },
          { tenantId, recordingId: aadId(userId) },
        );
        return raw.toString('ascii');
      } catch (err) {
        log.error({ err, userId, kekId: rest.slice(0, colon) }, 'a sealed TOTP secret does not open');
        return null;
      }
    },
  };
}

/**
 * Seals every TOTP secret (and pending one) still stored as it is: once at start, when keys exist.
 * Each row is changed only if it still holds what was read, so two gateways starting together
 * cannot seal a secret twice. The number of secrets sealed.
 */
export async function sealStoredTotpSecrets(pool: pg.Pool, sealer: TotpSealer, log: Logger): Promise<number> {
  if (!(await sealer.sealing())) {
    log.warn('no keys configured (HSM_TOKEN_LABEL): TOTP secrets are stored unsealed (development only)');
    return 0;
  }
  const { rows } = await pool.query<{
    id: string;
    tenant_id: string;
    totp_secret: string | null;
    totp_pending_secret: string | null;
  }>(
    `SELECT id, tenant_id, totp_secret, totp_pending_secret FROM users
      WHERE (totp_secret IS NOT NULL AND totp_secret NOT LIKE 'lagebild-totp/1:%')
         OR (totp_pending_secret IS NOT NULL AND totp_pending_secret NOT LIKE 'lagebild-totp/1:%')`,
  );
  let sealed = 0;
  for (const r of rows) {
    const sealOne = async (v: string | null) =>
      v === null || isSealedTotpSecret(v) ? v : sealer.seal(r.tenant_id, r.id, v);
    const { rowCount } = await pool.query(
      `UPDATE users SET totp_secret = $4, totp_pending_secret = $5
        WHERE id = $1 AND totp_secret IS NOT DISTINCT FROM $2 AND totp_pending_secret IS NOT DISTINCT FROM $3`,
      [
        r.id,
        r.totp_secret,
        r.totp_pending_secret,
        await sealOne(r.totp_secret),
        await sealOne(r.totp_pending_secret),
      ],
    );
    sealed += rowCount ?? 0;
  }
  if (sealed > 0) log.info({ users: sealed }, 'TOTP secrets stored before sealing are sealed now');
  return sealed;
}
