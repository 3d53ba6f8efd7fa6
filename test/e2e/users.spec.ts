/**
 * Issue 15, the users page in the browser: an admin creates a user on /admin/users/ (with a
 * reason) and reads the one-time setup code; the new user signs in with it on /login/, is asked for
 * their own password, is refused a common one, sets a good one and lands in the control room. The
 * users page, the change dialog and the password form pass axe with zero violations. An admin
 * resets the second factor of a user who lost their phone from the same page.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import { DEMO_PASSWORD } from '../src/stack.ts';
import { expect, test } from './fixtures.ts';

const codeOf = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();

async function expectNoAxeViolations(page: Page) {
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual(
    [],
  );
}

test('an admin creates a user; the user signs in with the one-time code and sets a password', async ({
  page,
  browser,
  loginAs,
  stack,
}, testInfo) => {
  test.setTimeout(90_000);
  const username = `duisburg.e2e${Date.now() % 100_000}`;

  await loginAs(page, 'duisburg.admin');
  await page
    .getByRole('navigation', { name: 'Hauptnavigation' })
    .getByRole('link', { name: 'Benutzer' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Benutzer' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'duisburg.operator' })).toHaveCount(1);
  await expectNoAxeViolations(page);

  const form = page.getByRole('region', { name: 'Neuen Benutzer anlegen' });
  await form.getByLabel('Benutzername').fill(username);
  await form.getByLabel('Anzeigename').fill('Erika Mustermann');
  await form.getByLabel('Rolle').selectOption('operator');
  await form.getByLabel('Grund').fill('Dienstantritt laut Personalamt');
  await form.getByRole('button', { name: 'Anlegen' }).click();

  const code = (await page.getByTestId('setup-code').textContent())!.trim();
  expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await expect(page.getByRole('row').filter({ hasText: username })).toContainText(
    'Passwort noch nicht gesetzt',
  );
  await expectNoAxeViolations(page);
  await page.screenshot({ path: testInfo.outputPath('users-setup-code.png'), fullPage: true });
  await page.getByRole('button', { name: 'Ich habe den Code weitergegeben' }).click();

  // the change dialog of the new user's row (opened and cancelled: nothing changes)
  const row = page.getByRole('row').filter({ hasText: username });
  await row.getByRole('button', { name: 'Rolle ändern: Erika Mustermann' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rolle von „Erika Mustermann“ ändern' });
  await expect(dialog).toBeVisible();
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Abbrechen' }).click();
  await expect(dialog).toBeHidden();

  // the new user, in a browser of their own
  const context = await browser.newContext();
  const user = await context.newPage();
  try {
    await user.goto(`${stack.url}/login/`);
    await user.getByLabel('Benutzername').fill(username);
    await user.getByLabel('Passwort').fill(code);
    await user.getByRole('button', { name: 'Anmelden' }).click();
    await expect(user.getByRole('heading', { name: 'Eigenes Passwort festlegen' })).toBeFocused();
    await expectNoAxeViolations(user);

    await user.getByLabel('Neues Passwort', { exact: true }).fill('password1234');
    await user.getByLabel('Neues Passwort wiederholen').fill('password1234');
    await user.getByRole('button', { name: 'Passwort speichern und anmelden' }).click();
    await expect(user.getByRole('alert').filter({ hasText: 'zu bekannt' })).toBeVisible();
    await user.screenshot({ path: testInfo.outputPath('first-login-password.png') });

    await user.getByLabel('Neues Passwort', { exact: true }).fill('Fenster-Trockenbau-Mond-7');
    await user.getByLabel('Neues Passwort wiederholen').fill('Fenster-Trockenbau-Mond-7');
    await user.getByRole('button', { name: 'Passwort speichern und anmelden' }).click();
    await user.waitForURL((u) => !u.pathname.startsWith('/login'));
    // the map page loads its live data first: give it longer than a click's answer
    await expect(user.locator('.header-user-name')).toHaveText('Erika Mustermann', { timeout: 20_000 });
  } finally {
    await context.close();
  }
});

test('[SIGN4] an admin resets the second factor of a user who lost their phone: reason, confirmation, result', async ({
  page,
  loginAs,
  stack,
}, testInfo) => {
  const api = (path: string, body?: unknown, cookie?: string) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(cookie ? { cookie } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const admin = (
    await api('/api/auth/login', { username: 'duisburg.admin', password: DEMO_PASSWORD })
  ).headers
    .get('set-cookie')!
    .split(';')[0]!;
  // a user with a confirmed second factor, set up through the API as the settings page would
  const username = `duisburg.handy${Date.now() % 100_000}`;
  const created = await (
    await api(
      '/api/admin/users',
      { username, displayName: 'Jonas Handy', role: 'operator', reason: 'Neuer Kollege (e2e)' },
      admin,
    )
  ).json();
  const set = await api('/api/auth/password', {
    username,
    password: created.setupCode,
    newPassword: 'Laterne-Fahrrad-Heide-42',
  });
  expect(set.status).toBe(200);
  const own = set.headers.get('set-cookie')!.split(';')[0]!;
  const { secret } = await (await api('/api/me/totp/enrol', undefined, own)).json();
  const confirmed = await api('/api/me/totp/confirm', { code: codeOf(secret) }, own);
  expect(confirmed.status, await confirmed.clone().text()).toBe(200);

  await loginAs(page, 'duisburg.admin');
  await page.goto(`${stack.url}/admin/users/`);
  const row = page.getByRole('row').filter({ hasText: username });
  await expect(row).toContainText('Zweiter Faktor eingerichtet');
  // only users with a second factor offer the reset
  await expect(
    page
      .getByRole('row')
      .filter({ hasText: 'duisburg.operator' })
      .getByRole('button', {
        name: /Zweiten Faktor zurücksetzen/,
      }),
  ).toHaveCount(0);

  await row.getByRole('button', { name: 'Zweiten Faktor zurücksetzen: Jonas Handy' }).click();
  const dialog = page.getByRole('dialog', { name: 'Zweiten Faktor von „Jonas Handy“ zurücksetzen?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Grund')).toBeFocused();
  await dialog.getByRole('button', { name: 'Bestätigen' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Bitte einen Grund mit 5 bis 500 Zeichen angeben.');
  await expectNoAxeViolations(page);
  await dialog.getByLabel('Grund').fill('Diensthandy verloren, Meldung 2026-17');
  await page.screenshot({ path: testInfo.outputPath('users-totp-reset-dialog.png') });
  await dialog.getByRole('button', { name: 'Bestätigen' }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('status').filter({ hasText: 'Zweiter Faktor von „Jonas Handy“ zurückgesetzt' }),
  ).toBeVisible();
  await expect(row).not.toContainText('Zweiter Faktor eingerichtet');
  await expect(row.getByRole('button', { name: /Zweiten Faktor zurücksetzen/ })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('users-totp-reset-done.png'), fullPage: true });

  // the user's session ended; the reset is in the audit log with its reason
  expect((await fetch(`${stack.url}/api/me`, { headers: { cookie: own } })).status).toBe(401);
  const audit = await stack.db.pool.query(
    `SELECT reason, payload FROM audit_log WHERE action = 'totp_reset' AND target = $1`,
    [`user:${created.user.id}`],
  );
  expect(audit.rows).toEqual([
    { reason: 'Diensthandy verloren, Meldung 2026-17', payload: { sessionsEnded: 1 } },
  ]);
});
