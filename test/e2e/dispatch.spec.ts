/**
 * Alerts, incidents and dispatch of backup end to end (issue 7), with two browser contexts of
 * Duisburg, an operator and a supervisor, and simulated devices (they accept every request, see
 * fixtures.ts): a device presses emergency → the alert appears on both screens → the operator
 * acknowledges → both show who → the supervisor requests the two nearest units → the devices accept
 * and set off → both screens show them en route. axe-core checks the page with an alert and the
 * incident panel open, in both themes.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const alertStack = (page: Page) => page.getByRole('region', { name: /^(Alarme|Alerts)$/ });
const alertCard = (page: Page, callsign: string) =>
  alertStack(page).getByRole('listitem').filter({ hasText: callsign });
const requestList = (page: Page) => page.locator('.request-list');
const requestOf = (page: Page, callsign: string) =>
  requestList(page).getByRole('listitem').filter({ hasText: callsign });

async function signedIn(
  browser: Browser,
  loginAs: (page: Page, user: string) => Promise<void>,
  user: string,
) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await loginAs(page, user);
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();
  return page;
}

async function expectNoAxeViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  expect(
    result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
}

test('[DSP2][DSP3][DSP10] emergency → alert on both screens → acknowledge → dispatch the two nearest → en route on both', async ({
  browser,
  stack,
  sim,
  loginAs,
}) => {
  test.setTimeout(120_000);
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const device = duisburg.devices[7]!;
  const { rows } = await stack.db.pool.query<{ callsign: string }>(
    `SELECT u.callsign FROM shifts s JOIN units u ON u.id = s.unit_id
      WHERE s.device_id = $1 AND s.ended_at IS NULL`,
    [device.deviceId],
  );
  const callsign = rows[0]!.callsign;

  const operator = await signedIn(browser, loginAs, 'duisburg.operator');
  const supervisor = await signedIn(browser, loginAs, 'duisburg.supervisor');

  sim.device(device.deviceId).setEmergency(true);
  for (const page of [operator, supervisor]) {
    await expect(alertCard(page, callsign)).toContainText('Notruf');
    await expect(
      alertCard(page, callsign).getByRole('button', { name: `Notruf ${callsign} quittieren` }),
    ).toBeVisible();
  }

  // the operator opens the incident from the alert: alert and incident panel are on screen for axe
  await alertCard(operator, callsign)
    .getByRole('button', { name: /^Einsatz .* anzeigen$/ })
    .click();
  await expect(operator.getByRole('tab', { name: /Einsätze/ })).toHaveAttribute('aria-selected', 'true');
  const operatorDetail = operator.getByRole('region', { name: /^Einsatz \d{4}-\d+$/ });
  await expect(operatorDetail).toBeVisible();
  await expect(operatorDetail.getByRole('heading', { name: 'Verlauf' })).toBeVisible();
  // the gateway stores the timeline as kinds and parameters; the screen words it (issue 12)
  const operatorTimeline = operatorDetail.locator('.timeline');
  await expect(operatorTimeline).toContainText('Notruf ausgelöst');
  await expect(operatorTimeline).toContainText('Alarm: Notruf');
  await expectNoAxeViolations(operator);

  await alertCard(operator, callsign)
    .getByRole('button', { name: `Notruf ${callsign} quittieren` })
    .click();
  for (const page of [operator, supervisor]) {
    await expect(alertCard(page, callsign)).toContainText('quittiert von Leitstelle Duisburg');
  }
  // operators see the picture but do not dispatch
  await expect(operatorDetail.getByText('Unterstützung fordert die Einsatzleitung an.')).toBeVisible();
  await expect(operator.getByRole('button', { name: /Unterstützung anfordern/ })).toHaveCount(0);

  await alertCard(supervisor, callsign)
    .getByRole('button', { name: /^Einsatz .* anzeigen$/ })
    .click();
  const candidates = supervisor.getByRole('group', { name: 'Verfügbare Einheiten, schnellste zuerst' });
  const boxes = candidates.getByRole('checkbox');
  await expect(boxes.nth(1)).toBeVisible({ timeout: 15_000 });
  const nearest = (await candidates.locator('.candidate-callsign').allTextContents()).slice(0, 2);
  expect(nearest).toHaveLength(2);
  expect(nearest).not.toContain(callsign);
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await supervisor.getByRole('button', { name: 'Unterstützung anfordern (2)' }).click();

  // both screens follow every request live: sent/delivered/accepted, then en route (or already there)
  for (const page of [supervisor, operator]) {
    for (const unit of nearest) {
      await expect(requestOf(page, unit)).toBeVisible();
      await expect(requestOf(page, unit)).toContainText(/unterwegs|vor Ort/, { timeout: 30_000 });
    }
  }
  await expect(operatorTimeline).toContainText(`${nearest[0]}: angefordert`);
  await expect(operatorTimeline).toContainText('Alarm quittiert');
  // the incident row summarises the requests
  await operator.getByRole('tab', { name: /Einsätze/ }).click();
  await expect(
    operator.locator('.incident-row').filter({ hasText: callsign }).locator('.request-chip').first(),
  ).toBeVisible();

  await supervisor.emulateMedia({ colorScheme: 'dark' });
  await expect(supervisor.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expectNoAxeViolations(supervisor);

  // close the incident so later tests start from a calm picture
  sim.device(device.deviceId).setEmergency(false);
  const supervisorDetail = supervisor.getByRole('region', { name: /^Einsatz \d{4}-\d+$/ });
  await supervisorDetail.getByText('Einsatz abschließen').click();
  await supervisorDetail.getByLabel('Ergebnis').selectOption('resolved');
  await supervisorDetail.getByRole('button', { name: 'Abschließen' }).click();
  await expect(operator.locator('.incident-row').filter({ hasText: callsign })).toHaveCount(0, {
    timeout: 15_000,
  });
});
