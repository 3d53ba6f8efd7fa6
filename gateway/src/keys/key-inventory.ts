/**
 * The key inventory and rotations behind `npm run keys` (issue 13): what the token holds per tenant
 * (deletion-day keys, evidence keys, with when each was made and how many live recordings each
 * wraps), which day keys the sweeper destroyed, and the signing keys' fingerprints. Rotations are
 * audited (`key_rotated`) in the same transaction as nothing else: the key is made in the token
 * first, so an entry never names a key that does not exist.
 */
import { auditTarget } from '@lagebild/audit';
import { withTransaction } from '@lagebild/db';
import {
  type HsmKeyring,
  type HsmSigningKeyInfo,
  type HsmToken,
  listHsmSigningKeys,
  rotateHsmSigner,
  signingKeyLabel,
} from '@lagebild/vault';
import type pg from 'pg';
import type { AuditLog } from '../audit/audit-log.ts';

export interface TenantKeys {
  tenantId: string;
  slug: string;
  keys: {
    kekId: string;
    kind: 'day' | 'evidence' | 'other';
    createdAt: string | null;
    recordings: number;
    current: boolean;
  }[];
  destroyed: { kekId: string; destroyedAt: string }[];
  /** recordings whose key is neither in the token nor destroyed (wrapped before the HSM, or lost) */
  unaccounted: { kekId: string | null; recordings: number }[];
}

export interface KeyInventory {
  token: string;
  tenants: TenantKeys[];
  /** the signing keys of the key token and of the gateway's signing token, each with its token */
  signingKeys: (HsmSigningKeyInfo & { token: string })[];
}

export async function keyInventory(
  pool: pg.Pool,
  token: HsmToken,
  ring: HsmKeyring,
  signingToken: HsmToken | null = null,
): Promise<KeyInventory> {
  const { rows: tenants } = await pool.query<{ id: string; slug: string }>(
    'SELECT id, slug FROM tenants ORDER BY slug',
  );
  const { rows: counts } = await pool.query<{ tenant_id: string; kek_id: string | null; n: number }>(
    `SELECT tenant_id, kek_id, count(*)::int AS n FROM recordings WHERE state <> 'deleted' GROUP BY 1, 2`,
  );
  const { rows: destroyed } = await pool.query<{ tenant_id: string; kek_id: string; destroyed_at: Date }>(
    'SELECT tenant_id, kek_id, destroyed_at FROM destroyed_keys ORDER BY destroyed_at',
  );
  const inToken = ring.inventory();
  return {
    token: token.tokenLabel,
    signingKeys: [signingToken, token]
      .filter((t): t is HsmToken => t !== null)
      .flatMap((t) => listHsmSigningKeys(t).map((k) => ({ ...k, token: t.tokenLabel }))),
    tenants: tenants.map((t) => {
      const n = (kekId: string | null) =>
        counts.find((c) => c.tenant_id === t.id && c.kek_id === kekId)?.n ?? 0;
      const mine = inToken.filter((k) => k.tenantId === t.id);
      const evidence = ring.kekIdFor(t.id, null);
      return {
        tenantId: t.id,
        slug: t.slug,
        keys: mine.map((k) => ({
          kekId: k.kekId,
          kind: k.kind,
          createdAt: k.createdAt === null ? null : new Date(k.createdAt).toISOString(),
          recordings: n(k.kekId),
          current: k.kekId === evidence,
        })),
        destroyed: destroyed
          .filter((d) => d.tenant_id === t.id)
          .map((d) => ({ kekId: d.kek_id, destroyedAt: d.destroyed_at.toISOString() })),
        unaccounted: counts
          .filter((c) => c.tenant_id === t.id && !mine.some((k) => k.kekId === c.kek_id))
          .map((c) => ({ kekId: c.kek_id, recordings: c.n })),
      };
    }),
  };
}

/** A new evidence key for the tenant; recordings kept from now on are wrapped under it. */
export async function rotateEvidenceKey(
  pool: pg.Pool,
  ring: HsmKeyring,
  audit: Pick<AuditLog, 'appendIn'>,
  tenantId: string,
  actor: string,
): Promise<string> {
  const previous = ring.kekIdFor(tenantId, null);
  const kekId = ring.rotateEvidenceKey(tenantId);
  await withTransaction(pool, (c) =>
    audit.appendIn(c, [
      {
        tenantId,
        actor,
        action: 'key_rotated',
        target: auditTarget('tenant', tenantId),
        payload: { kind: 'evidence', previous, current: kekId },
      },
    ]),
  );
  return kekId;
}

/** A new signing key `sign/<name>` (the old one retired, kept for its public key); its fingerprint. */
export async function rotateSigningKey(
  pool: pg.Pool,
  token: HsmToken,
  audit: Pick<AuditLog, 'appendIn'>,
  name: string,
  actor: string,
): Promise<{ previous: string | null; current: string }> {
  const label = signingKeyLabel(name);
  const previous = listHsmSigningKeys(token).find((k) => k.label === label)?.fingerprint ?? null;
  const current = rotateHsmSigner(token, name);
  await withTransaction(pool, (c) =>
    audit.appendIn(c, [
      {
        tenantId: null,
        actor,
        action: 'key_rotated',
        payload: { kind: 'signing', label, previous, current },
      },
    ]),
  );
  return { previous, current };
}
