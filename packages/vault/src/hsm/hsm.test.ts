/**
 * The PKCS#11 key store against a real SoftHSM2 token in a temp folder: KEKs wrap and unwrap inside
 * the module, a destroyed day key opens nothing any more (and another day's key does not open it),
 * and the Ed25519 key signs in the token with signatures that node:crypto and openssl accept.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningPem, signerFromPem, verifierFromPem } from '../signing.ts';
import { createHsmKeyring, dayKekId, type HsmKeyring } from './hsm-keyring.ts';
import {
  hsmSigner,
  importHsmSigner,
  listHsmPrivateSigningKeys,
  listHsmSigningKeys,
  rotateHsmSigner,
  withdrawHsmSigner,
} from './hsm-signer.ts';
import { type HsmToken, openHsmToken } from './pkcs11-token.ts';
import { ensureSoftHsmToken } from './softhsm.ts';

const TENANT = randomUUID();
let dir: string;
let token: HsmToken;
let ring: HsmKeyring;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-hsm-'));
  // SoftHSM2 lists the tokens it found when the module is initialised: make both first
  await ensureSoftHsmToken(dir, 'lagebild-own');
  token = openHsmToken(await ensureSoftHsmToken(dir, 'lagebild-test'));
  ring = createHsmKeyring(token);
});
afterAll(async () => {
  token?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HSM keyring (SoftHSM2, CKM_AES_GCM)', () => {
  it('wraps a data key under the day key of its deletion day and unwraps it in the module', () => {
    const deleteAt = Date.parse('2027-01-14T10:00:00Z');
    const kekId = ring.kekIdFor(TENANT, deleteAt);
    expect(kekId).toBe('day-2027-01-14');
    const dataKey = randomBytes(32);
    const w = ring.wrap(TENANT, 'rec-1', dataKey, kekId);
    expect(w.kekId).toBe(kekId);
    expect(Buffer.from(w.wrapped, 'base64')).toHaveLength(60);
    expect(ring.unwrap(w, { tenantId: TENANT, recordingId: 'rec-1' }).equals(dataKey)).toBe(true);
    expect(() =>
      ring.unwrap({ ...w, recordingId: 'rec-2' }, { tenantId: TENANT, recordingId: 'rec-2' }),
    ).toThrow(/does not unwrap/);
  });

  it('a destroyed day key opens no copy of its wrapped keys, and another day key does not either', () => {
    const a = ring.wrap(TENANT, 'rec-a', randomBytes(32), dayKekId(Date.parse('2027-02-01T00:00:00Z')));
    ring.wrap(TENANT, 'rec-b', randomBytes(32), dayKekId(Date.parse('2027-02-02T00:00:00Z')));
    expect(ring.destroyKek(TENANT, 'day-2027-02-01')).toBe(1);
    expect(ring.destroyKek(TENANT, 'day-2027-02-01')).toBe(0);
    expect(() => ring.unwrap(a, { tenantId: TENANT, recordingId: 'rec-a' })).toThrow(/not in the token/);
    expect(() =>
      ring.unwrap({ ...a, kekId: 'day-2027-02-02' }, { tenantId: TENANT, recordingId: 'rec-a' }),
    ).toThrow(/does not unwrap/);
    expect(ring.inventory().map((k) => k.kekId)).not.toContain('day-2027-02-01');
  });

  it('KEKs are sensitive, non-extractable token objects', () => {
    const pkcs11js = token.pkcs11;
    const [h] = token.find(4 /* CKO_SECRET_KEY */, `kek/${TENANT}/day-2027-01-14`);
    expect(h).toBeDefined();
    const attrs = pkcs11js.C_GetAttributeValue(token.session, h!, [
      { type: 0x162 /* CKA_EXTRACTABLE */ },
      { type: 0x103 /* CKA_SENSITIVE */ },
    ]);
    expect(attrs.map((a) => (a.value as Buffer)[0])).toEqual([0, 1]);
    expect(() => pkcs11js.C_GetAttributeValue(token.session, h!, [{ type: 0x11 /* CKA_VALUE */ }])).toThrow();
  });

  it('evidence keys rotate: the new one is current, the old one still unwraps', () => {
    const old = ring.wrap(TENANT, 'rec-e', randomBytes(32), ring.kekIdFor(TENANT, null));
    expect(old.kekId).toBe('evidence-1');
    expect(ring.rotateEvidenceKey(TENANT)).toBe('evidence-2');
    expect(ring.kekIdFor(TENANT, null)).toBe('evidence-2');
    expect(ring.unwrap(old, { tenantId: TENANT, recordingId: 'rec-e' })).toHaveLength(32);
  });
});

describe('HSM signer (CKM_EDDSA)', () => {
  it('signs in the token; node:crypto and openssl pkeyutl -rawin verify the signature', async () => {
    const signer = hsmSigner(token, 'gateway');
    expect(hsmSigner(token, 'gateway').fingerprint).toBe(signer.fingerprint);
    const sig = signer.sign('{"a":1}');
    expect(sig).toHaveLength(64);
    expect(verifierFromPem(signer.publicKeyPem).verify('{"a":1}', sig)).toBe(true);
    expect(verifierFromPem(signer.publicKeyPem).verify('{"a":2}', sig)).toBe(false);
    await writeFile(join(dir, 'pub.pem'), signer.publicKeyPem);
    await writeFile(join(dir, 'x.json'), '{"a":1}');
    await writeFile(join(dir, 'x.sig'), sig);
    const out = execFileSync('openssl', [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(dir, 'pub.pem'),
      '-rawin',
      '-in',
      join(dir, 'x.json'),
      '-sigfile',
      join(dir, 'x.sig'),
    ]).toString();
    expect(out).toMatch(/Signature Verified Successfully/);
  });

  it('rotation retires the key under a new label and creates another', () => {
    const before = hsmSigner(token, 'sfu').fingerprint;
    const after = rotateHsmSigner(token, 'sfu');
    expect(after).not.toBe(before);
    expect(hsmSigner(token, 'sfu').fingerprint).toBe(after);
    const labels = listHsmSigningKeys(token);
    expect(labels.find((k) => k.fingerprint === before)?.label).toMatch(/^sign\/sfu\/retired-/);
  });

  it('an Ed25519 PEM key moved into the token keeps its fingerprint and signs there', () => {
    const pem = generateSigningPem();
    const file = signerFromPem(pem);
    expect(importHsmSigner(token, 'imported', pem)).toBe(file.fingerprint);
    expect(importHsmSigner(token, 'imported', generateSigningPem())).toBeNull();
    const inToken = hsmSigner(token, 'imported');
    expect(inToken.fingerprint).toBe(file.fingerprint);
    expect(verifierFromPem(file.publicKeyPem).verify('x', inToken.sign('x'))).toBe(true);
  });

  it('[KC7] a withdrawn key signs no more, while what it signed still verifies against its public half', () => {
    const old = hsmSigner(token, 'withdrawn');
    const sig = old.sign('before');
    expect(listHsmPrivateSigningKeys(token)).toContain('sign/withdrawn');
    expect(withdrawHsmSigner(token, 'withdrawn')).toBe(1);
    expect(listHsmPrivateSigningKeys(token).filter((l) => l.startsWith('sign/withdrawn'))).toEqual([]);
    const kept = listHsmSigningKeys(token).find((k) => k.fingerprint === old.fingerprint);
    expect(kept?.label).toMatch(/^sign\/withdrawn\/retired-/);
    expect(verifierFromPem(kept!.publicKeyPem).verify('before', sig)).toBe(true);
    // the old handle points at a destroyed object: the module refuses to sign with it
    expect(() => old.sign('after')).toThrow();
  });
});

describe('[KC7] two tokens, two PINs (the gateway keeps its checkpoint key from the SFU)', () => {
  it("one token's PIN opens neither the other token nor finds the other's keys", async () => {
    const shared = await ensureSoftHsmToken(dir, 'lagebild-test');
    const own = await ensureSoftHsmToken(dir, 'lagebild-own');
    // before this process logs in to it (a login holds for the whole process, so a second session
    // would be let in with any PIN): the other token's PIN is refused
    expect(() => openHsmToken({ ...own, pinFile: shared.pinFile })).toThrow(
      /login to token "lagebild-own" failed/,
    );
    const ownToken = openHsmToken(own);
    try {
      const checkpoint = hsmSigner(ownToken, 'checkpoint');
      expect(listHsmPrivateSigningKeys(ownToken)).toEqual(['sign/checkpoint']);
      // the key token's holder sees no private key of the other token
      expect(listHsmPrivateSigningKeys(token)).not.toContain('sign/checkpoint');
      expect(listHsmSigningKeys(token).map((k) => k.fingerprint)).not.toContain(checkpoint.fingerprint);
    } finally {
      ownToken.close();
    }
  });
});
