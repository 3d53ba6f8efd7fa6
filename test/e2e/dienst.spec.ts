/**
 * Issue 15, the Dienst page in the browser: a supervisor creates a team and a unit, hands out a
 * camera by typing its label (as a scanner would) and ends the shift behind a confirmation, all by
 * keyboard; a second supervisor whose page still shows the camera as free is told who has it; the
 * control room lists a camera reporting without a shift as "Nicht im Dienst", not on the map; the
 * 404 page is German and in the product's look, for /admin/ and an unknown path. The pages pass
 * axe (WCAG 2.1 AA) with zero violations; screenshots are saved as artifacts.
 */
import AxeBuilder from '@axe-core/playwright';
import { provisionDevices } from '@lagebild/db';
import type { Page } from '@playwright/test';
import { connectDevice, status } from '../src/clients.ts';
import { expect, test } from './fixtures.ts';

async function expectNoAxeViolations(page: Page) {
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual(
    [],
  );
}

test('a supervisor manages teams and units and hands out a camera; a late second supervisor is told by whom', async ({
  page,
  browser,
  loginAs,
  stack,
}, testInfo) => {
  test.setTimeout(90_000);
  const tag = Date.now() % 100_000;
  const team = `Team E2E ${tag}`;
  const callsign = `E2E ${tag}`;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const [cam] = await provisionDevices(stack.db.pool, duisburg.id, [`KAM-E2E-${tag}`]);

  await loginAs(page, 'duisburg.supervisor');
  await page
    .getByRole('navigation', { name: 'Hauptnavigation' })
    .getByRole('link', { name: 'Dienst' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dienst' })).toBeVisible();
  await expectNoAxeViolations(page);

  // a team and a unit, typed and submitted with Enter
  const teams = page.getByRole('region', { name: 'Teams' });
  await teams.getByLabel('Name des Teams').fill(team);
  await teams.getByLabel('Name des Teams').press('Enter');
  await expect(page.getByTestId('duty-notice')).toHaveText(`Team „${team}“ angelegt.`);
  const units = page.getByRole('region', { name: 'Einheiten' });
  await units.getByLabel('Funkrufname').fill(callsign);
  await units.getByLabel('Team', { exact: true }).selectOption({ label: team });
  await units.getByRole('button', { name: 'Einheit anlegen' }).click();
  await expect(page.getByTestId('duty-notice')).toHaveText(`Einheit ${callsign} angelegt.`);

  // the second supervisor opens the page now: the camera is free on their screen
  const context = await browser.newContext();
  const other = await context.newPage();
  await loginAs(other, 'duisburg.admin');
  await other.goto(`${stack.url}/dienst/`);
  await expect(other.getByRole('heading', { level: 1, name: 'Dienst' })).toBeVisible();
  const otherUnit = `E2E-B ${tag}`;
  await other.getByRole('region', { name: 'Einheiten' }).getByLabel('Funkrufname').fill(otherUnit);
  await other
    .getByRole('region', { name: 'Einheiten' })
    .getByLabel('Team', { exact: true })
    .selectOption({ label: team });
  await other.getByRole('button', { name: 'Einheit anlegen' }).click();
  await expect(other.getByTestId('duty-notice')).toHaveText(`Einheit ${otherUnit} angelegt.`);

  // the first hands it out by its label (a scanner types it and ends with Enter)
  await page.reload();
  const start = page.getByRole('region', { name: 'Schicht beginnen' });
  await start.getByLabel('Einheit').selectOption({ label: `${callsign} (${team})` });
  await start.getByLabel('Personalnummer (pseudonym)').fill('P-4711');
  await start.getByLabel('oder Kamera-Kennung eingeben / scannen').fill(cam!.label.toLowerCase());
  await start.getByLabel('oder Kamera-Kennung eingeben / scannen').press('Enter');
  await expect(page.getByTestId('duty-notice')).toHaveText(
    `Schicht von ${callsign} mit Kamera ${cam!.label} begonnen.`,
  );
  const row = page.getByTestId(`on-duty-${callsign}`);
  await expect(row).toContainText(cam!.label);
  await expect(row).toContainText('P-4711');
  await expect(row).toContainText('Dienstgruppenleitung Duisburg');
  await expectNoAxeViolations(page);
  await page.screenshot({ path: testInfo.outputPath('dienst-on-duty.png'), fullPage: true });

  // the second picks the same camera from their (now stale) list of free ones
  const otherStart = other.getByRole('region', { name: 'Schicht beginnen' });
  await otherStart.getByLabel('Einheit').selectOption({ label: `${otherUnit} (${team})` });
  await otherStart.getByLabel('Freie Kamera').selectOption({ label: cam!.label });
  await otherStart.getByLabel('Personalnummer (pseudonym)').fill('P-0815');
  await otherStart.getByRole('button', { name: 'Schicht beginnen' }).click();
  await expect(other.getByTestId('duty-start-error')).toContainText(
    `Kamera ${cam!.label} wurde bereits an ${callsign} ausgegeben (von Dienstgruppenleitung Duisburg`,
  );
  await other.screenshot({ path: testInfo.outputPath('dienst-camera-taken.png'), fullPage: true });
  await context.close();

  // ending the shift: the confirmation, keyboard only
  await row.getByRole('button', { name: `Schicht beenden: ${callsign}` }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `Schicht von ${callsign} beenden?` });
  await expect(dialog).toBeVisible();
  await expectNoAxeViolations(page);
  // Cancel has the focus first; Tab to the confirm button, Enter
  await expect(dialog.getByRole('button', { name: 'Abbrechen' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Schicht beenden' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('duty-notice')).toHaveText(
    `Schicht von ${callsign} beendet, Kamera ${cam!.label} zurückgenommen.`,
  );
  await expect(page.getByTestId(`on-duty-${callsign}`)).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'In den letzten 24 Stunden beendet' })).toContainText(
    callsign,
  );

  // the same page in English
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Duty' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('dienst-english.png'), fullPage: true });
});

test('an operator has no Dienst page', async ({ page, loginAs, stack }) => {
  await loginAs(page, 'duisburg.operator');
  await expect(
    page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Dienst' }),
  ).toHaveCount(0);
  await page.goto(`${stack.url}/dienst/`);
  await expect(
    page.getByText('Diese Seite ist der Einsatzleitung und der Administration vorbehalten.'),
  ).toBeVisible();
});

test('the control room lists a camera reporting without a shift as not on duty', async ({
  page,
  loginAs,
  stack,
}, testInfo) => {
  const tag = Date.now() % 100_000;
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const [cam] = await provisionDevices(stack.db.pool, duisburg.id, [`KAM-FREI-${tag}`]);
  const dev = await connectDevice(stack.url, cam!);
  try {
    expect((await dev.send(status(1, { at: Date.now() }))).ok).toBe(true);
    await loginAs(page, 'duisburg.operator');
    const list = page.getByTestId('off-duty');
    await expect(list.getByRole('heading', { name: /Nicht im Dienst/ })).toBeVisible();
    await expect(list.getByRole('button', { name: cam!.label })).toBeVisible();
    // not in the unit list of units on shift
    await expect(page.getByRole('listbox').getByText(cam!.label)).toHaveCount(0);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: testInfo.outputPath('control-room-not-on-duty.png') });
  } finally {
    dev.close();
  }
});

for (const path of ['/admin/', '/gibt-es-nicht/']) {
  test(`${path} answers with the German 404 page in the product's look`, async ({
    page,
    stack,
  }, testInfo) => {
    const res = await page.goto(`${stack.url}${path}`);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1, name: 'Seite nicht gefunden' })).toBeVisible();
    await expect(page.getByText(`„${path}“`)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Zur Startseite' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'de');
    await expectNoAxeViolations(page);
    await page.screenshot({ path: testInfo.outputPath(`404${path.replaceAll('/', '_')}.png`) });
  });
}
