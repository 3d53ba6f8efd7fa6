/**
 * Evaluation end to end (issue #8): the deterministic pilot data set is loaded into Duisburg and
 * derived into episodes by the gateway; the evaluator sees the charts, exports a CSV whose numbers
 * equal the API's (what became of the pilot's recordings too), prints the report; live data stays
 * closed to evaluators and Dortmund sees none of Duisburg's figures. axe-core checks every page.
 */
import AxeBuilder from '@axe-core/playwright';
import { openShifts, provisionDevices } from '@lagebild/db';
import { seedPilot } from '@lagebild/db/pilot';
import type { StatsSeries, StatsSummary } from '@lagebild/protocol';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const PERIOD = 'from=2026-07-01&to=2026-10-15';

test.beforeAll(async ({ stack }) => {
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  await seedPilot(stack.db, duisburg.id);
  // the gateway's episode builder derives the pilot's events within a few ticks
  await expect
    .poll(
      async () => {
        const r = await stack.db.pool.query<{ dirty: number; episodes: number }>(
          // only the pilot's devices: simulated cameras of earlier specs keep reporting (and marking)
          `SELECT (SELECT count(*)::int FROM episode_dirty d JOIN devices v ON v.id = d.device_id
                    WHERE v.label LIKE 'PILOT-%') AS dirty,
                  (SELECT count(*)::int FROM episodes WHERE tenant_id = $1) AS episodes`,
          [duisburg.id],
        );
        return r.rows[0]!.dirty === 0 && r.rows[0]!.episodes > 200;
      },
      { timeout: 60_000 },
    )
    .toBe(true);
});

async function axe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
}

test('an evaluator sees the charts of the seeded pilot and the same numbers as the API', async ({
  page,
  loginAs,
  stack,
}) => {
  await loginAs(page, 'duisburg.evaluator');
  await page
    .getByRole('navigation', { name: 'Hauptnavigation' })
    .getByRole('link', { name: 'Auswertung' })
    .click();
  await page.waitForURL(/\/evaluation\//);
  await page.goto(`${stack.url}/evaluation/?${PERIOD}`);
  await expect(page.getByRole('heading', { name: 'Auswertung Bodycam-Einsatz' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Eskalationstrichter/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Verlauf je Woche/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Räumliche Verteilung/ })).toBeVisible();
  const api = (await (
    await page.request.get(`${stack.url}/api/stats/summary?${PERIOD}`)
  ).json()) as StatsSummary;
  expect(api.suppressed).toBe(false);
  expect(api.funnel.episodes).toBeGreaterThan(200);
  await expect(page.getByTestId('kpi-episodes')).toHaveText(
    new Intl.NumberFormat('de-DE').format(api.funnel.episodes!),
  );
  const rate = new Intl.NumberFormat('de-DE', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  await expect(page.getByTestId('kpi-deescalation')).toHaveText(rate.format(api.deescalation!.estimate));
  // what became of the pilot's 36 recordings (metadata seeded with the pilot; a third kept as evidence)
  expect(api.retention).toMatchObject({
    suppressed: false,
    total: 36,
    kept: 12,
    legalHold: 2,
    deleted: 24,
    deletedByRetention: 21,
    deletedEarly: 3,
    pending: 0,
  });
  const de = new Intl.NumberFormat('de-DE');
  for (const key of ['total', 'kept', 'deleted', 'deletedByRetention', 'deletedEarly', 'pending'] as const)
    await expect(page.getByTestId(`retention-${key}`)).toHaveText(de.format(api.retention[key]!));
  await expect(page.getByRole('heading', { name: 'Aufzeichnungen: aufbewahrt oder gelöscht' })).toBeVisible();
  // the pilot seed enters Duisburg's year before the pilot: fewer assaults per hour on duty since
  await expect(page.getByRole('row', { name: /Jahr vor dem Pilotprojekt/ })).toBeVisible();
  expect(api.comparisons[0]!.rateRatio!.ratio).toBeLessThan(1);
  await axe(page);

  await page.getByLabel('Team').selectOption('KOD Nord');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/team=KOD\+Nord/);
  const nord = (await (
    await page.request.get(`${stack.url}/api/stats/summary?${PERIOD}&team=KOD+Nord`)
  ).json()) as StatsSummary;
  await expect(page.getByTestId('kpi-episodes')).toHaveText(
    new Intl.NumberFormat('de-DE').format(nord.funnel.episodes!),
  );
  expect(nord.retention.total).toBeGreaterThanOrEqual(5);
  await expect(page.getByTestId('retention-kept')).toHaveText(
    new Intl.NumberFormat('de-DE').format(nord.retention.kept!),
  );
});

test('the CSV export matches the API', async ({ page, loginAs, stack }) => {
  await loginAs(page, 'duisburg.evaluator');
  await page.goto(`${stack.url}/evaluation/?${PERIOD}`);
  await expect(page.getByTestId('kpi-episodes')).not.toBeEmpty();
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'CSV exportieren' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('lagebild-duisburg-2026-07-01-2026-10-15.csv');
  const csv = await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8');
  const rows = csv
    .trim()
    .split('\r\n')
    .map((l) => l.split(','));
  const [summary, series] = await Promise.all([
    page.request
      .get(`${stack.url}/api/stats/summary?${PERIOD}`)
      .then((r) => r.json() as Promise<StatsSummary>),
    page.request.get(`${stack.url}/api/stats/series?${PERIOD}`).then((r) => r.json() as Promise<StatsSeries>),
  ]);
  const num = (s: string | undefined) => (s === '' || s === undefined ? null : Number(s));
  const total = rows[1]!;
  expect(total.slice(1, 7).map(num)).toEqual([
    summary.funnel.episodes,
    summary.funnel.display,
    summary.recordings,
    summary.assaults!.verbal + summary.assaults!.physical,
    summary.officerHours,
    summary.deescalation!.estimate,
  ]);
  const kept = summary.retention;
  expect(total.slice(9).map(num)).toEqual([
    kept.total,
    kept.kept,
    kept.legalHold,
    kept.deleted,
    kept.deletedByRetention,
    kept.deletedEarly,
    kept.pending,
  ]);
  expect(rows.length - 2).toBe(series.points.length);
  series.points.forEach((p, i) => {
    const r = rows[i + 2]!;
    expect(r[0]).toBe(p.weekStart);
    expect(r.slice(1, 7).map(num)).toEqual([
      p.episodes,
      p.display,
      p.recordings,
      p.assaults,
      p.officerHours,
      p.deescalationRate,
    ]);
    expect(r.slice(9).map(num)).toEqual([
      p.retention.total,
      p.retention.kept,
      p.retention.legalHold,
      p.retention.deleted,
      p.retention.deletedByRetention,
      p.retention.deletedEarly,
      p.retention.pending,
    ]);
  });
});

test('the printable report shows the figures and the method', async ({ page, loginAs, stack }) => {
  await loginAs(page, 'duisburg.evaluator');
  await page.goto(`${stack.url}/evaluation/report/?${PERIOD}`);
  await expect(page.getByRole('heading', { name: /Bericht: Bodycams/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Methodik' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Verlauf je Woche/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Aufzeichnungen: aufbewahrt oder gelöscht' })).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('button', { name: /Drucken/ })).toBeHidden();
  await page.emulateMedia({ media: 'screen' });
  await axe(page);
});

test('an evaluator cannot open live data, unit names or recordings', async ({ page, loginAs, stack }) => {
  await loginAs(page, 'duisburg.evaluator');
  for (const path of [
    '/api/units',
    '/api/units/00000000-0000-4000-8000-000000000000',
    '/api/reports/pending',
    '/api/recordings',
    '/api/video/live',
  ]) {
    expect((await page.request.get(`${stack.url}${path}`)).status(), path).toBe(403);
  }
  const token = await page.request.post(`${stack.url}/api/video/viewer-token`, { data: {} });
  expect(token.status()).toBe(403);
  await page.goto(`${stack.url}/`);
  await expect(page.getByRole('heading', { name: 'Kein Zugriff' })).toBeVisible();
});

test("another municipality never sees Duisburg's figures", async ({ page, loginAs, stack }) => {
  await loginAs(page, 'dortmund.evaluator');
  const r = (await (
    await page.request.get(`${stack.url}/api/stats/summary?${PERIOD}`)
  ).json()) as StatsSummary;
  expect(r.suppressed).toBe(true);
  expect(r.officerHours).toBe(0);
  expect(r.comparisons).toEqual([]);
  expect(r.retention).toMatchObject({ suppressed: true, total: null, kept: null, deleted: null });
  await page.goto(`${stack.url}/evaluation/?${PERIOD}`);
  await expect(page.getByText(/weniger als 5 Episoden/)).toBeVisible();
  await expect(page.getByTestId('retention-suppressed')).toBeVisible();
  await axe(page);
});

test('a supervisor files the report of an episode on the phone-sized form', async ({
  page,
  loginAs,
  stack,
}) => {
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const [dev] = await provisionDevices(stack.db.pool, duisburg.id, ['E2E-REPORT']);
  await openShifts(stack.db.pool, duisburg.id, [
    { deviceId: dev!.deviceId, callsign: 'KOD Mitte 99', team: 'KOD Mitte' },
  ]);
  // the shift began before the episode, so the episode belongs to this unit
  await stack.db.pool.query(
    "UPDATE shifts SET started_at = now() - interval '1 hour' WHERE device_id = $1 AND ended_at IS NULL",
    [dev!.deviceId],
  );
  const t0 = Date.now() - 10 * 60_000;
  await stack.db.pool.query(
    `INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, battery_pct, signal_bars, network, stage, emergency)
     SELECT $1, $2, s, to_timestamp(t / 1000.0), now(), 90, 3, 'lte', st::"Stage", false
       FROM unnest($3::bigint[], $4::float8[], $5::text[]) AS x(s, t, st)`,
    [
      duisburg.id,
      dev!.deviceId,
      [1, 2, 3],
      [t0, t0 + 30_000, t0 + 90_000],
      ['standby', 'display', 'standby'],
    ],
  );
  await expect
    .poll(
      async () =>
        (await stack.db.pool.query('SELECT 1 FROM episodes WHERE device_id = $1', [dev!.deviceId])).rowCount,
      {
        timeout: 15_000,
      },
    )
    .toBe(1);
  await page.setViewportSize({ width: 390, height: 844 });
  await loginAs(page, 'duisburg.supervisor');
  await page.goto(`${stack.url}/reports/`);
  const choice = page.getByRole('radio', { name: /KOD Mitte 99/ });
  await expect(choice).toBeVisible({ timeout: 15_000 });
  await choice.check();
  await page.getByRole('radio', { name: /verbal/ }).check();
  await page.getByLabel('Anlass').selectOption('problem_district');
  await axe(page);
  await page.getByRole('button', { name: 'Bericht speichern' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Bericht gespeichert.' })).toBeVisible();
  await expect(choice).toHaveCount(0);
  const r = await stack.db.pool.query('SELECT assault, context FROM episodes WHERE device_id = $1', [
    dev!.deviceId,
  ]);
  expect(r.rows).toEqual([{ assault: 'verbal', context: 'problem_district' }]);
});
