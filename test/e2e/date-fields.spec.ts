/**
 * Issue 15, "date and time inputs in German format whatever the browser's locale": every date field
 * of the control room (evaluation period and baselines, recordings days, audit time range) is typed
 * and shown as TT.MM.JJJJ [HH:MM] in a Chromium whose locale is en-US (where a native date input
 * shows mm/dd/yyyy), refuses a day that does not exist (31.02.) with a sentence saying so, steps by
 * a day with the arrow keys, sends the API the same ISO values as before, and switches to
 * DD/MM/YYYY with the English UI. The pages pass axe with the fields in their error state.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

async function expectNoAxeViolations(page: Page) {
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual(
    [],
  );
}

/** A browser set to American English, as a workstation bought off the shelf might be. */
async function usBrowser(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  await page.goto('about:blank');
  // what a native <input type="date"> would show here: month first
  expect(
    await page.evaluate(() => new Intl.DateTimeFormat(navigator.language).format(new Date(2026, 6, 1))),
  ).toBe('7/1/2026');
  return page;
}

const berlin = (epochMs: number, withTime = false) =>
  new Intl.DateTimeFormat('de-DE', {
    timeZone: 'Europe/Berlin',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' as const } : {}),
  })
    .format(epochMs)
    .replace(',', '');

test('the evaluation period reads and takes TT.MM.JJJJ in an en-US browser; 31.02. is refused', async ({
  browser,
  loginAs,
  stack,
}, testInfo) => {
  const page = await usBrowser(browser);
  try {
    await loginAs(page, 'duisburg.evaluator');
    await page.goto(`${stack.url}/evaluation/?from=2026-07-01&to=2026-10-15`);
    const from = page.getByRole('textbox', { name: 'Von TT.MM.JJJJ' });
    const to = page.getByRole('textbox', { name: 'Bis TT.MM.JJJJ' });
    await expect(from).toHaveValue('01.07.2026');
    await expect(to).toHaveValue('15.10.2026');

    await from.fill('31.02.2026');
    await from.press('Tab');
    await expect(from).toHaveAttribute('aria-invalid', 'true');
    await expect(
      page.getByRole('alert').filter({ hasText: 'Diesen Tag gibt es nicht: 31.02.2026.' }),
    ).toBeVisible();
    await expectNoAxeViolations(page);
    await page.screenshot({
      path: testInfo.outputPath('date-field-error-en-US-browser.png'),
      fullPage: true,
    });
    // the form does not go out with the earlier day
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(from).toBeFocused();
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-07-01');

    await from.fill('07/31/2026');
    await from.press('Tab');
    await expect(
      page.getByRole('alert').filter({ hasText: 'Bitte im Format TT.MM.JJJJ eingeben' }),
    ).toBeVisible();
    await from.fill('01.08.2026');
    await expect(from).not.toHaveAttribute('aria-invalid');
    await from.press('ArrowDown');
    await expect(from).toHaveValue('31.07.2026');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(page).toHaveURL(/[?&]from=2026-07-31&to=2026-10-15/);

    // the English UI writes the same days the English way
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('textbox', { name: 'From DD/MM/YYYY' })).toHaveValue('31/07/2026');
    await expect(page.getByRole('textbox', { name: 'To DD/MM/YYYY' })).toHaveValue('15/10/2026');
  } finally {
    await page.context().close();
  }
});

test('a baseline period is entered with German dates and listed with them', async ({ browser, loginAs }) => {
  const page = await usBrowser(browser);
  try {
    await loginAs(page, 'dortmund.evaluator');
    await page.getByRole('heading', { name: 'Vergleichszeiträume erfassen' }).waitFor();
    const section = page.getByRole('region', { name: 'Vergleichszeiträume erfassen' });
    await section.getByLabel('Bezeichnung').fill('Jahr 2025 (e2e)');
    await section.getByRole('textbox', { name: 'Beginn TT.MM.JJJJ' }).fill('01.01.2025');
    await section.getByRole('textbox', { name: 'Ende TT.MM.JJJJ' }).fill('31.12.2025');
    await section.getByLabel('Dienststunden').fill('12000');
    await section.getByLabel('Übergriffe').fill('30');
    await section.getByRole('button', { name: 'Zeitraum hinzufügen' }).click();
    await expect(section.getByRole('status')).toHaveText('Vergleichszeitraum gespeichert.');
    await expect(section.getByRole('listitem').filter({ hasText: 'Jahr 2025 (e2e)' })).toContainText(
      '01.01.2025 – 31.12.2025',
    );
    await section.getByRole('button', { name: 'Vergleichszeitraum „Jahr 2025 (e2e)“ löschen' }).click();
    await expect(section.getByRole('listitem').filter({ hasText: 'Jahr 2025 (e2e)' })).toHaveCount(0);
  } finally {
    await page.context().close();
  }
});

test('the recordings library filters by a German day in an en-US browser', async ({
  browser,
  loginAs,
  stack,
  vault,
}) => {
  const startedAt = Date.now() - 3 * 3_600_000;
  // a device no other spec records with: the specs share one stack, and recordings.spec finds its
  // recording of device 16 by the device's label
  await vault.seedRecording(stack, { city: 'duisburg', device: 17, startedAt });
  const device = stack.tenants.find((t) => t.slug === 'duisburg')!.devices[17]!;
  const page = await usBrowser(browser);
  try {
    await loginAs(page, 'duisburg.supervisor');
    await page.goto(`${stack.url}/recordings/`);
    const row = page.getByRole('row').filter({ hasText: device.label });
    await expect(row).toHaveCount(1);
    const from = page.getByRole('textbox', { name: 'Von TT.MM.JJJJ' });
    const listed = page.waitForResponse(
      (r) => r.url().includes('/api/recordings?') && r.url().includes('from='),
    );
    await from.fill(berlin(startedAt + 86_400_000));
    // the API gets the local midnight of that day, as with the native input before
    const query = new URL((await listed).url()).searchParams;
    expect(berlin(Number(query.get('from')), true)).toBe(`${berlin(startedAt + 86_400_000)} 00:00`);
    await expect(row).toHaveCount(0);
    await from.fill(berlin(startedAt));
    await expect(row).toHaveCount(1);
    await page.getByRole('textbox', { name: 'Bis TT.MM.JJJJ' }).fill('31.02.2026');
    await page.getByRole('textbox', { name: 'Bis TT.MM.JJJJ' }).blur();
    await expect(
      page.getByRole('alert').filter({ hasText: 'Diesen Tag gibt es nicht: 31.02.2026.' }),
    ).toBeVisible();
    await expect(row).toHaveCount(1);
    await expectNoAxeViolations(page);
    // "reset" clears the wrong day too, though it never reached the filter
    await page.getByRole('button', { name: 'Filter zurücksetzen' }).click();
    await expect(page.getByRole('textbox', { name: 'Bis TT.MM.JJJJ' })).toHaveValue('');
    await expect(page.getByRole('textbox', { name: 'Von TT.MM.JJJJ' })).toHaveValue('');
    await expect(page.getByRole('alert').filter({ hasText: 'Diesen Tag gibt es nicht' })).toHaveCount(0);
  } finally {
    await page.context().close();
  }
});

test('the audit log takes a German date and time in an en-US browser', async ({
  browser,
  loginAs,
  stack,
}) => {
  const page = await usBrowser(browser);
  try {
    const before = Date.now() - 60_000;
    await loginAs(page, 'duisburg.admin');
    await page.goto(`${stack.url}/audit/`);
    const from = page.getByRole('textbox', { name: 'Von TT.MM.JJJJ HH:MM' });
    await from.fill('31.02.2026 10:00');
    await from.press('Tab');
    await expect(
      page.getByRole('alert').filter({ hasText: 'Diesen Tag gibt es nicht: 31.02.2026 10:00.' }),
    ).toBeVisible();
    await from.fill('01.03.2026 24:00');
    await expect(page.getByRole('alert').filter({ hasText: 'Keine gültige Uhrzeit' })).toBeVisible();
    await expectNoAxeViolations(page);

    await from.fill(berlin(Date.now() + 86_400_000, true));
    await page.getByRole('button', { name: 'Filtern' }).click();
    await expect(page.getByText('Keine Einträge für diese Filter.')).toBeVisible();

    // the admin's own login a moment ago is in the range from a minute before it
    await from.fill(berlin(before, true));
    const listed = page.waitForResponse((r) => r.url().includes('/api/audit?'));
    await page.getByRole('button', { name: 'Filtern' }).click();
    const query = new URL((await listed).url()).searchParams;
    expect(Number(query.get('from'))).toBe(Math.floor(before / 60_000) * 60_000);
    await expect(page.locator('tbody code', { hasText: /^login$/ }).first()).toBeVisible();
  } finally {
    await page.context().close();
  }
});
