/**
 * The encrypted vault the test stacks hand to their gateways: a vault folder and a SoftHSM2 token
 * (issue 13: the tenants' KEKs and the service's signing key inside the module) in a folder the
 * caller owns, the VAULT_DIR and HSM_* variables that point the gateway at them, and
 * `importRecording` that puts a video into the vault the way the recorder's importer does. KEKs are
 * created in the token on first use, so a stack's tenants need no step of their own.
 */
import { join } from 'node:path';
import { importRecording } from '@lagebild/gateway/recordings';
import { type HsmKeyring, type Keyring, localFolderStore, type Signer } from '@lagebild/vault';
import type { Stack } from './stack.ts';
import { type TestHsm, testHsm } from './test-hsm.ts';

export interface TestVault {
  /** VAULT_DIR and the HSM_* variables (with SOFTHSM2_CONF) for the gateway and the SFU */
  env: { VAULT_DIR: string } & TestHsm['env'];
  signer: Signer;
  /** the service's public key (PEM file), for the CLI's --pubkey and openssl */
  pubFile: string;
  /** the token's keyring, opened in the test process */
  keyring: Keyring & HsmKeyring;
  /** kept for the suites' setup order: the token creates a tenant's keys on first use */
  addTenants(stack: Stack): Promise<Keyring>;
  /** imports `file` as a recording of the device; its id */
  importRecording(
    stack: Stack,
    o: { tenantId: string; deviceId: string; file: string; startedAt?: number; stoppedAt?: number },
  ): Promise<string>;
  close(): void;
}

/** a vault in `dir` (under `vault/` and `hsm/`) */
export async function testVault(dir: string): Promise<TestVault> {
  const hsm = await testHsm(dir);
  const env = { VAULT_DIR: join(dir, 'vault'), ...hsm.env };
  const keyring = hsm.keys.hsm!;
  const signer = hsm.keys.signer;
  return {
    env,
    signer,
    pubFile: hsm.pubFile,
    keyring,
    addTenants: async () => keyring,
    importRecording(stack, o) {
      return importRecording({
        pool: stack.db.pool,
        store: localFolderStore(env.VAULT_DIR),
        keyring,
        signer,
        ...o,
      });
    },
    close: () => hsm.close(),
  };
}
