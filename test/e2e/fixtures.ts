/**
 * Playwright fixtures: a real stack per worker (embedded PostgreSQL, redis-server, a gateway serving
 * the built control room) and the simulator driving the seeded cameras in 'steady' mode, so tests
 * script stage changes themselves. A spec with `test.use({ liveVideo: true })` gets its own worker
 * whose stack also runs the SFU; once a test there asks for `whipVideo`, a camera that goes to
 * 'recording' publishes live video over WHIP, as a real one would. Only there: with mediasoup
 * workers and VP8 encoders on two cores the other specs' timings suffer. `loginAs` signs in through
 * the login page.
 */

import { type SimEvent, startSimulation } from '@lagebild/sim';
import { createWhipVideo, type WhipVideo } from '@lagebild/sim/whip';
import { test as base, expect, type Page } from '@playwright/test';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { createTestVault, type TestVault } from './test-vault.ts';

export type Simulation = Awaited<ReturnType<typeof startSimulation>>;

interface WorkerFixtures {
  /** option: run the SFU in this worker's stack (live video specs) */
  liveVideo: boolean;
  vault: TestVault;
  stack: Stack;
  sim: Simulation;
  /** listeners of the simulator's events (the `video` fixture is one) */
  simEvents: Set<(e: SimEvent) => void>;
  /** the simulated cameras' WHIP video (Playwright's own `video` is its screen-recording option) */
  whipVideo: WhipVideo;
}
interface TestFixtures {
  loginAs: (page: Page, username: string) => Promise<void>;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  vault: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => {
      const vault = await createTestVault();
      await use(vault);
      await vault.remove();
    },
    { scope: 'worker' },
  ],
  liveVideo: [false, { scope: 'worker', option: true }],
  stack: [
    async ({ vault, liveVideo }, use) => {
      const stack = await startStack({
        gateways: 1,
        devicesPerTenant: 20,
        serveWeb: true,
        sfu: liveVideo,
        gatewayEnv: vault.env,
        verbose: process.env.LB_E2E_VERBOSE === '1',
        logLevel: process.env.LB_E2E_VERBOSE === '1' ? 'info' : undefined,
      });
      await vault.addTenants(stack);
      await use(stack);
      await stack.stop();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
  simEvents: [async ({}, use) => use(new Set()), { scope: 'worker' }],
  whipVideo: [
    async ({ stack, sim, simEvents }, use) => {
      void sim; // the simulator runs first, so its stage events reach us
      const devices = stack.tenants.flatMap((t) => t.devices);
      const video = createWhipVideo({ gatewayUrl: stack.url, devices, fps: 15 });
      const listener = (e: SimEvent) => video.onEvent(e);
      simEvents.add(listener);
      await use(video);
      simEvents.delete(listener);
      await video.close();
    },
    { scope: 'worker', timeout: 30_000 },
  ],
  sim: [
    async ({ stack, simEvents }, use) => {
      const devices = stack.tenants.flatMap((t) =>
        t.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret, label: d.label, city: t.slug })),
      );
      // officers accept every dispatch request within a second or so, so dispatch tests are deterministic
      const sim = await startSimulation({
        url: stack.url,
        devices,
        behaviour: 'steady',
        rateHz: 1,
        seed: 7,
        response: { acceptRate: 1, minAnswerMs: 300, maxAnswerMs: 1200 },
        onEvent: (e) => {
          for (const listener of simEvents) listener(e);
        },
      });
      // devices connect over the first ticks (ramp-up); a test that drives one must find it connected,
      // also when Playwright starts a fresh worker after a failure
      const deadline = Date.now() + 30_000;
      while (!sim.devices.every((d) => d.connected || d.refused)) {
        if (Date.now() > deadline)
          throw new Error(
            `simulator: ${sim.devices.filter((d) => !d.connected).length} devices not connected after 30 s`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      await use(sim);
      await sim.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  loginAs: async ({ stack }, use) => {
    await use(async (page, username) => {
      await page.goto(`${stack.url}/login/`);
      await page.getByLabel(/Benutzername|Username/).fill(username);
      await page.getByLabel(/Passwort|Password/).fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: /Anmelden|Sign in|Log in/ }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    });
  },
});

export { expect };
