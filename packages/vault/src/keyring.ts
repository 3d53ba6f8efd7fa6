/**
 * Key-encryption keys per tenant, with rotation. A recording's random data key is wrapped with the
 * tenant's *current* KEK (AES-256-GCM; the associated data binds tenant, recording and key id, so a
 * wrapped key cannot be moved to another recording); unwrapping uses the key id stored beside it, so
 * recordings wrapped before a rotation stay readable for as long as the old key stays in the ring.
 *
 * The keyring is a JSON file (0600), validated with zod when loaded:
 *   { "format": "lagebild-keyring/1", "tenants": { "<tenant uuid>": { "current": "k2",
 *       "keys": { "k1": "<base64 32 bytes>", "k2": "…" } } } }
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { VaultError } from './errors.ts';

const KeyB64 = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32, 'a key must be 32 bytes, base64-encoded');
const KeyId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);

export const KeyringFile = z.object({
  format: z.literal('lagebild-keyring/1'),
  tenants: z.record(
    z.string().uuid(),
    z
      .object({ current: KeyId, keys: z.record(KeyId, KeyB64) })
      .refine((t) => t.current in t.keys, 'current must name one of keys'),
  ),
});
export type KeyringFile = z.infer<typeof KeyringFile>;

export interface WrappedKey {
  format: 'lagebild-wrapped-key/1';
  tenantId: string;
  recordingId: string;
  kekId: string;
  /** base64 of iv (12) | ciphertext (32) | tag (16) */
  wrapped: string;
}

export interface Keyring {
  /** the key id new recordings of this tenant are wrapped with */
  currentKekId(tenantId: string): string;
  /**
   * the key for a recording due for deletion at `deleteAt` (epoch ms; null = kept: evidence). The
   * HSM keyring answers a per-day key; the development file keyring its current key
   */
  kekIdFor(tenantId: string, deleteAt: number | null): string;
  /** wraps under `kekId` (a key-encryption key of the tenant; the current one if omitted) */
  wrap(tenantId: string, recordingId: string, dataKey: Buffer, kekId?: string): WrappedKey;
  unwrap(w: WrappedKey, expect: { tenantId: string; recordingId: string }): Buffer;
  tenants(): string[];
}

/** The development keyring: a JSON file. Production mode refuses it (keys belong in an HSM). */
export interface FileKeyring extends Keyring {
  toFile(): KeyringFile;
}

const wrapAad = (tenantId: string, recordingId: string, kekId: string) =>
  Buffer.from(`lagebild-wrapped-key/1\0${tenantId}\0${recordingId}\0${kekId}`, 'utf8');

export function createKeyring(file: KeyringFile): FileKeyring {
  const parsed = KeyringFile.parse(file);
  const kek = (tenantId: string, kekId: string): Buffer => {
    const t = parsed.tenants[tenantId];
    if (!t)
      throw new VaultError('unknown_key', `no key-encryption key for tenant ${tenantId} in the keyring`);
    const k = t.keys[kekId];
    if (!k) throw new VaultError('unknown_key', `key ${kekId} of tenant ${tenantId} is not in the keyring`);
    return Buffer.from(k, 'base64');
  };
  return {
    currentKekId(tenantId) {
      const t = parsed.tenants[tenantId];
      if (!t)
        throw new VaultError('unknown_key', `no key-encryption key for tenant ${tenantId} in the keyring`);
      return t.current;
    },
    kekIdFor(tenantId) {
      return this.currentKekId(tenantId);
    },
    wrap(tenantId, recordingId, dataKey, wanted) {
      // the file keyring has no per-day keys: a key it does not hold falls back to the current one
      const kekId = wanted && parsed.tenants[tenantId]?.keys[wanted] ? wanted : this.currentKekId(tenantId);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', kek(tenantId, kekId), iv);
      c.setAAD(wrapAad(tenantId, recordingId, kekId));
      const ct = Buffer.concat([c.update(dataKey), c.final()]);
      return {
        format: 'lagebild-wrapped-key/1',
        tenantId,
        recordingId,
        kekId,
        wrapped: Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64'),
      };
    },
    unwrap(w, expect) {
      if (w.tenantId !== expect.tenantId || w.recordingId !== expect.recordingId) {
        throw new VaultError('wrong_key', 'the wrapped data key belongs to another recording');
      }
      const raw = Buffer.from(w.wrapped, 'base64');
      if (raw.length !== 60) throw new VaultError('bad_format', 'wrapped data key has the wrong length');
      const d = createDecipheriv('aes-256-gcm', kek(w.tenantId, w.kekId), raw.subarray(0, 12));
      d.setAAD(wrapAad(w.tenantId, w.recordingId, w.kekId));
      d.setAuthTag(raw.subarray(44));
      try {
        return Buffer.concat([d.update(raw.subarray(12, 44)), d.final()]);
      } catch (err) {
        throw new VaultError('wrong_key', `data key does not unwrap with key ${w.kekId} (wrong keyring?)`, {
          cause: err,
        });
      }
    },
    tenants: () => Object.keys(parsed.tenants),
    toFile: () => structuredClone(parsed),
  };
}

const newKey = () => randomBytes(32).toString('base64');

/** Adds a key for each tenant that has none; returns whether anything changed. */
export function ensureTenants(file: KeyringFile, tenantIds: readonly string[]): boolean {
  let changed = false;
  for (const id of tenantIds) {
    if (file.tenants[id]) continue;
    file.tenants[id] = { current: 'k1', keys: { k1: newKey() } };
    changed = true;
  }
  return changed;
}

/** Rotation: a new current key; the old ones stay so existing recordings remain readable. */
export function rotateTenantKey(file: KeyringFile, tenantId: string): string {
  const t = file.tenants[tenantId];
  if (!t) throw new VaultError('unknown_key', `tenant ${tenantId} has no keys to rotate`);
  let n = Object.keys(t.keys).length + 1;
  while (`k${n}` in t.keys) n++;
  const kekId = `k${n}`;
  t.keys[kekId] = newKey();
  t.current = kekId;
  return kekId;
}

export async function loadKeyringFile(path: string): Promise<KeyringFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VaultError(
      'not_found',
      `keyring ${path} cannot be read (run npm run setup or npm start once)`,
      {
        cause: err,
      },
    );
  }
  const r = KeyringFile.safeParse(JSON.parse(text));
  if (!r.success) {
    throw new VaultError(
      'bad_format',
      `keyring ${path} is invalid: ${r.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return r.data;
}

/** Writes the keyring atomically with mode 0600. */
export async function saveKeyringFile(path: string, file: KeyringFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(KeyringFile.parse(file), null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Loads the keyring at `path`, creating it (or adding missing tenants) first; for `npm start`. */
export async function ensureKeyringFile(path: string, tenantIds: readonly string[]): Promise<FileKeyring> {
  let file: KeyringFile;
  try {
    file = await loadKeyringFile(path);
  } catch (err) {
    if (!(err instanceof VaultError) || err.code !== 'not_found') throw err;
    file = { format: 'lagebild-keyring/1', tenants: {} };
  }
  if (ensureTenants(file, tenantIds)) await saveKeyringFile(path, file);
  return createKeyring(file);
}

export const emptyKeyringFile = (): KeyringFile => ({ format: 'lagebild-keyring/1', tenants: {} });
