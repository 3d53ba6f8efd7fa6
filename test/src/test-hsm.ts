/**
 * The SoftHSM2 tokens of a test's own (issue 13), made as `npm start` makes them
 * (infra/src/service-tokens.ts) in the test's temp folder: the key token (KEKs, the recorder's
 * manifest key; gateway and SFU) and the gateway's signing token (checkpoint key; gateway only). The
 * HSM_* and SOFTHSM2_CONF variables for each service, and the tokens opened in the test process as
 * the gateway opens them (the keyring that reads what the recorder wrote, the gateway's signer).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureServiceTokens, type ServiceTokens } from '@lagebild/infra/service-tokens';
import { type KeySource, openKeySource } from '@lagebild/vault';

export interface TestHsm {
  /** the gateway's: HSM_TOKEN_LABEL, HSM_PIN_FILE, HSM_MODULE, SOFTHSM2_CONF and its HSM_SIGNING_* */
  env: ServiceTokens['gatewayEnv'];
  /** the SFU's: the key token only (what the test stack derives from `env`) */
  sfuEnv: ServiceTokens['sfuEnv'];
  /** the tokens opened in the test process as the gateway opens them */
  keys: KeySource;
  /** the public keys audit checkpoints are signed with (PEM), for the CLI's --pubkey and openssl */
  pubFile: string;
  /** the recorder's public key (PEM): live recordings' manifests */
  recorderPubFile: string;
  tokens: ServiceTokens;
  close(): void;
}

/** tokens `lagebild` and `lagebild-gateway` in `<dir>/hsm` */
export async function testHsm(dir: string): Promise<TestHsm> {
  const tokens = await ensureServiceTokens(join(dir, 'hsm'));
  const keys = await openKeySource({
    hsm: tokens.keyToken,
    signingHsm: tokens.gatewayToken,
    signerName: tokens.gatewayEnv.HSM_SIGNING_KEY,
  });
  const pubFile = join(dir, 'hsm', 'service.pub.pem');
  const recorderPubFile = join(dir, 'hsm', 'recorder.pub.pem');
  await writeFile(pubFile, tokens.checkpointKeysPem);
  await writeFile(recorderPubFile, tokens.recorderKeyPem);
  return {
    env: tokens.gatewayEnv,
    sfuEnv: tokens.sfuEnv,
    keys,
    pubFile,
    recorderPubFile,
    tokens,
    close: () => keys.close(),
  };
}
