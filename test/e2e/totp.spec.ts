/**
 * Issue 15, the second factor in the browser: the tenant requires it for evaluators; a new
 * evaluator signs in with their password, is sent to enrolment before any page, sees the key once,
 * confirms with a code from the authenticator (computed here from the shown key, as an app would)
 * and lands on their start page; the QR code shown with the key is read back with zbar and says the
 * same otpauth:// URI as the link. The next login asks for a code. Screenshots are saved as artifacts.
 */
import { execFileSync } from 'node:child_process';
import { Secret, TOTP } from 'otpauth';
import { DEMO_PASSWORD } from '../src/stack.ts';
import { expect, test } from './fixtures.ts';

const codeOf = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();

test('[SIGN2][SIGN4] an evaluator enrols at login when the tenant requires it, then signs in with a code', async ({
  page,
  browser,
  stack,
}, testInfo) => {
  test.setTimeout(120_000);
  const api = async (path: string, body: unknown, cookie?: string, method = 'POST') =>
    fetch(`${stack.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  const login = await api('/api/auth/login', { username: 'duisburg.admin', password: DEMO_PASSWORD });
  const admin = login.headers.get('set-cookie')!.split(';')[0]!;
  const username = `duisburg.totp${Date.now() % 100_000}`;
  const password = 'Laterne-Fahrrad-Heide-42';
  const created = await (
    await api(
      '/api/admin/users',
      { username, displayName: 'Tina Otto', role: 'evaluator', reason: 'Neue Auswertung (e2e)' },
      admin,
    )
  ).json();
  expect(
    (await api('/api/auth/password', { username, password: created.setupCode, newPassword: password }))
      .status,
  ).toBe(200);
  const policy = (roles: string[]) =>
    api(
      '/api/admin/sign-in',
      { totpRequiredRoles: roles, passwordLogin: true, oidc: null, reason: 'Richtlinie 2FA (e2e)' },
      admin,
      'PUT',
    );
  expect((await policy(['evaluator'])).status).toBe(200);
  try {
    await page.goto(`${stack.url}/login/`);
    await page.getByLabel('Benutzername').fill(username);
    await page.getByLabel('Passwort', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Zweiten Faktor einrichten' })).toBeVisible();
    await page.getByRole('button', { name: 'Schlüssel erzeugen' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expect(page.getByRole('link', { name: 'Link für die Authenticator-App' })).toHaveAttribute(
      'href',
      /^otpauth:\/\/totp\//,
    );
    // the QR code says the same as the link, read back by an independent decoder (zbar), as an app
    // scans it from the screen
    const uri = (await page
      .getByRole('link', { name: 'Link für die Authenticator-App' })
      .getAttribute('href'))!;
    const qr = page.getByRole('img', { name: 'QR-Code für die Authenticator-App' });
    await expect(qr).toBeVisible();
    const png = testInfo.outputPath('totp-qr.png');
    await qr.screenshot({ path: png });
    expect(execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim()).toBe(uri);
    await page.screenshot({ path: testInfo.outputPath('totp-enrolment.png'), fullPage: true });
    const first = codeOf(secret);
    await page.getByLabel('Sicherheitscode aus der Authenticator-App').fill(first);
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/evaluation'));
    await page.screenshot({ path: testInfo.outputPath('totp-signed-in.png'), fullPage: true });

    // the next login asks for a code; the one just used is refused, a fresh one works
    const ctx = await browser.newContext();
    const p2 = await ctx.newPage();
    await p2.goto(`${stack.url}/login/`);
    await p2.getByLabel('Benutzername').fill(username);
    await p2.getByLabel('Passwort', { exact: true }).fill(password);
    await p2.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await expect(p2.getByRole('heading', { name: 'Zweiter Faktor' })).toBeVisible();
    await p2.getByLabel('Sicherheitscode aus der Authenticator-App').fill(first);
    await p2.getByRole('button', { name: 'Bestätigen' }).click();
    await expect(p2.getByRole('alert').filter({ hasText: 'bereits verwendet' })).toBeVisible();
    await p2.screenshot({ path: testInfo.outputPath('totp-replay-refused.png'), fullPage: true });
    await expect.poll(() => codeOf(secret), { timeout: 35_000, intervals: [500] }).not.toBe(first);
    await p2.getByLabel('Sicherheitscode aus der Authenticator-App').fill(codeOf(secret));
    await p2.getByRole('button', { name: 'Bestätigen' }).click();
    await p2.waitForURL((u) => u.pathname.startsWith('/evaluation'));
    await ctx.close();
  } finally {
    await policy([]);
  }
});
