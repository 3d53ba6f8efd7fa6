/**
 * Live video in an open tile across SFU faults (issue 14, [FLT11][FLT12][FLT14]): an operator watches a
 * recording unit's tile while the SFU's mediasoup workers are SIGKILLed, the SFU process is SIGKILLed
 * and started again, and the SFU is stopped gracefully (SIGTERM) and started again, as a supervisor
 * does. Each time the same tile plays again by itself — nobody clicks — with new decoded frames from
 * the camera's new publish. This spec starts a stack of its own: it kills the SFU, which the shared
 * worker stack of the other video specs must not see.
 */

import type { ServiceHandle } from '@lagebild/infra/process';
import { type SimEvent, startSimulation } from '@lagebild/sim';
import { createWhipVideo, type WhipVideo } from '@lagebild/sim/whip';
import { expect, type Page, test } from '@playwright/test';
import { environOf, sfuStats, startSfuAgain } from '../src/sfu.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { createTestVault, type TestVault } from './test-vault.ts';

/** a bound for a loaded 2-core CI machine; the recovery times are measured and annotated */
const BACK_WITHIN_MS = 45_000;
/** frames a tile must decode after the fault to count as playing again (3 s at 15 fps) */
const FRAMES_AGAIN = 45;

let vault: TestVault;
let stack: Stack;
let sim: Awaited<ReturnType<typeof startSimulation>>;
let video: WhipVideo;
let restarted: ServiceHandle | null = null;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  vault = await createTestVault();
  stack = await startStack({
    gateways: 1,
    devicesPerTenant: 2,
    serveWeb: true,
    sfu: true,
    gatewayEnv: vault.env,
  });
  await vault.addTenants(stack);
  const listeners = new Set<(e: SimEvent) => void>();
  const devices = stack.tenants[0]!.devices;
  sim = await startSimulation({
    url: stack.url,
    devices: devices.map((d) => ({
      deviceId: d.deviceId,
      secret: d.secret,
      label: d.label,
      city: 'duisburg',
    })),
    behaviour: 'steady',
    rateHz: 1,
    seed: 11,
    onEvent: (e) => {
      for (const l of listeners) l(e);
    },
  });
  video = createWhipVideo({ gatewayUrl: stack.url, devices, fps: 15 });
  listeners.add((e) => video.onEvent(e));
  const deadline = Date.now() + 30_000;
  while (!sim.devices.every((d) => d.connected)) {
    if (Date.now() > deadline) throw new Error('simulated cameras not connected after 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
});

test.afterAll(async () => {
  await video?.close();
  await sim?.stop();
  await restarted?.stop();
  await stack?.stop();
  await vault?.remove();
});

/**
 * From now on the page notes the time of every frame presented by the tile's <video>, whichever
 * element the tile shows (a re-subscribed tile may get a new one).
 */
async function noteFrames(page: Page, deviceId: string): Promise<void> {
  await page.evaluate((id) => {
    const w = window as unknown as { frameTimes_: number[] };
    w.frameTimes_ = [];
    const watched = new WeakSet<HTMLVideoElement>();
    setInterval(() => {
      const v = document.querySelector<HTMLVideoElement>(`article.video-tile[data-device-id="${id}"] video`);
      if (!v || watched.has(v)) return;
      watched.add(v);
      const onFrame = () => {
        w.frameTimes_.push(Date.now());
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    }, 100);
  }, deviceId);
}

/** Waits until the tile has presented FRAMES_AGAIN frames after `since`; ms from `faultAt` to the first. */
async function playsAgain(page: Page, since: number, faultAt: number): Promise<number> {
  await page.waitForFunction(
    ({ since, n }) =>
      (window as unknown as { frameTimes_: number[] }).frameTimes_.filter((t) => t > since).length >= n,
    { since, n: FRAMES_AGAIN },
    { timeout: BACK_WITHIN_MS, polling: 250 },
  );
  const first = await page.evaluate(
    (since) => (window as unknown as { frameTimes_: number[] }).frameTimes_.find((t) => t > since)!,
    since,
  );
  return first - faultAt;
}

test('[FLT11][FLT12][FLT14] an open tile plays again by itself after the workers, the SFU process and a graceful SFU restart', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const device = stack.tenants[0]!.devices[0]!;
  await page.goto(`${stack.url}/login/`);
  await page.getByLabel(/Benutzername|Username/).fill('duisburg.operator');
  await page.getByLabel(/Passwort|Password/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /Anmelden|Sign in|Log in/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await expect(page.locator('.connection-live')).toBeVisible({ timeout: 15_000 });

  sim.device(device.deviceId).setStage('recording', { announced: true });
  const tile = page.locator(`article.video-tile[data-device-id="${device.deviceId}"]`);
  await expect(tile).toBeVisible({ timeout: 30_000 });
  await noteFrames(page, device.deviceId);
  await playsAgain(page, 0, Date.now());

  // 1. every mediasoup worker SIGKILLed: the SFU makes new ones, the camera publishes again
  const { workers } = await sfuStats(stack);
  const workersAt = Date.now();
  for (const w of workers) process.kill(w.pid, 'SIGKILL');
  const afterWorkersMs = await playsAgain(page, workersAt + 500, workersAt);

  // 2. the SFU process SIGKILLed and started again with the same configuration
  const sfuPid = stack.sfu!.child.pid!;
  const env = await environOf(sfuPid);
  const killedAt = Date.now();
  process.kill(sfuPid, 'SIGKILL');
  await stack.sfu!.exited;
  restarted = await startSfuAgain(env);
  const afterKillMs = await playsAgain(page, Date.now(), killedAt);

  // 3. the SFU stopped gracefully (SIGTERM) and started again
  const stoppedAt = Date.now();
  await restarted.stop(30_000);
  restarted = await startSfuAgain(env, 'sfu-restarted-2');
  const afterRestartMs = await playsAgain(page, Date.now(), stoppedAt);

  await expect(tile).toBeVisible();
  const figures = { afterWorkersMs, afterKillMs, afterRestartMs };
  console.log(`[fault] tile-across-sfu-faults: ${JSON.stringify(figures)}`);
  test.info().annotations.push({ type: 'recovery', description: JSON.stringify(figures) });
});
