/**
 * Issue 15, sign-in through the municipality's identity provider in the browser: a real OpenID
 * provider (`oidc-provider`, test/src/oidc-provider.ts) on a loopback port. The login page offers
 * "Anmelden mit Rathaus Duisburg"; the officer signs in on the provider's own login form and comes
 * back signed in to the control room. An account in no mapped group is sent back to the login page
 * with the German refusal. Screenshots of each step are saved as artifacts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcProvider } from '../src/oidc-provider.ts';
import { DEMO_PASSWORD } from '../src/stack.ts';
import { expect, test } from './fixtures.ts';

test('[SIGN6][SIGN7] an officer signs in through the provider’s login form; an account without a mapped group is refused', async ({
  page,
  browser,
  stack,
}, testInfo) => {
  test.setTimeout(90_000);
  const idp = await startOidcProvider({
    redirectUris: [`${stack.url}/api/auth/oidc/callback`],
    postLogoutRedirectUris: [`${stack.url}/login`],
    accounts: {
      'jana.berg': { name: 'Jana Berg', groups: ['OA-Leitstelle'] },
      'kai.ost': { name: 'Kai Ost', groups: ['Bauhof'] },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'lagebild-oidc-e2e-'));
  writeFileSync(join(dir, 'secret'), idp.clientSecret, { mode: 0o600 });
  const login = await fetch(`${stack.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'duisburg.admin', password: DEMO_PASSWORD }),
  });
  const admin = login.headers.get('set-cookie')!.split(';')[0]!;
  const configure = (oidc: unknown) =>
    fetch(`${stack.url}/api/admin/sign-in`, {
      method: 'PUT',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        totpRequiredRoles: [],
        passwordLogin: true,
        oidc,
        reason: 'Anbindung Rathaus (e2e)',
      }),
    });
  const set = await configure({
    displayName: 'Rathaus Duisburg',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecretFile: join(dir, 'secret'),
    groupsClaim: 'groups',
    roleMap: { 'OA-Leitstelle': 'operator' },
    enabled: true,
  });
  expect(set.status).toBe(200);
  try {
    await page.goto(`${stack.url}/login/`);
    const button = page.getByRole('link', { name: 'Anmelden mit Rathaus Duisburg' });
    await expect(button).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('oidc-login-page.png'), fullPage: true });
    await button.click();
    // the provider's own login form
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page.locator('input[name="login"]').fill('jana.berg');
    await page.locator('input[name="password"]').fill('rathaus-passwort');
    await page.screenshot({ path: testInfo.outputPath('oidc-provider-form.png'), fullPage: true });
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(
      (u) =>
        u.href.startsWith(stack.url) && !u.pathname.startsWith('/login') && !u.pathname.startsWith('/api/'),
    );
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    expect(me.user).toMatchObject({
      username: 'jana.berg@duisburg',
      displayName: 'Jana Berg',
      role: 'operator',
    });
    await page.screenshot({ path: testInfo.outputPath('oidc-signed-in.png'), fullPage: true });
    // [SIGN7] signing out ends the session and the provider's (RP-initiated logout)
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/session/end`));
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((u) => u.href.startsWith(stack.url) && u.pathname.startsWith('/login'));
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);

    // another person, in no mapped group: back on the login page with the reason, no session
    const other = await browser.newContext();
    const page2 = await other.newPage();
    await page2.goto(`${stack.url}/login/`);
    await page2.getByRole('link', { name: 'Anmelden mit Rathaus Duisburg' }).click();
    await page2.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page2.locator('input[name="login"]').fill('kai.ost');
    await page2.locator('input[name="password"]').fill('rathaus-passwort');
    await page2.locator('button[type="submit"]').click();
    await page2.waitForURL((u) => u.pathname.startsWith('/login') && u.search.includes('error=oidc_no_role'));
    await expect(page2.getByTestId('oidc-error')).toContainText(
      'keiner Gruppe an, die für Lagebild freigegeben ist',
    );
    await page2.screenshot({ path: testInfo.outputPath('oidc-refused-no-group.png'), fullPage: true });
    expect(await page2.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
    await other.close();
  } finally {
    await configure(null);
    await idp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
