/**
 * `npm start` before issue 13 kept the tenants' KEKs in .data/keys/keyring.json and the service key in
 * .data/keys/signing.pem. Both are moved into the SoftHSM2 token once (sensitive, non-extractable from
 * then on), so the recordings they wrap stay readable and the manifests and audit checkpoints signed
 * before keep verifying with the same public key; then the files are removed: a key left in a file
 * would undo what the token is for.
 */
import { readFile, rm } from 'node:fs/promises';
import {
  createKeyring,
  type HsmConfig,
  type HsmKeyring,
  importHsmSigner,
  loadKeyringFile,
  openHsmToken,
} from '@lagebild/vault';

/** before the token is opened for use: the service key must not be created there first */
export async function importOldSigningKey(
  file: string,
  hsm: HsmConfig,
  say: (line: string) => void,
): Promise<void> {
  const pem = await readFile(file, 'utf8').catch(() => null);
  if (!pem) return;
  const token = openHsmToken(hsm);
  try {
    const fingerprint = importHsmSigner(token, 'service', pem);
    if (fingerprint) say(`signing.pem: moved into the HSM token (sha256:${fingerprint.slice(0, 16)}…)`);
  } finally {
    token.close();
  }
  await rm(file, { force: true });
}

export async function importOldKeyring(
  file: string,
  keyring: HsmKeyring,
  say: (line: string) => void,
): Promise<void> {
  const old = await loadKeyringFile(file).catch(() => null);
  if (!old) return;
  createKeyring(old); // validates before anything is imported
  let n = 0;
  for (const [tenantId, t] of Object.entries(old.tenants)) {
    for (const [kekId, b64] of Object.entries(t.keys)) {
      if (keyring.importKek(tenantId, kekId, Buffer.from(b64, 'base64'))) n++;
    }
  }
  await rm(file, { force: true });
  say(`keyring.json: ${n} key(s) moved into the HSM token, file removed`);
}
