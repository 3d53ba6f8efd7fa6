/**
 * The service's Ed25519 signing key as a key pair inside a PKCS#11 token (CKM_EC_EDWARDS_KEY_PAIR_GEN,
 * private half sensitive and non-extractable), signing with CKM_EDDSA. The signature is the same raw
 * 64-byte Ed25519 signature as the file key's, so `openssl pkeyutl -verify -rawin` checks keep working
 * and the `Signer` interface (synchronous sign, fingerprint, publicKeyPem) is unchanged.
 *
 * Labels: `sign/<name>` is the current key of a service (`gateway`, `sfu`); `rotate` renames it to
 * `sign/<name>/retired-<time>` (kept, so old signatures can still be checked against its public key
 * in the inventory) and creates a new one.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
// default import: the module spreads its constants into module.exports, which Node's ESM named-export
// detection does not see (only PKCS11 would be found)
import pkcs11js from 'pkcs11js';
import { VaultError } from '../errors.ts';
import { type Signer, sha256 } from '../signing.ts';
import type { HsmToken } from './pkcs11-token.ts';

// PKCS#11 3.0 constants that pkcs11js 2.1.7 does not name
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** DER of the OID 1.3.101.112 (id-Ed25519): CKA_EC_PARAMS of an Ed25519 key */
const ED25519_PARAMS = Buffer.from('06032b6570', 'hex');
/** SPKI prefix of an Ed25519 public key; the 32 key bytes follow */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const signingKeyLabel = (name: string) => `sign/${name}`;

export interface HsmSigningKeyInfo {
  label: string;
  fingerprint: string;
  publicKeyPem: string;
}

function publicKeyOf(token: HsmToken, pub: pkcs11js.Handle): { pem: string; fingerprint: string } {
  const [a] = token.pkcs11.C_GetAttributeValue(token.session, pub, [{ type: pkcs11js.CKA_EC_POINT }]);
  let point = a?.value as Buffer;
  // CKA_EC_POINT is a DER OCTET STRING (04 20 <32 bytes>); some modules give the raw 32 bytes
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) point = point.subarray(2);
  if (point.length !== 32)
    throw new VaultError('bad_format', 'the token returned an unexpected Ed25519 public key');
  const der = Buffer.concat([ED25519_SPKI_PREFIX, point]);
  const pem = createPublicKey({ key: der, format: 'der', type: 'spki' }).export({
    type: 'spki',
    format: 'pem',
  });
  return { pem: pem.toString(), fingerprint: sha256(der) };
}

function generate(token: HsmToken, label: string): void {
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: Buffer.from(new Date().toISOString(), 'utf8') },
  ];
  token.pkcs11.C_GenerateKeyPair(
    token.session,
    { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
    [
      ...common,
      { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: pkcs11js.CKA_EC_PARAMS, value: ED25519_PARAMS },
      { type: pkcs11js.CKA_VERIFY, value: true },
    ],
    [
      ...common,
      { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
    ],
  );
}

/** The signer named `name` in the token, created there on first use. */
export function hsmSigner(token: HsmToken, name: string): Signer {
  const label = signingKeyLabel(name);
  let priv = token.find(pkcs11js.CKO_PRIVATE_KEY, label)[0];
  let pub = token.find(pkcs11js.CKO_PUBLIC_KEY, label)[0];
  if (priv === undefined || pub === undefined) {
    generate(token, label);
    priv = token.find(pkcs11js.CKO_PRIVATE_KEY, label)[0];
    pub = token.find(pkcs11js.CKO_PUBLIC_KEY, label)[0];
  }
  if (priv === undefined || pub === undefined)
    throw new VaultError('not_found', `signing key ${label} could not be created in the token`);
  const { pem, fingerprint } = publicKeyOf(token, pub);
  const key = priv;
  return {
    fingerprint,
    publicKeyPem: pem,
    sign(data) {
      token.pkcs11.C_SignInit(token.session, { mechanism: CKM_EDDSA }, key);
      return token.pkcs11.C_Sign(token.session, Buffer.from(data), Buffer.alloc(64));
    },
  };
}

/**
 * Moves an Ed25519 key from a PEM file into the token as `sign/<name>` (private half sensitive and
 * non-extractable from then on), unless the token has that key already: `npm start` installs from
 * before issue 13 keep the key their manifests and audit checkpoints were signed with. Its fingerprint.
 */
export function importHsmSigner(token: HsmToken, name: string, privatePem: string): string | null {
  const label = signingKeyLabel(name);
  if (token.find(pkcs11js.CKO_PRIVATE_KEY, label).length > 0) return null;
  const priv = createPrivateKey(privatePem);
  if (priv.asymmetricKeyType !== 'ed25519') throw new VaultError('bad_format', 'signing key must be Ed25519');
  const jwk = priv.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const point = Buffer.from(jwk.x!, 'base64url');
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: Buffer.from(new Date().toISOString(), 'utf8') },
    { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
    { type: pkcs11js.CKA_EC_PARAMS, value: ED25519_PARAMS },
  ];
  token.pkcs11.C_CreateObject(token.session, [
    ...common,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04, 0x20]), point]) },
    { type: pkcs11js.CKA_VERIFY, value: true },
  ]);
  token.pkcs11.C_CreateObject(token.session, [
    ...common,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_VALUE, value: seed },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ]);
  seed.fill(0);
  return hsmSigner(token, name).fingerprint;
}

/** Retires the current key of `name` (renamed, kept) and creates a new one; its fingerprint. */
export function rotateHsmSigner(token: HsmToken, name: string): string {
  const label = signingKeyLabel(name);
  const retired = `${label}/retired-${new Date().toISOString()}`;
  for (const cls of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
    for (const h of token.find(cls, label)) {
      token.pkcs11.C_SetAttributeValue(token.session, h, [{ type: pkcs11js.CKA_LABEL, value: retired }]);
    }
  }
  return hsmSigner(token, name).fingerprint;
}

/** Every signing key in the token (current and retired), by label. */
export function listHsmSigningKeys(token: HsmToken): HsmSigningKeyInfo[] {
  return token
    .find(pkcs11js.CKO_PUBLIC_KEY)
    .map((h) => ({ h, label: token.labelOf(h) }))
    .filter((k) => k.label.startsWith('sign/'))
    .map(({ h, label }) => {
      const { pem, fingerprint } = publicKeyOf(token, h);
      return { label, fingerprint, publicKeyPem: pem };
    })
    .sort((a, b) => (a.label < b.label ? -1 : 1));
}

/** `sign/<name>` and its retired keys `sign/<name>/retired-…` */
export const isSigningKeyOf = (label: string, name: string) =>
  label === signingKeyLabel(name) || label.startsWith(`${signingKeyLabel(name)}/`);

/**
 * Labels of the private signing keys in the token, current and retired: what anyone holding the
 * token's PIN can sign with (a retired key's private half can still sign).
 */
export function listHsmPrivateSigningKeys(token: HsmToken): string[] {
  return token
    .find(pkcs11js.CKO_PRIVATE_KEY)
    .map((h) => token.labelOf(h))
    .filter((l) => l.startsWith('sign/'))
    .sort();
}

/**
 * Takes `sign/<name>` (and its retired keys) out of use in this token: the private halves are
 * destroyed inside the module, the public halves stay, labelled retired, so what they signed still
 * verifies. For a key that sits in a token another service can open (the single `sign/service` of
 * `npm start` installs before gateway and recorder had keys of their own). How many were destroyed.
 */
export function withdrawHsmSigner(token: HsmToken, name: string): number {
  const at = new Date().toISOString();
  let n = 0;
  for (const h of token.find(pkcs11js.CKO_PRIVATE_KEY)) {
    if (!isSigningKeyOf(token.labelOf(h), name)) continue;
    token.pkcs11.C_DestroyObject(token.session, h);
    n++;
  }
  for (const h of token.find(pkcs11js.CKO_PUBLIC_KEY)) {
    const label = token.labelOf(h);
    if (label === signingKeyLabel(name))
      token.pkcs11.C_SetAttributeValue(token.session, h, [
        { type: pkcs11js.CKA_LABEL, value: `${label}/retired-${at}` },
      ]);
  }
  return n;
}
