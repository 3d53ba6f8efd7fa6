/**
 * The control room end to end: sign-in, live units on the map and in the list, a stage change
 * arriving live, tenant isolation, role handling, device provisioning, tenant policies, and axe-core
 * on every page.
 * The simulator runs in 'steady' mode, so every stage change here is one the test makes.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const unitList = (page: Page) => page.getByRole('listbox', { name: /Einheitenliste|Unit list/ });

async function searchUnits(page: Page, text: string) {
  await page.getByLabel(/Suche|Search/).fill(text);
}

test.describe('login', () => {
  test('shows the product name and rejects a wrong password', async ({ page, stack }) => {
    await page.goto(`${stack.url}/login/`);
    await expect(page.getByText('Lagebild').first()).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'de');
    await page.getByLabel('Benutzername').fill('duisburg.operator');
    await page.getByLabel('Passwort').fill('wrong-password');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Benutzername' })).toHaveText(
      'Benutzername oder Passwort ist falsch.',
    );
    await expect(page).toHaveURL(/\/login\/$/);
  });

  test('sends a visitor without a session to the login page', async ({ page, stack }) => {
    await page.goto(`${stack.url}/`);
    await page.waitForURL(/\/login\//);
  });
});

test.describe('live map', () => {
  test('an operator sees the units of the own municipality in list and map', async ({
    page,
    loginAs,
    stack,
    sim,
  }) => {
    void sim;
    await loginAs(page, 'duisburg.operator');
    await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();
    const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
    await expect(unitList(page).getByRole('option')).not.toHaveCount(0);
    await expect(
      page.getByText(`${duisburg.devices.length} von ${duisburg.devices.length} Einheiten`),
    ).toBeVisible();
    await expect(page.getByRole('region', { name: 'Lagekarte' })).toBeVisible();
    await expect(page.locator('canvas.unit-canvas')).toHaveCount(1);
  });

  test('a stage change appears live in list, detail and event log', async ({ page, loginAs, stack, sim }) => {
    const device = stack.tenants.find((t) => t.slug === 'duisburg')!.devices[0]!;
    await loginAs(page, 'duisburg.operator');
    await searchUnits(page, device.label);
    const row = unitList(page).getByRole('option');
    await expect(row).toHaveCount(1);
    await row.click();
    await expect(page).toHaveURL(/\?unit=/);

    sim.device(device.deviceId).setStage('recording', { announced: true });
    await expect(row.getByText('Aufzeichnung')).toBeVisible();
    await expect(
      page.getByRole('region', { name: 'Ereignisse' }).getByText(/Aufzeichnung gestartet/),
    ).toBeVisible();

    sim.device(device.deviceId).setEmergency(true);
    await expect(page.getByRole('alert').filter({ hasText: 'Notruf' })).toBeVisible();
    sim.device(device.deviceId).setEmergency(false);
    sim.device(device.deviceId).setStage('standby');
    await expect(row.getByText('Bereitschaft')).toBeVisible();
  });

  // Chromium draws the units in a worker (OffscreenCanvas); a browser without it draws them on the
  // page (issue 17): the pointer finds a unit either way, also after a drag
  for (const drawing of ['worker', 'page'] as const) {
    test(`the map names the unit under the pointer, also after the map was dragged (drawn ${drawing === 'worker' ? 'in a worker' : 'on the page'})`, async ({
      page,
      loginAs,
      stack,
      sim,
    }) => {
      void sim;
      if (drawing === 'page') {
        await page.addInitScript(() => {
          delete (window as { OffscreenCanvas?: unknown }).OffscreenCanvas;
        });
      }
      const device = stack.tenants.find((t) => t.slug === 'duisburg')!.devices[0]!;
      await loginAs(page, 'duisburg.operator');
      await expect(page.locator('canvas.unit-canvas')).toHaveAttribute('data-drawing', drawing);
      await searchUnits(page, device.label);
      const row = unitList(page).getByRole('option');
      await expect(row).toHaveCount(1);
      const label = (await row.locator('.unit-row-callsign').textContent())!.trim();
      // selecting it in the list centres the map on it (animated)
      await row.click();
      const box = (await page.getByRole('region', { name: 'Lagekarte' }).boundingBox())!;
      const tooltip = page.locator('.map-tooltip');
      const hoverAt = async (x: number, y: number) => {
        await expect(async () => {
          await page.mouse.move(x - 40, y);
          await page.mouse.move(x, y);
          await expect(tooltip).toBeVisible({ timeout: 500 });
          await expect(tooltip).toContainText(label, { timeout: 500 });
        }).toPass();
      };
      const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
      await hoverAt(cx, cy);
      // and the unit is drawn there: opaque pixels in the units canvas under the pointer
      const drawnAt = (x: number, y: number) =>
        page.evaluate(
          ([x, y]) => {
            const canvas = document.querySelector('canvas.unit-canvas') as HTMLCanvasElement;
            const rect = canvas.getBoundingClientRect();
            const copy = document.createElement('canvas');
            copy.width = canvas.width;
            copy.height = canvas.height;
            const ctx = copy.getContext('2d')!;
            ctx.drawImage(canvas, 0, 0);
            const scale = canvas.width / rect.width;
            const px = Math.round((x - rect.left) * scale);
            const py = Math.round((y - rect.top) * scale);
            const { data } = ctx.getImageData(px - 6, py - 6, 13, 13);
            let opaque = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i]! > 128) opaque += 1;
            return opaque;
          },
          [x, y] as const,
        );
      await expect.poll(() => drawnAt(cx, cy)).toBeGreaterThan(20);
      // a drag moves the drawn units with the map; the pointer finds the unit where it now is
      await page.mouse.move(cx - 60, cy - 40);
      await page.mouse.down();
      await page.mouse.move(cx, cy, { steps: 8 });
      // held still before the release, as a hand does, so Leaflet adds no inertia to the pan
      await page.waitForTimeout(200);
      await page.mouse.up();
      await hoverAt(cx + 60, cy + 40);
      await expect.poll(() => drawnAt(cx + 60, cy + 40)).toBeGreaterThan(20);
      // still where it started (a worker that fails to load hands the drawing to the page)
      await expect(page.locator('canvas.unit-canvas')).toHaveAttribute('data-drawing', drawing);
    });
  }

  test('the unit list works by keyboard alone', async ({ page, loginAs, sim }) => {
    void sim;
    await loginAs(page, 'duisburg.operator');
    const list = unitList(page);
    await expect(list.getByRole('option')).not.toHaveCount(0);
    await list.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(list.getByRole('option', { selected: true })).toHaveCount(1);
    await expect(page).toHaveURL(/\?unit=/);
    await expect(page.getByRole('heading', { name: /Stufenverlauf/ })).toBeVisible();
  });

  test('another municipality sees none of these units', async ({ page, loginAs, stack, sim }) => {
    void sim;
    const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
    const dortmund = stack.tenants.find((t) => t.slug === 'dortmund')!;
    await loginAs(page, 'dortmund.operator');
    // the page connects and takes its snapshot first: seconds on a loaded machine
    await expect(
      page.getByText(`${dortmund.devices.length} von ${dortmund.devices.length} Einheiten`),
    ).toBeVisible({ timeout: 20_000 });
    await searchUnits(page, duisburg.devices[0]!.label);
    await expect(unitList(page)).toHaveCount(0);
    await expect(page.getByText('Keine Einheiten für diesen Filter.')).toBeVisible();
  });

  test('an evaluator starts on the statistics and gets a polite explanation instead of live data', async ({
    page,
    loginAs,
    stack,
  }) => {
    await loginAs(page, 'duisburg.evaluator');
    await page.waitForURL(/\/evaluation\//);
    await page.goto(`${stack.url}/`);
    await expect(page.getByRole('heading', { name: 'Kein Zugriff' })).toBeVisible();
    await expect(page.locator('canvas.unit-canvas')).toHaveCount(0);
  });

  test('language and theme switches are remembered', async ({ page, loginAs }) => {
    await loginAs(page, 'duisburg.operator');
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  });
});

test.describe('devices', () => {
  test('an admin provisions a device, sees its secret once, and revokes it', async ({ page, loginAs }) => {
    await loginAs(page, 'duisburg.admin');
    await page.getByRole('link', { name: 'Geräte' }).click();
    const label = `E2E-${Date.now()}`;
    await page.getByLabel('Bezeichnung').fill(label);
    await page.getByRole('button', { name: 'Bereitstellen' }).click();
    await expect(page.getByTestId('device-secret')).not.toBeEmpty();
    await page.getByRole('button', { name: 'Ich habe das Geheimnis übertragen' }).click();
    await expect(page.getByTestId('device-secret')).toHaveCount(0);

    await page.getByRole('button', { name: `Gerät „${label}“ sperren` }).click();
    const dialog = page.getByRole('dialog', { name: 'Gerät sperren?' });
    await dialog.getByRole('button', { name: 'Endgültig sperren' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: `Gerät „${label}“ wurde gesperrt.` }),
    ).toBeVisible();
    await expect(
      page.getByRole('row', { name: new RegExp(label) }).getByText('gesperrt', { exact: true }),
    ).toBeVisible();
  });

  test('a non-admin sees the devices page refused', async ({ page, loginAs, stack }) => {
    await loginAs(page, 'duisburg.operator');
    await page.goto(`${stack.url}/admin/devices/`);
    await expect(page.getByText('Diese Seite ist nur für die Administration zugänglich.')).toBeVisible();
  });
});

test.describe('policies', () => {
  test('an admin sees the current policies, is stopped beyond 14 days, and saves a change with a reason', async ({
    page,
    loginAs,
  }) => {
    await loginAs(page, 'duisburg.admin');
    await page.getByRole('link', { name: 'Richtlinien' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Richtlinien' })).toBeVisible();
    const retention = page.getByLabel('Löschfrist (Tage)');
    const prerecord = page.getByLabel('Vorlauf (Pre-Recording, Sekunden)');
    const reason = page.getByLabel('Grund der Änderung');
    await expect(retention).toHaveValue('14');
    await expect(prerecord).toHaveValue('0');
    await expect(page.getByRole('checkbox', { name: 'Notruf eines Geräts' })).toBeChecked();
    await expect(page.getByTestId('policies-last-change')).toHaveText(
      'Auf dieser Seite noch nie geändert (Voreinstellungen).',
    );

    // beyond the law: refused in the form, announced, the field marked and focused
    await retention.fill('15');
    await reason.fill('Längere Frist gewünscht');
    await page.getByRole('button', { name: 'Speichern …' }).click();
    await expect(
      page.getByRole('alert').filter({ hasText: 'Bitte die markierten Felder korrigieren.' }),
    ).toBeVisible();
    await expect(retention).toHaveAttribute('aria-invalid', 'true');
    await expect(retention).toBeFocused();
    await expect(retention).toHaveAccessibleDescription(/bitte eine ganze Zahl von 1 bis 14 angeben/);

    // a shorter period: the confirmation says what it does to existing recordings; cancelled here
    await retention.fill('7');
    await page.getByRole('button', { name: 'Speichern …' }).click();
    const dialog = page.getByRole('dialog', { name: 'Richtlinien ändern?' });
    await expect(dialog.getByText('Löschfrist (Tage): 14 Tage → 7 Tage')).toBeVisible();
    await expect(dialog.getByText(/werden sofort früher fällig/)).toBeVisible();
    await dialog.getByRole('button', { name: 'Abbrechen' }).click();
    await expect(dialog).toBeHidden();

    // pre-recording on, saved with a reason, then off again (other specs expect the defaults)
    await retention.fill('14');
    await prerecord.fill('45');
    await reason.fill('E2E: Vorlauf erprobt');
    await page.getByRole('button', { name: 'Speichern …' }).click();
    await expect(dialog.getByText('Vorlauf (Pre-Recording, Sekunden): aus → 45 s')).toBeVisible();
    await dialog.getByRole('button', { name: 'Ändern' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Gespeichert.' })).toBeVisible();
    await expect(page.getByTestId('policies-last-change')).toContainText(
      'duisburg.admin: „E2E: Vorlauf erprobt“',
    );
    await expect(reason).toHaveValue('');
    await page.reload();
    await expect(prerecord).toHaveValue('45');

    await prerecord.fill('0');
    await reason.fill('E2E: Vorlauf wieder aus');
    await page.getByRole('button', { name: 'Speichern …' }).click();
    await dialog.getByRole('button', { name: 'Ändern' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Gespeichert.' })).toBeVisible();
    await expect(prerecord).toHaveValue('0');
  });

  test('a non-admin sees the policies page refused', async ({ page, loginAs, stack }) => {
    await loginAs(page, 'duisburg.supervisor');
    await expect(page.getByRole('link', { name: 'Richtlinien' })).toHaveCount(0);
    await page.goto(`${stack.url}/admin/policies/`);
    await expect(page.getByText('Diese Seite ist nur für die Administration zugänglich.')).toBeVisible();
  });
});

test.describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  const pages = [
    { name: 'login', user: null, path: '/login/' },
    { name: 'map', user: 'duisburg.operator', path: '/' },
    { name: 'devices', user: 'duisburg.admin', path: '/admin/devices/' },
    { name: 'policies', user: 'duisburg.admin', path: '/admin/policies/' },
    { name: 'evaluator', user: 'duisburg.evaluator', path: '/' },
  ] as const;
  for (const scheme of ['light', 'dark'] as const) {
    for (const p of pages) {
      test(`${p.name} page has no violations (${scheme})`, async ({ page, loginAs, stack, sim }) => {
        void sim;
        await page.emulateMedia({ colorScheme: scheme });
        if (p.user) await loginAs(page, p.user);
        await page.goto(`${stack.url}${p.path}`);
        if (p.name === 'map') {
          await unitList(page).getByRole('option').first().click();
          await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
        } else {
          await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        }
        await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
        const result = await new AxeBuilder({ page })
          .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
          .analyze();
        expect(
          result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        ).toEqual([]);
      });
    }
  }
});
