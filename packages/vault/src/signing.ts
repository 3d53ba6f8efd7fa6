/**
 * The service's Ed25519 key: signs recording manifests, deletion receipts and audit checkpoints.
 * Signatures are over the exact bytes of `canonicalJson(value)` (keys sorted, no whitespace), raw
 * 64-byte Ed25519, so `openssl pkeyutl -verify -pubin -inkey service.pub.pem -rawin -in x.json
 * -sigfile x.sig` checks them without any Lagebild code.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VaultError } from './errors.ts';

/** Deterministic JSON: object keys sorted, no whitespace; the bytes that get hashed and signed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export interface Signer {
  /** SHA-256 of the public key's SPKI DER, hex: names the key in manifests and receipts */
  fingerprint: string;
  publicKeyPem: string;
  sign(data: Buffer | string): Buffer;
}

/**
 * Checks signatures against a set of public keys: the current one first, then retired ones (a
 * rotation, the single service key before gateway and recorder got keys of their own) whose old
 * signatures stay valid. A signature is valid if one of the keys verifies it.
 */
export interface Verifier {
  /** the first (current) key's fingerprint */
  fingerprint: string;
  /** every trusted key's fingerprint */
  fingerprints: readonly string[];
  /** the first key's PEM */
  publicKeyPem: string;
  /** the PEM of the trusted key with this fingerprint, null if it is not one of them */
  publicKeyPemOf(fingerprint: string): string | null;
  verify(data: Buffer | string, signature: Buffer): boolean;
}

const fingerprintOf = (pub: KeyObject) => sha256(pub.export({ type: 'spki', format: 'der' }));

export function signerFromPem(privatePem: string): Signer {
  const priv = createPrivateKey(privatePem);
  if (priv.asymmetricKeyType !== 'ed25519') throw new VaultError('bad_format', 'signing key must be Ed25519');
  const pub = createPublicKey(priv);
  return {
    fingerprint: fingerprintOf(pub),
    publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(null, Buffer.from(data), priv),
  };
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** A verifier for every public key in `pems` (each may hold several PEM blocks, e.g. a key file). */
export function verifierFromPem(...pems: string[]): Verifier {
  const blocks = pems.flatMap((p) => p.match(PEM_BLOCK) ?? [p]);
  const keys = blocks.map((b) => createPublicKey(b));
  if (keys.length === 0 || keys.some((k) => k.asymmetricKeyType !== 'ed25519'))
    throw new VaultError('bad_format', 'public key must be Ed25519');
  const fingerprints = [...new Set(keys.map(fingerprintOf))];
  const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
  return {
    fingerprint: fingerprints[0]!,
    fingerprints,
    publicKeyPem: pemOf(keys[0]!),
    publicKeyPemOf: (fingerprint) => {
      const k = keys.find((pub) => fingerprintOf(pub) === fingerprint);
      return k ? pemOf(k) : null;
    },
    verify: (data, signature) =>
      keys.some((pub) => {
        try {
          return verify(null, Buffer.from(data), pub, signature);
        } catch {
          return false;
        }
      }),
  };
}

export function generateSigningPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Loads the service key at `path`, creating it (0600) and `<path>.pub` if missing; for `npm start`. */
export async function ensureSigningKeyFile(path: string): Promise<Signer> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    pem = generateSigningPem();
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' }).catch(async () => {
      pem = await readFile(path, 'utf8'); // another process created it first
    });
    await chmod(path, 0o600);
  }
  const signer = signerFromPem(pem);
  await writeFile(publicKeyPath(path), signer.publicKeyPem, { mode: 0o644 });
  return signer;
}

export async function loadSigningKeyFile(path: string): Promise<Signer> {
  try {
    return signerFromPem(await readFile(path, 'utf8'));
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError('not_found', `signing key ${path} cannot be read`, { cause: err });
  }
}

export const publicKeyPath = (privatePath: string) => privatePath.replace(/(\.pem)?$/, '.pub.pem');

/** Signs `value` as canonical JSON; returns the bytes that were signed and the signature. */
export function signJson(signer: Signer, value: unknown): { json: string; signature: Buffer } {
  const json = canonicalJson(value);
  return { json, signature: signer.sign(json) };
}
