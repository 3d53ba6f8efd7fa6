/**
 * Talkback from the control room (issue 16, sfu/SPEC.md K1–K4): an operator presses and holds
 * "Sprechen" on a live tile, with the mouse and with the keyboard; Chromium's fake microphone (a
 * beep, --use-fake-device-for-media-stream in playwright.config.ts) goes through the gateway to the
 * SFU and on to the simulated camera, whose talkback listener (sim/src/talkback-listener.ts,
 * libwebrtc) counts the audio packets it receives. The tile says that you are speaking; the admin's
 * audit view shows who spoke to which camera; axe checks the tile while speaking. A refused
 * microphone is explained in the tile; admins get no button, and the gateway refuses them and
 * evaluators even with a valid token.
 */
import AxeBuilder from '@axe-core/playwright';
import { listenTalkback, type TalkbackListener } from '@lagebild/sim/talkback';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

test.use({ liveVideo: true });

const tileOf = (page: Page, deviceId: string) =>
  page.locator(`article.video-tile[data-device-id="${deviceId}"]`);

interface Rows {
  db: { pool: { query: <T>(q: string, v: unknown[]) => Promise<{ rows: T[] }> } };
}

async function callsignOf(stack: Rows, deviceId: string) {
  const { rows } = await stack.db.pool.query<{ callsign: string }>(
    `SELECT u.callsign FROM shifts s JOIN units u ON u.id = s.unit_id
      WHERE s.device_id = $1 AND s.ended_at IS NULL`,
    [deviceId],
  );
  return rows[0]!.callsign;
}

const talkRows = async (stack: Rows, deviceId: string) =>
  (
    await stack.db.pool.query<{ phase: string; actor: string; duration: string | null; end: string | null }>(
      `SELECT payload->>'phase' AS phase, actor, payload->>'durationMs' AS duration, payload->>'end' AS end
         FROM audit_log WHERE action = 'talkback' AND target = $1 ORDER BY seq`,
      [`device:${deviceId}`],
    )
  ).rows;

/** waits until the device's talkback audit has `n` rows (each speech: started, then ended); the rows */
async function talkRowsWhen(stack: Rows, deviceId: string, n: number) {
  await expect.poll(async () => (await talkRows(stack, deviceId)).length, { timeout: 10_000 }).toBe(n);
  return talkRows(stack, deviceId);
}

/** The camera's loudspeaker: the simulator's talkback listener with the device's own token. */
async function cameraListens(gatewayUrl: string, sfuUrl: string, deviceId: string, secret: string) {
  const res = await fetch(`${gatewayUrl}/api/device/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId, secret }),
  });
  const { token } = (await res.json()) as { token: string };
  const listener = await listenTalkback({ sfuUrl, deviceId, token });
  await listener.connected();
  return listener;
}

/** Opens the unit's tile on the operator's screen by letting it record; resolves once it plays. */
/** the unit's tile on `page` plays: decoded video moving (its talk button is enabled only then) */
async function tilePlays(page: Page, deviceId: string) {
  const tile = tileOf(page, deviceId);
  // the camera's WHIP publish and the tile's WHEP play: seconds each on a loaded CI machine
  await expect(tile).toBeVisible({ timeout: 30_000 });
  await page.waitForFunction(
    (id) => {
      const v = document.querySelector<HTMLVideoElement>(`article[data-device-id="${id}"] video`);
      return !!v && v.readyState >= 2 && v.currentTime > 0.2;
    },
    deviceId,
    { timeout: 15_000 },
  );
  return tile;
}

async function liveTile(
  page: Page,
  sim: { device(id: string): { setStage(s: string, o: object): void } },
  deviceId: string,
) {
  sim.device(deviceId).setStage('recording', { announced: true });
  return tilePlays(page, deviceId);
}

test('[K1][K2][K3] an operator holds "Sprechen" (mouse, then keyboard): the camera hears it, the tile says so, the audit shows it', async ({
  page,
  stack,
  sim,
  whipVideo,
  loginAs,
}) => {
  test.setTimeout(180_000); // two presses, the camera's listener and the admin's audit view
  void whipVideo;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const device = duisburg.devices[13]!;
  const callsign = await callsignOf(stack as never, device.deviceId);
  await page.context().grantPermissions(['microphone'], { origin: stack.url });
  await loginAs(page, 'duisburg.operator');
  const tile = await liveTile(page, sim as never, device.deviceId);
  let listener: TalkbackListener | null = null;
  try {
    listener = await cameraListens(stack.url, stack.sfu!.url, device.deviceId, device.secret);
    expect(await listener.packets()).toBe(0);
    const button = tile.getByRole('button', { name: `Zu ${callsign} sprechen (gedrückt halten)` });
    await expect(button).toBeEnabled();
    await expect(button).toHaveText('Sprechen');
    await expect(button).toHaveAttribute('aria-pressed', 'false');

    // hold with the mouse: the tile says so, the camera counts the beep (Opus, 50 packets/s)
    await button.hover();
    await page.mouse.down();
    const pressedAt = Date.now();
    // correctness, not speed: microphone, offer, ICE and DTLS on a shared 2-core machine; annotated
    await expect(tile.getByRole('status').filter({ hasText: 'Sie sprechen mit' })).toHaveText(
      `Sie sprechen mit ${callsign}`,
      { timeout: 20_000 },
    );
    test.info().annotations.push({ type: 'press → speaking', description: `${Date.now() - pressedAt} ms` });
    await expect(button).toHaveAttribute('aria-pressed', 'true');
    await expect(tile).toHaveClass(/is-talking/);
    const heard = listener;
    await expect.poll(() => heard.packets(), { timeout: 10_000 }).toBeGreaterThanOrEqual(40);

    const axe = await new AxeBuilder({ page })
      .include(`article.video-tile[data-device-id="${device.deviceId}"]`)
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(
      axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);

    await page.mouse.up();
    await expect(button).toHaveAttribute('aria-pressed', 'false');
    await expect(tile).not.toHaveClass(/is-talking/);
    await expect(tile.getByText(`Sie sprechen mit ${callsign}`)).toHaveCount(0);
    await talkRowsWhen(stack as never, device.deviceId, 2);

    // hold Space on the focused button: the same, and letting go ends it
    const before = await listener.packets();
    await button.focus();
    await page.keyboard.down(' ');
    await expect(button).toHaveAttribute('aria-pressed', 'true');
    await expect(tile.getByRole('status').filter({ hasText: 'Sie sprechen mit' })).toBeVisible({
      timeout: 20_000,
    });
    await expect.poll(() => heard.packets(), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 40);
    await page.keyboard.up(' ');
    await expect(button).toHaveAttribute('aria-pressed', 'false');
    // [K3] who, started and ended, how long, released by the button
    const rows = await talkRowsWhen(stack as never, device.deviceId, 4);
    expect(rows.map((r) => r.phase)).toEqual(['started', 'ended', 'started', 'ended']);
    expect(rows.every((r) => r.actor === 'duisburg.operator')).toBe(true);
    expect(rows.filter((r) => r.phase === 'ended').map((r) => r.end)).toEqual(['released', 'released']);
    for (const r of rows.filter((r) => r.phase === 'ended')) expect(Number(r.duration)).toBeGreaterThan(0);
    test.info().annotations.push({
      type: 'audio packets the camera received',
      description: String(await listener.packets()),
    });
  } finally {
    await listener?.close();
  }

  // the admin's audit view shows both speeches to the camera, by the operator
  await page.context().clearCookies();
  await loginAs(page, 'duisburg.admin');
  await page.goto(`${stack.url}/audit/`);
  await page.getByLabel('Aktion').selectOption('talkback');
  await page.getByLabel('Ziel').fill(`device:${device.deviceId}`);
  await page.getByRole('button', { name: 'Filtern' }).click();
  const entries = page.getByRole('row').filter({ hasText: 'Sprechen zur Kamera' });
  await expect(entries).toHaveCount(4);
  for (const entry of await entries.all()) await expect(entry).toContainText('duisburg.operator');
  sim.device(device.deviceId).setStage('standby', {});
});

test('[K4] a second speaker is told that someone else is talking to the camera, and speaks once the first lets go', async ({
  page,
  browser,
  stack,
  sim,
  whipVideo,
  loginAs,
}) => {
  test.setTimeout(180_000);
  void whipVideo;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const device = duisburg.devices[18]!;
  const callsign = await callsignOf(stack as never, device.deviceId);
  await page.context().grantPermissions(['microphone'], { origin: stack.url });
  const second = await browser.newContext();
  await second.grantPermissions(['microphone'], { origin: stack.url });
  const other = await second.newPage();
  try {
    await loginAs(page, 'duisburg.operator');
    await loginAs(other, 'duisburg.supervisor');
    // both screens open the tile when the unit starts recording
    const tile = await liveTile(page, sim as never, device.deviceId);
    // a press on a tile that does not play yet is lost: its talk button is disabled until then
    const otherTile = await tilePlays(other, device.deviceId);
    const name = `Zu ${callsign} sprechen (gedrückt halten)`;
    const button = tile.getByRole('button', { name });
    const otherButton = otherTile.getByRole('button', { name });
    await expect(otherButton).toBeEnabled();
    const speaking = (t: typeof tile) => t.getByRole('status').filter({ hasText: 'Sie sprechen mit' });

    await button.focus();
    await page.keyboard.down(' ');
    await expect(speaking(tile)).toBeVisible({ timeout: 20_000 });

    // the second press is refused (409) and the tile says why and what to do
    await otherButton.focus();
    await other.keyboard.down(' ');
    await expect(otherTile.getByRole('alert')).toHaveText(
      `Gerade spricht jemand anderes mit ${callsign}. Bitte danach erneut drücken.`,
      { timeout: 20_000 },
    );
    await other.keyboard.up(' ');
    await expect(otherButton).toHaveAttribute('aria-pressed', 'false');
    // the first speaker was not interrupted
    await expect(button).toHaveAttribute('aria-pressed', 'true');
    await expect(speaking(tile)).toBeVisible();

    await page.keyboard.up(' ');
    await expect(button).toHaveAttribute('aria-pressed', 'false');
    // once the camera is free, the second speaker gets it
    await otherButton.focus();
    await other.keyboard.down(' ');
    await expect(speaking(otherTile)).toBeVisible({ timeout: 20_000 });
    await other.keyboard.up(' ');
    await expect(otherButton).toHaveAttribute('aria-pressed', 'false');

    const rows = await talkRowsWhen(stack as never, device.deviceId, 4);
    // the refused press never spoke: one started/ended pair per speaker, in turn
    expect(rows.map((r) => `${r.actor} ${r.phase}`)).toEqual([
      'duisburg.operator started',
      'duisburg.operator ended',
      'duisburg.supervisor started',
      'duisburg.supervisor ended',
    ]);
  } finally {
    await second.close();
  }
  sim.device(device.deviceId).setStage('standby');
});

test('a refused microphone is explained in the tile; nothing reaches the camera', async ({
  browser,
  stack,
  sim,
  whipVideo,
  loginAs,
}) => {
  void whipVideo;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const device = duisburg.devices[14]!;
  const callsign = await callsignOf(stack as never, device.deviceId);
  const context = await browser.newContext(); // no microphone permission
  const page = await context.newPage();
  await loginAs(page, 'duisburg.supervisor');
  const tile = await liveTile(page, sim as never, device.deviceId);
  const button = tile.getByRole('button', { name: `Zu ${callsign} sprechen (gedrückt halten)` });
  await button.focus();
  await page.keyboard.down('Enter');
  await expect(tile.getByRole('alert')).toHaveText(
    'Mikrofon nicht freigegeben: Bitte den Zugriff auf das Mikrofon im Browser erlauben.',
  );
  await page.keyboard.up('Enter');
  await expect(button).toHaveAttribute('aria-pressed', 'false');
  expect(await talkRows(stack as never, device.deviceId)).toEqual([]);
  await context.close();
  sim.device(device.deviceId).setStage('standby', {});
});

test('admins see no "Sprechen"; the gateway refuses admins and evaluators even with a viewer token', async ({
  browser,
  stack,
  sim,
  whipVideo,
  loginAs,
}) => {
  void whipVideo;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const device = duisburg.devices[15]!;
  const context = await browser.newContext();
  const page = await context.newPage();
  await loginAs(page, 'duisburg.admin');
  const tile = await liveTile(page, sim as never, device.deviceId);
  await expect(tile.getByRole('button', { name: /sprechen/i })).toHaveCount(0);

  // the admin may watch, so holds a viewer token for the unit; speaking with it is still refused
  const vt = await page.request.post(`${stack.url}/api/video/viewer-token`, {
    data: { deviceId: device.deviceId, reason: { kind: 'other', text: 'Talkback-Test' } },
  });
  const { token } = (await vt.json()) as { token: string };
  const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
  const asAdmin = await page.request.post(`${stack.url}/sfu/v1/talkback/${device.deviceId}`, {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
    data: offer,
  });
  expect(asAdmin.status()).toBe(403);
  await context.clearCookies();
  await loginAs(page, 'duisburg.evaluator');
  const asEvaluator = await page.request.post(`${stack.url}/sfu/v1/talkback/${device.deviceId}`, {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
    data: offer,
  });
  expect(asEvaluator.status()).toBe(403);
  // both refusals are in the audit log as `forbidden` (the guard records them after answering)
  const refusals = async () =>
    (
      await (stack as unknown as Rows).db.pool.query<{ actor: string }>(
        `SELECT actor FROM audit_log WHERE action = 'forbidden' AND payload->>'url' = $1 ORDER BY seq`,
        [`/sfu/v1/talkback/${device.deviceId}`],
      )
    ).rows.map((r) => r.actor);
  await expect.poll(refusals).toEqual(['duisburg.admin', 'duisburg.evaluator']);
  await context.close();
  sim.device(device.deviceId).setStage('standby', {});
});
