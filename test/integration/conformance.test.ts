/**
 * `npm run conformance` (issue 16) against a test stack: the command itself, as a vendor runs it,
 * passes every rule it checks for a provisioned device, and fails (exit 1, rules marked FAIL) when
 * the device's credentials are wrong, so the command can tell a broken device from a good one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, TEST_MEDIA_SECRET } from '../src/stack.ts';

const CLI = join(import.meta.dirname, '..', 'src', 'conformance', 'cli.ts');

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    gateways: 1,
    devicesPerTenant: 2,
    gatewayEnv: { MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function conformance(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** `D4 PASS  D6 PASS …` → { D4: 'PASS', … } */
const verdicts = (out: string): Record<string, string> =>
  Object.fromEntries([...out.matchAll(/\b(D\d+) (PASS|FAIL|SKIP)\b/g)].map((m) => [m[1], m[2]]));

describe('npm run conformance', () => {
  it('[D2][D3][D4][D6][D7][D8][D10][D11][D12][D13][D14][D15][D16][D17][D18][D20][D29][D30][D31][D32] passes every rule it checks against a test stack', async () => {
    const dev = stack.tenants[0]!.devices[0]!;
    const { code, out } = await conformance([
      '--url',
      stack.url,
      '--device-id',
      dev.deviceId,
      '--secret',
      dev.secret,
    ]);
    expect(out).toContain('no failure');
    expect(code, out).toBe(0);
    const v = verdicts(out);
    for (const rule of [
      'D2',
      'D3',
      'D4',
      'D6',
      'D7',
      'D8',
      'D10',
      'D11',
      'D12',
      'D13',
      'D14',
      'D15',
      'D16',
      'D17',
      'D18',
      'D20',
      'D29',
      'D30',
      'D31',
      'D32',
    ])
      expect(v[rule], `${rule}\n${out}`).toBe('PASS');
    // what it sent is in the database: the command spoke to the gateway, not to itself
    const { rows } = await stack.db.pool.query(
      'SELECT count(*)::int AS n FROM status_events WHERE device_id = $1',
      [dev.deviceId],
    );
    expect(rows[0].n).toBeGreaterThan(20);
  }, 120_000);

  it('fails with exit code 1 and names the failing rules when the device cannot authenticate', async () => {
    const dev = stack.tenants[0]!.devices[1]!;
    const { code, out } = await conformance([
      '--url',
      stack.url,
      '--device-id',
      dev.deviceId,
      '--secret',
      'wrong-secret-0123456789abcdefghijklmnopqrstu',
      '--only',
      'D2,D10,D15',
    ]);
    expect(code, out).toBe(1);
    const v = verdicts(out);
    expect(v.D2).toBe('FAIL');
    expect(v.D10).toBe('FAIL');
    expect(v.D15).toBe('FAIL');
    expect(out).toMatch(/rules failed/);
  }, 60_000);

  it('refuses to run without its arguments (exit code 2)', async () => {
    const { code, out } = await conformance(['--url', stack.url]);
    expect(code).toBe(2);
    expect(out).toContain('--device-id');
  });
});
