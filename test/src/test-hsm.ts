/**
 * A SoftHSM2 token of the test's own (issue 13): a token directory under the test's temp folder,
 * initialised with a generated PIN, the HSM_* and SOFTHSM2_CONF variables that point the gateway
 * and the SFU at it, and the same token opened in the test process (the keyring that reads what the
 * recorder wrote, the signer whose public key checks what the services signed).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureSoftHsmToken, type KeySource, openKeySource } from '@lagebild/vault';

export interface TestHsm {
  /** HSM_TOKEN_LABEL, HSM_PIN_FILE, HSM_MODULE and SOFTHSM2_CONF for gateway and SFU */
  env: Record<'HSM_TOKEN_LABEL' | 'HSM_PIN_FILE' | 'HSM_MODULE' | 'SOFTHSM2_CONF', string>;
  /** the token opened in the test process; the service key is created on first open */
  keys: KeySource;
  /** the service's public key (PEM), for the CLI's --pubkey and openssl */
  pubFile: string;
  close(): void;
}

/** a token labelled `lagebild` in `<dir>/hsm` */
export async function testHsm(dir: string): Promise<TestHsm> {
  const setup = await ensureSoftHsmToken(join(dir, 'hsm'), 'lagebild');
  const keys = await openKeySource({ hsm: setup, signerName: 'service' });
  const pubFile = join(dir, 'hsm', 'service.pub.pem');
  await writeFile(pubFile, keys.signer.publicKeyPem);
  return {
    env: {
      HSM_TOKEN_LABEL: setup.tokenLabel,
      HSM_PIN_FILE: setup.pinFile,
      HSM_MODULE: setup.modulePath,
      SOFTHSM2_CONF: setup.conf,
    },
    keys,
    pubFile,
    close: () => keys.close(),
  };
}
