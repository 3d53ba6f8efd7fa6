/**
 * A fresh installation has no recordings folder yet. The gateway creates VAULT_DIR (0700) at start,
 * so the recordings component is healthy before the first recording; before, the health monitor
 * could not read the missing folder and the control room showed "Eingeschränkter Betrieb:
 * Ablage der Aufzeichnungen nicht lesbar" from the start (found in CI by the map's hover e2e).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { degradedGauge, FAULT_GATEWAY_ENV, within } from '../src/faults/observe.ts';
import { type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

let stack: Stack | undefined;
let vault: TestVault | undefined;
let dir: string | undefined;

afterAll(async () => {
  await stack?.stop();
  vault?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the recordings folder of a fresh installation', () => {
  it('is created by the gateway (0700) and the recordings component is healthy from the start', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lagebild-vault-folder-'));
    vault = await testVault(dir);
    await expect(stat(vault.env.VAULT_DIR)).rejects.toThrow(/ENOENT/);
    stack = await startStack({ devicesPerTenant: 1, gatewayEnv: { ...vault.env, ...FAULT_GATEWAY_ENV } });
    const url = stack.gateways[0]!.url;
    await within(async () => (await degradedGauge(url, 'recordings')) === 0, 5000, 'recordings healthy');
    expect((await stat(vault.env.VAULT_DIR)).mode & 0o777).toBe(0o700);
  });
});
