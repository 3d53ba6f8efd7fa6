/**
 * Issue 13, key custody between the services: the SFU is the internet-facing service and must not be
 * able to sign an audit checkpoint. A PKCS#11 user PIN opens every object of its token, so the
 * gateway's checkpoint key lives in a token of its own (`lagebild-gateway`) whose PIN the SFU never
 * gets; the SFU gets the key token (KEKs) and signs manifests with its own `sign/recorder` key there.
 * The stack is started the way `npm start` starts it (infra/src/service-tokens.ts); a probe run
 * with the SFU's environment shows what its PIN opens, and the SFU itself, in production mode,
 * refuses to run with the gateway's signing token. docs/keys-and-evidence.md and rule KC7 cite it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, SFU_ENTRY } from '@lagebild/infra/paths';
import { spawnService } from '@lagebild/infra/process';
import { GATEWAY_TOKEN } from '@lagebild/infra/service-tokens';
import { canonicalJson, verifierFromPem } from '@lagebild/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingStack, startRecordingStack } from '../src/recording-stack.ts';
import { publishCamera, sfuStats, until } from '../src/sfu.ts';
import { TEST_INTERNAL_SECRET, TEST_MEDIA_SECRET } from '../src/stack.ts';

const run = promisify(execFile);
let rs: RecordingStack;

beforeAll(async () => {
  rs = await startRecordingStack('key-separation', {
    devicesPerTenant: 1,
    // checkpoints soon, so the test sees the gateway sign some
    gatewayEnv: { AUDIT_CHECKPOINT_EVERY: '1', AUDIT_CHECKPOINT_MS: '1000', AUDIT_ANCHOR_MS: '500' },
  });
}, 120_000);

afterAll(async () => {
  await rs?.stop();
});

/** what the SFU's settings open, from a process of their own (test/src/sfu-key-probe.ts) */
async function probeAsSfu(statement: string) {
  const { stdout } = await run(
    process.execPath,
    [join(REPO_ROOT, 'test/src/sfu-key-probe.ts'), GATEWAY_TOKEN, 'gateway', statement],
    // nothing of the test's environment: only what the stack gave the SFU
    { env: { PATH: process.env.PATH, ...rs.stack.sfu!.env } },
  );
  return JSON.parse(stdout) as {
    signer: string;
    usable: { token: string; label: string }[];
    found: number;
    privateKeys: string[];
    forged: { label: string; signature: string }[];
    login: string;
  };
}

describe('issue 13: the SFU cannot reach the audit checkpoint key', () => {
  it('[KC7] is given the key token only: no HSM_SIGNING_* and not the gateway PIN file', () => {
    const sfu = rs.stack.sfu!.env;
    expect(
      Object.keys(sfu).filter((k) => k.startsWith('HSM_SIGNING_TOKEN') || k === 'HSM_SIGNING_PIN_FILE'),
    ).toEqual([]);
    expect(sfu.HSM_TOKEN_LABEL).toBe(rs.hsmEnv.gateway.HSM_TOKEN_LABEL);
    expect(sfu.HSM_PIN_FILE).not.toBe(rs.hsmEnv.gateway.HSM_SIGNING_PIN_FILE);
    expect(rs.hsmEnv.gateway.HSM_SIGNING_TOKEN_LABEL).toBe(GATEWAY_TOKEN);
  });

  it('[KC7] with its PIN, C_FindObjects finds no checkpoint key, login to the gateway token fails, and nothing it can sign passes as a checkpoint', async () => {
    const statement = canonicalJson({
      at: Date.now(),
      format: 'lagebild-audit-checkpoint/1',
      hash: 'f'.repeat(64),
      seq: 1,
    });
    const probe = await probeAsSfu(statement);
    expect(probe.found).toBe(0);
    expect(probe.privateKeys).toEqual(['sign/recorder']);
    expect(probe.usable).toEqual([{ token: 'lagebild', label: 'sign/recorder' }]);
    expect(probe.login).toMatch(/login to token "lagebild-gateway" failed/);
    // the SFU's own key is not the gateway's, and what it signs does not verify as a checkpoint
    expect(probe.signer).not.toBe(rs.signer.fingerprint);
    const checkpointKeys = verifierFromPem(await readFile(rs.paths.pub, 'utf8'));
    expect(checkpointKeys.fingerprints).not.toContain(probe.signer);
    expect(probe.forged.length).toBeGreaterThan(0);
    for (const f of probe.forged)
      expect(checkpointKeys.verify(statement, Buffer.from(f.signature, 'base64')), f.label).toBe(false);
  });

  it('[KC7] the gateway signs the checkpoints, the recorder the manifest of a live recording', async () => {
    const tenant = rs.stack.tenants[0]!;
    const pub = await publishCamera(rs.stack, tenant.id, tenant.devices[0]!);
    let recordingId = '';
    try {
      await pub.connected(10_000);
      await until(
        async () => {
          const r = (await sfuStats(rs.stack)).recordings.find((x) => x.plaintextBytes > 0);
          recordingId = r?.recordingId ?? '';
          return !!r;
        },
        10_000,
        'recorder output',
      );
    } finally {
      await pub.close();
    }
    const row = async () =>
      (await rs.stack.db.pool.query('SELECT state FROM recordings WHERE id = $1', [recordingId])).rows[0];
    await until(async () => (await row()).state !== 'recording', 25_000, 'recording sealed');

    const manifest = JSON.parse(
      await readFile(join(rs.paths.vault, tenant.id, recordingId, 'manifest.json'), 'utf8'),
    );
    const recorder = verifierFromPem(await readFile(rs.paths.recorderPub, 'utf8'));
    expect(manifest.signingKey).toBe(recorder.fingerprint);
    expect(manifest.signingKey).not.toBe(rs.signer.fingerprint);

    const checkpointKeys = verifierFromPem(await readFile(rs.paths.pub, 'utf8'));
    await until(
      async () =>
        (await rs.stack.db.pool.query('SELECT count(*)::int AS n FROM audit_checkpoints')).rows[0].n > 0,
      20_000,
      'a checkpoint signed by the gateway',
    );
    const { rows } = await rs.stack.db.pool.query<{
      statement: string;
      signature: string;
      signing_key: string;
    }>('SELECT statement, signature, signing_key FROM audit_checkpoints');
    for (const cp of rows) {
      expect(cp.signing_key).toBe(rs.signer.fingerprint);
      expect(checkpointKeys.verify(cp.statement, Buffer.from(cp.signature, 'base64'))).toBe(true);
      expect(recorder.verify(cp.statement, Buffer.from(cp.signature, 'base64'))).toBe(false);
    }
  }, 90_000);
});

describe('issue 13: production refuses an SFU that holds a signing key not its own', () => {
  const sfu = (env: Record<string, string>) =>
    spawnService({
      name: 'sfu-production',
      entry: SFU_ENTRY,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        REDIS_URL: rs.stack.redis.url,
        MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET,
        SFU_INTERNAL_SECRET: TEST_INTERNAL_SECRET,
        SFU_CORS_ORIGINS: 'https://lagebild.example',
        SFU_WORKERS: '1',
        MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
        LAGEBILD_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: rs.stack.appUrl,
        SFU_ID: 'sfu-production',
        ...rs.stack.sfu!.env,
        ...env,
      },
      readyTimeoutMs: 30_000,
    }).then(
      async (svc) => {
        await svc.stop();
        return null;
      },
      (e: Error) => e.message,
    );

  it("[KC7] given the gateway's signing token and PIN, the SFU stops naming the key; with the key token alone it starts", async () => {
    const refused = await sfu({
      HSM_SIGNING_TOKEN_LABEL: rs.hsmEnv.gateway.HSM_SIGNING_TOKEN_LABEL!,
      HSM_SIGNING_PIN_FILE: rs.hsmEnv.gateway.HSM_SIGNING_PIN_FILE!,
    });
    expect(refused).toMatch(
      /signing keys that are not the recorder's: .*\(lagebild-gateway: sign\/gateway\)/,
    );
    expect(await sfu({})).toBeNull();
  }, 90_000);
});
