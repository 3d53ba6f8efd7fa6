/**
 * The embedded HSM for `npm start` and the tests: a SoftHSM2 token directory under a folder the
 * caller owns, its `softhsm2.conf`, and the token initialised once with a generated user PIN (and SO
 * PIN) stored 0600 beside it. SoftHSM2 finds its configuration through SOFTHSM2_CONF, which this sets
 * in `process.env` for the calling process and returns for the services it starts.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VaultError } from '../errors.ts';
import type { HsmConfig } from './pkcs11-token.ts';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmSetup extends HsmConfig {
  /** the SOFTHSM2_CONF the services need in their environment */
  conf: string;
}

async function ensureSecret(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const secret = randomBytes(16).toString('hex');
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(() => {});
    await chmod(path, 0o600);
    return (await readFile(path, 'utf8')).trim();
  }
}

/** Creates (once) a SoftHSM2 token labelled `tokenLabel` under `dir`. */
export async function ensureSoftHsmToken(
  dir: string,
  tokenLabel: string,
  modulePath = SOFTHSM_MODULE,
): Promise<SoftHsmSetup> {
  if (!existsSync(modulePath)) {
    throw new VaultError(
      'not_found',
      `SoftHSM2 is missing (${modulePath}): install the Debian package softhsm2 (infra/bin/setup.sh does)`,
    );
  }
  const tokens = join(dir, 'tokens');
  await mkdir(tokens, { recursive: true, mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
    { mode: 0o600 },
  );
  process.env.SOFTHSM2_CONF = conf;
  const pinFile = join(dir, `${tokenLabel}.pin`);
  const pin = await ensureSecret(pinFile);
  const soPin = await ensureSecret(join(dir, `${tokenLabel}.so-pin`));
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const listing = execFileSync('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' });
  if (!new RegExp(`Label:\\s+${tokenLabel}\\s*$`, 'm').test(listing)) {
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin],
      { env, stdio: 'ignore' },
    );
  }
  return { modulePath, tokenLabel, pinFile, conf };
}
