/**
 * A stack that records: the SFU encrypts every published stream into a vault in a temp folder the
 * test owns, with its own signing key and the tenants' keyring. The recorder, pre-recording and
 * evidence-export suites use it; each scans or reads the folders `paths` names.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKeyringFile, ensureSigningKeyFile, type Keyring } from '@lagebild/vault';
import { type Stack, startStack } from './stack.ts';

export interface RecordingPaths {
  vault: string;
  keyring: string;
  key: string;
  pub: string;
  /** TMPDIR of the SFU and its ffmpeg children (suites scan it for plaintext) */
  sfuTmp: string;
  /** TMPDIR of the gateway (the export's remux must leave nothing behind) */
  gatewayTmp: string;
}

export interface RecordingStack {
  stack: Stack;
  /** the test's own temp folder (vault, keys and temp dirs inside; removed by `stop`) */
  dir: string;
  paths: RecordingPaths;
  keyring: Keyring;
  stop(): Promise<void>;
}

export async function startRecordingStack(
  name: string,
  opts: { devicesPerTenant: number; gatewayTmp?: boolean },
): Promise<RecordingStack> {
  const dir = await mkdtemp(join(tmpdir(), `lagebild-${name}-test-`));
  const paths: RecordingPaths = {
    vault: join(dir, 'vault'),
    keyring: join(dir, 'keys', 'keyring.json'),
    key: join(dir, 'keys', 'signing.pem'),
    pub: join(dir, 'keys', 'signing.pub.pem'),
    sfuTmp: join(dir, 'sfu-tmp'),
    gatewayTmp: join(dir, 'gateway-tmp'),
  };
  await mkdir(paths.sfuTmp, { recursive: true });
  if (opts.gatewayTmp) await mkdir(paths.gatewayTmp, { recursive: true });
  const signer = await ensureSigningKeyFile(paths.key);
  await writeFile(paths.pub, signer.publicKeyPem);
  const stack = await startStack({
    sfu: true,
    devicesPerTenant: opts.devicesPerTenant,
    gatewayEnv: {
      VAULT_DIR: paths.vault,
      VAULT_KEYRING_FILE: paths.keyring,
      VAULT_SIGNING_KEY_FILE: paths.key,
      RETENTION_SWEEP_MS: '0',
      ...(opts.gatewayTmp ? { TMPDIR: paths.gatewayTmp } : {}),
    },
    sfuEnv: { TMPDIR: paths.sfuTmp, SFU_RECORD_SEGMENT_MS: '2000' },
  });
  const keyring = await ensureKeyringFile(
    paths.keyring,
    stack.tenants.map((t) => t.id),
  );
  return {
    stack,
    dir,
    paths,
    keyring,
    async stop() {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
