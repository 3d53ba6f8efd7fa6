/**
 * The encrypted vault the test stacks hand to their gateways: signing key and keyring files in a
 * folder the caller owns, the VAULT_* variables that point the gateway at them, and
 * `importRecording` that puts a video into the vault the way the recorder's importer does. The
 * signing key exists before the stack starts; the keyring once the stack has seeded its tenants
 * (the gateway re-reads the file).
 */
import { join } from 'node:path';
import { importRecording } from '@lagebild/gateway/recordings';
import {
  ensureKeyringFile,
  ensureSigningKeyFile,
  type Keyring,
  localFolderStore,
  type Signer,
} from '@lagebild/vault';
import type { Stack } from './stack.ts';

export interface TestVault {
  /** VAULT_DIR, VAULT_KEYRING_FILE, VAULT_SIGNING_KEY_FILE for the gateway */
  env: { VAULT_DIR: string; VAULT_KEYRING_FILE: string; VAULT_SIGNING_KEY_FILE: string };
  signer: Signer;
  /** writes the keys of the stack's tenants into the keyring file */
  addTenants(stack: Stack): Promise<Keyring>;
  /** imports `file` as a recording of the device; its id */
  importRecording(
    stack: Stack,
    o: { tenantId: string; deviceId: string; file: string; startedAt?: number; stoppedAt?: number },
  ): Promise<string>;
}

/** a vault in `dir` (under `vault/` and `keys/`) */
export async function testVault(dir: string): Promise<TestVault> {
  const env = {
    VAULT_DIR: join(dir, 'vault'),
    VAULT_KEYRING_FILE: join(dir, 'keys', 'keyring.json'),
    VAULT_SIGNING_KEY_FILE: join(dir, 'keys', 'signing.pem'),
  };
  const signer = await ensureSigningKeyFile(env.VAULT_SIGNING_KEY_FILE);
  let keyring: Keyring | null = null;
  return {
    env,
    signer,
    async addTenants(stack) {
      keyring = await ensureKeyringFile(
        env.VAULT_KEYRING_FILE,
        stack.tenants.map((t) => t.id),
      );
      return keyring;
    },
    importRecording(stack, o) {
      if (!keyring) throw new Error('call addTenants(stack) first');
      return importRecording({
        pool: stack.db.pool,
        store: localFolderStore(env.VAULT_DIR),
        keyring,
        signer,
        ...o,
      });
    },
  };
}
