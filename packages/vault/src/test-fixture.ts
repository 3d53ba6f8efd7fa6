/**
 * What the vault's unit tests share: one tenant and one device, a throwaway Ed25519 signing key and its
 * verifier, 1 KiB chunks, a development keyring file holding a key for the tenant, and a recording
 * over several segments.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { recordBytes } from './format.ts';
import { createKeyring, ensureTenants, type KeyringFile } from './keyring.ts';
import { openRecording } from './reader.ts';
import { generateSigningPem, signerFromPem, verifierFromPem } from './signing.ts';
import type { VaultStore } from './store.ts';
import { createRecordingWriter } from './writer.ts';

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

/**
 * One recording's plaintext, written as a recording of 5,000 chunks over 3 segments: several reads
 * per segment and more than two 1 MiB buffers' worth for the reader; `write` stores it (a new id each
 * time) and `open` opens it again.
 */
export function segmentedRecording() {
  const plain = randomBytes(5000 * CHUNK + 321);
  const segmentMaxBytes = 2200 * recordBytes(CHUNK);
  const keyring = createKeyring(ringFile());
  return {
    plain,
    async write(store: VaultStore): Promise<string> {
      const recordingId = randomUUID();
      const w = await createRecordingWriter({
        store,
        keyring,
        signer,
        recordingId,
        tenantId: TENANT,
        deviceId: DEVICE,
        chunkSize: CHUNK,
        segmentMaxBytes,
      });
      for (let off = 0; off < plain.length; off += 65_536) await w.write(plain.subarray(off, off + 65_536));
      await w.seal();
      return recordingId;
    },
    open: (store: VaultStore, recordingId: string) =>
      openRecording({ store, keyring, tenantId: TENANT, recordingId, verifier }),
  };
}
