/**
 * `npm start` before issue 13 kept the tenants' KEKs in .data/keys/keyring.json. Its keys are moved
 * into the SoftHSM2 token once (sensitive, non-extractable from then on) so the recordings they wrap
 * stay readable, and the file is removed: a key left in a file would undo what the token is for.
 */
import { rm } from 'node:fs/promises';
import { createKeyring, type HsmKeyring, loadKeyringFile } from '@lagebild/vault';

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
