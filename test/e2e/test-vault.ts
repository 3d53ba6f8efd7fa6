/**
 * An encrypted vault for the Playwright stack (issue 6): a vault folder and a SoftHSM2 token in a
 * temporary folder, handed to the gateway as VAULT_DIR and HSM_* variables, and `seedRecording` that puts a real WebM
 * (ffmpeg's test picture) into it the way run-local seeds its demo recordings (`importRecording`).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestVideo } from '@lagebild/vault';
import type { Stack } from '../src/stack.ts';
import { testVault } from '../src/test-vault.ts';

const VIDEO_S = 12;

export interface TestVault {
  /** VAULT_DIR and the HSM_* variables of a SoftHSM2 token for the gateway (issue 13) */
  env: Record<string, string>;
  /** kept for the setup order: the token creates a tenant's keys on first use */
  addTenants(stack: Stack): Promise<void>;
  seedRecording(
    stack: Stack,
    o: { city: 'duisburg' | 'dortmund'; device?: number; startedAt?: number },
  ): Promise<string>;
  remove(): Promise<void>;
}

export async function createTestVault(): Promise<TestVault> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-e2e-vault-'));
  await chmod(dir, 0o755);
  const vault = await testVault(dir);
  let video: Promise<string> | null = null;
  return {
    env: vault.env,
    async addTenants(stack) {
      await vault.addTenants(stack);
    },
    async seedRecording(stack, o) {
      video ??= (async () => {
        const file = join(dir, 'demo.webm');
        await makeTestVideo(file, { seconds: VIDEO_S });
        return file;
      })();
      const t = stack.tenants.find((x) => x.slug === o.city)!;
      const startedAt = o.startedAt ?? Date.now();
      return vault.importRecording(stack, {
        tenantId: t.id,
        deviceId: t.devices[o.device ?? 0]!.deviceId,
        file: await video,
        startedAt,
        stoppedAt: startedAt + VIDEO_S * 1000,
      });
    },
    async remove() {
      vault.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
