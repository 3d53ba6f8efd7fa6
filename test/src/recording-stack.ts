/**
 * A stack that records: the SFU encrypts every published stream into a vault in a temp folder the
 * test owns, its keys in SoftHSM2 tokens of its own (issue 13: the key token with the KEKs and the
 * recorder's manifest key, which the SFU gets; the gateway's signing token, which it does not). The recorder, pre-recording, evidence-export and key-custody suites use it; each scans or
 * reads the folders `paths` names.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HsmKeyring, Keyring, Signer } from '@lagebild/vault';
import { type Stack, startStack } from './stack.ts';
import { testHsm } from './test-hsm.ts';

export interface RecordingPaths {
  vault: string;
  /** the SoftHSM2 token directory and configuration */
  hsm: string;
  /** the public keys audit checkpoints, receipts and export notes are signed with (the gateway's, PEM) */
  pub: string;
  /** the recorder's public key (PEM): the SFU signs live recordings' manifests with it */
  recorderPub: string;
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
  /** the token's keyring, opened in the test process */
  keyring: Keyring & HsmKeyring;
  /** the gateway's signer */
  signer: Signer;
  /** the gateway's and the SFU's HSM settings as the stack passes them */
  hsmEnv: { gateway: Record<string, string>; sfu: Record<string, string> };
  stop(): Promise<void>;
}

export async function startRecordingStack(
  name: string,
  opts: {
    devicesPerTenant: number;
    gatewayTmp?: boolean;
    gatewayEnv?: Record<string, string>;
    /** gateways (default 1; the soak runs 2) */
    gateways?: number;
    /** every line the SFU writes (its pino log) */
    onSfuLine?: (line: string) => void;
  },
): Promise<RecordingStack> {
  const dir = await mkdtemp(join(tmpdir(), `lagebild-${name}-test-`));
  const paths: RecordingPaths = {
    vault: join(dir, 'vault'),
    hsm: join(dir, 'hsm'),
    pub: join(dir, 'hsm', 'service.pub.pem'),
    recorderPub: join(dir, 'hsm', 'recorder.pub.pem'),
    sfuTmp: join(dir, 'sfu-tmp'),
    gatewayTmp: join(dir, 'gateway-tmp'),
  };
  await mkdir(paths.sfuTmp, { recursive: true });
  if (opts.gatewayTmp) await mkdir(paths.gatewayTmp, { recursive: true });
  const hsm = await testHsm(dir);
  const stack = await startStack({
    sfu: true,
    gateways: opts.gateways,
    onSfuLine: opts.onSfuLine,
    devicesPerTenant: opts.devicesPerTenant,
    gatewayEnv: {
      VAULT_DIR: paths.vault,
      ...hsm.env,
      RETENTION_SWEEP_MS: '0',
      ...opts.gatewayEnv,
      ...(opts.gatewayTmp ? { TMPDIR: paths.gatewayTmp } : {}),
    },
    sfuEnv: { TMPDIR: paths.sfuTmp, SFU_RECORD_SEGMENT_MS: '2000' },
  });
  return {
    stack,
    dir,
    paths,
    keyring: hsm.keys.hsm!,
    signer: hsm.keys.signer,
    hsmEnv: { gateway: hsm.env, sfu: hsm.sfuEnv },
    async stop() {
      await stack.stop();
      hsm.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
