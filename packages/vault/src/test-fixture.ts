/**
 * What the vault's unit tests share: one tenant and one device, a throwaway Ed25519 signing key and its
 * verifier, 1 KiB chunks, and a development keyring file holding a key for the tenant.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ensureTenants, type KeyringFile } from './keyring.ts';
import { generateSigningPem, signerFromPem, verifierFromPem } from './signing.ts';

export const TENANT = randomUUID();
export const DEVICE = randomUUID();
export const signer = signerFromPem(generateSigningPem());
export const verifier = verifierFromPem(signer.publicKeyPem);
export const CHUNK = 1024;

/** a new keyring file with one key for TENANT */
export function ringFile(): KeyringFile {
  const f: KeyringFile = { format: 'lagebild-keyring/1', tenants: {} };
  ensureTenants(f, [TENANT]);
  return f;
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
