import { defineConfig } from '@playwright/test';

// The control room in Debian's Chromium (no browser download). Each worker starts its own stack
// (see e2e/fixtures.ts); one worker keeps the 2-core machines calm.
export default defineConfig({
  testDir: './e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 5_000 },
  outputDir: '../test-results/playwright',
  reporter: [['list'], ['json']],
  use: {
    browserName: 'chromium',
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    viewport: { width: 1600, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // a fake microphone (a beep) for talkback; whether the page may use it is the context's
        // permission (talkback.spec.ts grants it, or not), so no --use-fake-ui-for-media-stream
        '--use-fake-device-for-media-stream',
      ],
    },
  },
});
