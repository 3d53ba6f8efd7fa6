/**
 * Issue 6, the recordings library and the audit view in the browser: a supervisor finds a seeded
 * recording (a real WebM encrypted by importRecording, as run-local seeds its demo), plays it after
 * giving a reason (the video's currentTime advances on the decrypting Range stream), marks it as
 * evidence; an admin's audit view shows that playback with its reason; an evaluator has no
 * recordings nav and gets 403 from the API. Both pages pass axe with zero violations.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

async function expectNoAxeViolations(page: Page) {
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual(
    [],
  );
}

test('[AUD3][RET6] a supervisor plays a recording after giving a reason and keeps it as evidence; the admin audit shows the playback', async ({
  page,
  loginAs,
  stack,
  vault,
}) => {
  test.setTimeout(120_000);
  const startedAt = Date.now() - 3 * 3_600_000;
  const id = await vault.seedRecording(stack, { city: 'duisburg', device: 15, startedAt });
  const device = stack.tenants.find((t) => t.slug === 'duisburg')!.devices[15]!;
  const reason = `Sichtung Einsatzverlauf ${id.slice(0, 8)}`;

  await loginAs(page, 'duisburg.supervisor');
  await page
    .getByRole('navigation', { name: 'Hauptnavigation' })
    .getByRole('link', { name: 'Aufzeichnungen' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Aufzeichnungen' })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: device.label });
  await expect(row).toHaveCount(1);
  // 14-day standard period from three hours ago: the countdown says so
  await expect(row.getByText(/in 13 T 2\d Std/)).toBeVisible();
  await expectNoAxeViolations(page);

  await row.getByRole('button', { name: /^Abspielen:/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Aufzeichnung abspielen' });
  await dialog.getByRole('button', { name: 'Abspielen' }).click();
  await expect(dialog.getByRole('alert')).toContainText('mindestens 5 Zeichen');
  await dialog.getByLabel('Grund').fill(reason);
  await dialog.getByRole('button', { name: 'Abspielen' }).click();
  await expect(dialog).toBeHidden();

  const video = page.locator('.rec-player video');
  await expect(video).toBeVisible();
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 })
    .toBeGreaterThan(1);
  // seeking works through HTTP Range on the decrypting stream
  await video.evaluate((v: HTMLVideoElement) => {
    v.currentTime = 8;
  });
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 })
    .toBeGreaterThan(8);
  await expectNoAxeViolations(page);

  await page.getByRole('button', { name: 'Als Beweismittel sichern' }).click();
  const evidence = page.getByRole('dialog', { name: 'Als Beweismittel sichern' });
  await evidence.getByLabel('Aktenzeichen').fill('StA Duisburg 123 Js 456/26');
  await evidence.getByLabel('Grund').fill('Widerstand bei Personalienfeststellung');
  await evidence.getByRole('button', { name: 'Sichern' }).click();
  await expect(evidence).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Als Beweismittel gesichert.' })).toBeVisible();
  await expect(row.getByText('Beweismittel')).toBeVisible();
  await expect(row.getByText('aufbewahrt')).toBeVisible();

  const api = await page.request.get(`${stack.url}/api/recordings/${id}`);
  expect(
    ((await api.json()) as { recording: { retention: string; deleteAt: number | null } }).recording,
  ).toMatchObject({
    retention: 'evidence',
    deleteAt: null,
  });

  // the administrator's audit view shows the playback with its reason
  await page.context().clearCookies();
  await loginAs(page, 'duisburg.admin');
  await page.goto(`${stack.url}/audit/`);
  await expect(page.getByRole('heading', { level: 1, name: 'Protokoll' })).toBeVisible();
  // the newest page, counted from 1 (not by sequence numbers, which run backwards)
  await expect(page.getByRole('status')).toHaveText(/^Einträge 1–\d+ \(neueste zuerst\)$/);
  // the action filter offers words; its value stays the code
  await expect(
    page.getByLabel('Aktion').getByRole('option', { name: 'Wiedergabe', exact: true }),
  ).toHaveCount(1);
  await page.getByLabel('Aktion').selectOption('playback');
  await page.getByLabel('Ziel').fill(id);
  await page.getByRole('button', { name: 'Filtern' }).click();
  const entry = page.getByRole('row').filter({ hasText: reason });
  await expect(entry).toHaveCount(1);
  await expect(page.getByRole('status')).toHaveText('Einträge 1–1 (neueste zuerst)');
  // names first (display name, action, device of the recording), the raw ids and code beneath
  await expect(entry).toContainText('Dienstgruppenleitung Duisburg');
  await expect(entry).toContainText('duisburg.supervisor');
  await expect(entry).toContainText('Wiedergabe');
  await expect(entry).toContainText('playback');
  await expect(entry).toContainText(`Aufzeichnung ${device.label}`);
  await expect(entry).toContainText(`recording:${id}`);
  await entry.getByText('Daten', { exact: true }).click();
  await expect(entry).toContainText('"role": "supervisor"');
  await expectNoAxeViolations(page);
});

test('[FE1][FE5] four eyes: an operator asks for early deletion, a supervisor consents from the pending list, the video is gone', async ({
  page,
  loginAs,
  stack,
  vault,
}) => {
  test.setTimeout(90_000);
  const id = await vault.seedRecording(stack, { city: 'duisburg', device: 16 });
  const device = stack.tenants.find((t) => t.slug === 'duisburg')!.devices[16]!;

  await loginAs(page, 'duisburg.operator');
  await page.goto(`${stack.url}/recordings/`);
  const row = page.getByRole('row').filter({ hasText: device.label });
  await row.getByRole('button', { name: /^Details:/ }).click();
  // operators may play and ask, but neither keep evidence nor export
  await expect(page.getByRole('button', { name: 'Als Beweismittel sichern' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Exportieren' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Vorzeitige Löschung beantragen' }).click();
  const ask = page.getByRole('dialog', { name: 'Vorzeitige Löschung beantragen' });
  await ask.getByLabel('Grund').fill('Versehentlich ausgelöst, keine Maßnahme');
  await ask.getByRole('button', { name: 'Beantragen' }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByText(/offen/)).toBeVisible();

  await page.context().clearCookies();
  await loginAs(page, 'duisburg.supervisor');
  await page.goto(`${stack.url}/recordings/`);
  const pending = page.getByRole('region', { name: /Offene Vier-Augen-Anträge/ });
  await expect(pending).toContainText('Versehentlich ausgelöst');
  await expectNoAxeViolations(page);
  await pending
    .getByRole('listitem')
    .filter({ hasText: 'Versehentlich ausgelöst' })
    .getByRole('button')
    .click();
  await page.getByRole('button', { name: 'Entscheiden' }).click();
  const decide = page.getByRole('dialog', { name: 'Antrag entscheiden' });
  await decide.getByLabel('Grund').fill('Kein Bezug zu einem Einsatz, Löschung geboten');
  await decide.getByRole('button', { name: 'Zustimmen' }).click();
  await expect(decide).toBeHidden();
  await expect(row.getByText('gelöscht', { exact: false }).first()).toBeVisible();
  const api = await page.request.get(`${stack.url}/api/recordings/${id}`);
  expect(((await api.json()) as { recording: { state: string } }).recording.state).toBe('deleted');
});

test('an evaluator has no recordings nav and the recordings API answers 403', async ({
  page,
  loginAs,
  stack,
}) => {
  await loginAs(page, 'duisburg.evaluator');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await expect(nav.getByRole('link').first()).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Aufzeichnungen' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Protokoll' })).toHaveCount(0);
  for (const path of ['/api/recordings', '/api/audit']) {
    expect((await page.request.get(`${stack.url}${path}`)).status(), path).toBe(403);
  }
  await page.goto(`${stack.url}/recordings/`);
  await expect(page.getByRole('heading', { name: 'Kein Zugriff' })).toBeVisible();
});
