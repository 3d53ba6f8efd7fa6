/**
 * Key-encryption keys inside a PKCS#11 token. Each KEK is a non-extractable, sensitive AES-256 token
 * object labelled `kek/<tenant>/<kekId>`; a recording's 32-byte data key is wrapped and unwrapped by
 * the module with CKM_AES_GCM (96-bit IV, 128-bit tag, the same associated data as the file keyring:
 * format, tenant, recording, key id), so the wrapped form (`WrappedKey`, 60 bytes) is unchanged and
 * a wrapped key cannot be moved to another recording. AES-GCM rather than CKM_AES_KEY_WRAP because
 * C_WrapKey wraps key *objects*, and the data key is never a token object: it lives in the recorder's
 * memory only.
 *
 * Key ids:
 *   day-YYYY-MM-DD  every standard recording due for deletion on that UTC day (per tenant); the
 *                   sweeper destroys it (C_DestroyObject) once the day's recordings are shredded,
 *                   after which no copy of any of them, in any backup, can be decrypted again
 *   evidence-N      the tenant's evidence key (evidence, legal hold); `rotate` makes N+1 current
 * Keys are created on first use. Two processes creating the same day key at once may leave two
 * objects with one label: wrap uses the first, unwrap tries each, destroy removes all.
 */
import { randomBytes } from 'node:crypto';
// default import: the module spreads its constants into module.exports, which Node's ESM named-export
// detection does not see (only PKCS11 would be found)
import pkcs11js from 'pkcs11js';
import { VaultError } from '../errors.ts';
import type { Keyring, WrappedKey } from '../keyring.ts';
import type { HsmToken } from './pkcs11-token.ts';

export interface KekInfo {
  tenantId: string;
  kekId: string;
  kind: 'day' | 'evidence' | 'other';
  /** epoch ms the key was created in the token */
  createdAt: number | null;
}

export interface HsmKeyring extends Keyring {
  /** the key id for a recording due on `deleteAt` (epoch ms), or the evidence key for `null` */
  kekIdFor(tenantId: string, deleteAt: number | null): string;
  /** destroys the key inside the module; the number of objects destroyed (0: already gone) */
  destroyKek(tenantId: string, kekId: string): number;
  /**
   * moves a development keyring's key into the token (sensitive, non-extractable from then on), so
   * recordings wrapped before the switch to the HSM stay readable; false if the token has it already
   */
  importKek(tenantId: string, kekId: string, raw: Buffer): boolean;
  /** creates the next evidence key, which becomes current; its id */
  rotateEvidenceKey(tenantId: string): string;
  inventory(): KekInfo[];
}

export const dayKekId = (deleteAt: number) => `day-${new Date(deleteAt).toISOString().slice(0, 10)}`;
const kekLabel = (tenantId: string, kekId: string) => `kek/${tenantId}/${kekId}`;
const KEK_LABEL = /^kek\/([0-9a-f-]{36})\/([A-Za-z0-9_.-]{1,64})$/;

const wrapAad = (tenantId: string, recordingId: string, kekId: string) =>
  Buffer.from(`lagebild-wrapped-key/1\0${tenantId}\0${recordingId}\0${kekId}`, 'utf8');

const gcm = (iv: Buffer, aad: Buffer): pkcs11js.Mechanism => ({
  mechanism: pkcs11js.CKM_AES_GCM,
  parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } as pkcs11js.AesGCM,
});

export function createHsmKeyring(token: HsmToken): HsmKeyring {
  const { pkcs11: p, session } = token;
  const keysOf = (tenantId: string, kekId: string) =>
    token.find(pkcs11js.CKO_SECRET_KEY, kekLabel(tenantId, kekId));

  function createKek(tenantId: string, kekId: string): pkcs11js.Handle {
    return p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_LABEL, value: kekLabel(tenantId, kekId) },
      // CKA_ID carries the creation time for the inventory (the label already names the key)
      { type: pkcs11js.CKA_ID, value: Buffer.from(new Date().toISOString(), 'utf8') },
    ]);
  }

  function evidenceIds(tenantId: string): number[] {
    const prefix = `kek/${tenantId}/evidence-`;
    return token
      .find(pkcs11js.CKO_SECRET_KEY)
      .map((h) => token.labelOf(h))
      .filter((l) => l.startsWith(prefix))
      .map((l) => Number(l.slice(prefix.length)))
      .filter((n) => Number.isInteger(n) && n > 0);
  }
  const currentEvidence = (tenantId: string): string => {
    const ids = evidenceIds(tenantId);
    return `evidence-${ids.length ? Math.max(...ids) : 1}`;
  };

  const ring: HsmKeyring = {
    currentKekId: currentEvidence,
    kekIdFor: (tenantId, deleteAt) => (deleteAt === null ? currentEvidence(tenantId) : dayKekId(deleteAt)),
    wrap(tenantId, recordingId, dataKey, kekId = currentEvidence(tenantId)) {
      const key = keysOf(tenantId, kekId)[0] ?? createKek(tenantId, kekId);
      const iv = randomBytes(12);
      p.C_EncryptInit(session, gcm(iv, wrapAad(tenantId, recordingId, kekId)), key);
      const ct = p.C_Encrypt(session, dataKey, Buffer.alloc(dataKey.length + 16));
      return {
        format: 'lagebild-wrapped-key/1',
        tenantId,
        recordingId,
        kekId,
        wrapped: Buffer.concat([iv, ct]).toString('base64'),
      };
    },
    unwrap(w: WrappedKey, expect) {
      if (w.tenantId !== expect.tenantId || w.recordingId !== expect.recordingId) {
        throw new VaultError('wrong_key', 'the wrapped data key belongs to another recording');
      }
      const raw = Buffer.from(w.wrapped, 'base64');
      if (raw.length !== 60) throw new VaultError('bad_format', 'wrapped data key has the wrong length');
      const keys = keysOf(w.tenantId, w.kekId);
      if (keys.length === 0) {
        throw new VaultError(
          'shredded',
          `key ${w.kekId} of tenant ${w.tenantId} is not in the token (destroyed after its recordings were deleted)`,
        );
      }
      for (const key of keys) {
        try {
          p.C_DecryptInit(
            session,
            gcm(raw.subarray(0, 12), wrapAad(w.tenantId, w.recordingId, w.kekId)),
            key,
          );
          return p.C_Decrypt(session, raw.subarray(12), Buffer.alloc(48));
        } catch {}
      }
      throw new VaultError('wrong_key', `data key does not unwrap with key ${w.kekId} of the token`);
    },
    tenants: () => [...new Set(ring.inventory().map((k) => k.tenantId))],
    destroyKek(tenantId, kekId) {
      const keys = keysOf(tenantId, kekId);
      for (const k of keys) p.C_DestroyObject(session, k);
      return keys.length;
    },
    importKek(tenantId, kekId, raw) {
      if (keysOf(tenantId, kekId).length > 0) return false;
      if (raw.length !== 32) throw new VaultError('bad_format', 'a KEK must be 32 bytes');
      p.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE, value: raw },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_LABEL, value: kekLabel(tenantId, kekId) },
        { type: pkcs11js.CKA_ID, value: Buffer.from(new Date().toISOString(), 'utf8') },
      ]);
      return true;
    },
    rotateEvidenceKey(tenantId) {
      const ids = evidenceIds(tenantId);
      const kekId = `evidence-${(ids.length ? Math.max(...ids) : 0) + 1}`;
      createKek(tenantId, kekId);
      return kekId;
    },
    inventory() {
      const out: KekInfo[] = [];
      for (const h of token.find(pkcs11js.CKO_SECRET_KEY)) {
        const m = KEK_LABEL.exec(token.labelOf(h));
        if (!m) continue;
        const [id] = p.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_ID }]);
        const created = Date.parse((id?.value as Buffer | undefined)?.toString('utf8') ?? '');
        const kekId = m[2]!;
        out.push({
          tenantId: m[1]!,
          kekId,
          kind: kekId.startsWith('day-') ? 'day' : kekId.startsWith('evidence-') ? 'evidence' : 'other',
          createdAt: Number.isNaN(created) ? null : created,
        });
      }
      return out.sort((a, b) => (a.tenantId + a.kekId < b.tenantId + b.kekId ? -1 : 1));
    },
  };
  return ring;
}
