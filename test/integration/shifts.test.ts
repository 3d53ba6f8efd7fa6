/**
 * Issue 15, "Shifts and cameras (supervisor, admin)": the Dienst API against a real gateway,
 * PostgreSQL and Redis. Teams and units are created, renamed and deactivated; a shift hands a free
 * camera to a unit (picked, or by its label) and ending it returns the camera; a camera is on one
 * shift at a time and a unit wears one camera, also when two supervisors hand out the same camera
 * in truly concurrent requests (one wins, the other is told by whom); every change is an audit
 * entry committed with it; another tenant's teams, units, shifts and cameras answer like unknown
 * ones. The live view follows: a camera reporting without a shift is "not on duty" (unitId null)
 * and its stage changes are still stored; officer-hours, episodes and stage changes follow the
 * shifts exactly, across a shift change and for a shift ended while recording.
 */
import { provisionDevices } from '@lagebild/db';
import type { DutyBoardResponse, DutyShift } from '@lagebild/protocol';
import { mulberry32, startShiftRota } from '@lagebild/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, connectOperator, login, status, until, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
const cookies: Record<string, string> = {};
const USERS = [
  'duisburg.admin',
  'duisburg.supervisor',
  'duisburg.operator',
  'duisburg.evaluator',
  'dortmund.supervisor',
] as const;
type Who = (typeof USERS)[number];

beforeAll(async () => {
  stack = await startStack({
    devicesPerTenant: 1,
    gatewayEnv: { EPISODE_BUILD_MS: '100', EPISODE_QUIET_S: '1', COALESCE_MS: '50' },
  });
  for (const u of USERS) cookies[u] = await login(stack.url, u, DEMO_PASSWORD);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the expectations
async function call(who: Who, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie: cookies[who]!, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const sup = (path: string, body?: unknown) => call('duisburg.supervisor', path, body);
const duisburg = () => stack.tenants.find((t) => t.slug === 'duisburg')!;

let serial = 0;
async function newTeam(name = `Team ${++serial}`): Promise<{ id: string; name: string }> {
  const r = await sup('/api/duty/teams', { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.team;
}
async function newUnit(
  teamId: string,
  callsign = `Nord ${++serial}`,
): Promise<{ id: string; callsign: string }> {
  const r = await sup('/api/duty/units', { callsign, teamId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.unit;
}
async function newCameras(n: number) {
  return provisionDevices(
    stack.db.pool,
    duisburg().id,
    Array.from({ length: n }, () => `KAM-${++serial}`),
  );
}
async function start(who: Who, unitId: string, camera: { deviceId?: string; deviceLabel?: string }) {
  return call(who, '/api/duty/shifts', { unitId, ...camera, personnelNumber: `P-${++serial}` });
}
async function startOk(unitId: string, deviceId: string): Promise<DutyShift> {
  const r = await start('duisburg.supervisor', unitId, { deviceId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.shift;
}
async function audit(action: string, target: string) {
  const { rows } = await stack.db.pool.query(
    'SELECT actor, payload FROM audit_log WHERE action = $1 AND target = $2 ORDER BY seq',
    [action, target],
  );
  return rows as Array<{ actor: string; payload: Record<string, unknown> }>;
}

describe('[DUTY1] the Dienst page API', () => {
  it('is for supervisors and admins: operators and evaluators are refused', async () => {
    expect((await call('duisburg.supervisor', '/api/duty')).status).toBe(200);
    expect((await call('duisburg.admin', '/api/duty')).status).toBe(200);
    expect((await call('duisburg.operator', '/api/duty')).status).toBe(403);
    expect((await call('duisburg.evaluator', '/api/duty')).status).toBe(403);
    expect((await call('duisburg.operator', '/api/duty/teams', { name: 'X' })).status).toBe(403);
  });

  it('creates, renames and deactivates teams and units, each audited', async () => {
    const team = await newTeam('Team Rhein');
    expect(await audit('team_created', `team:${team.id}`)).toEqual([
      expect.objectContaining({ actor: 'duisburg.supervisor', payload: { name: 'Team Rhein' } }),
    ]);
    expect((await sup('/api/duty/teams', { name: 'Team Rhein' })).status).toBe(409);
    const unit = await newUnit(team.id, 'Rhein 1');
    expect(unit).toMatchObject({ callsign: 'Rhein 1', team: 'Team Rhein', active: true, shift: null });

    // a team with an active unit stays active
    expect((await sup(`/api/duty/teams/${team.id}`, { active: false })).status).toBe(409);
    const renamed = await sup(`/api/duty/teams/${team.id}`, { name: 'Team Ruhr' });
    expect(renamed.body.team).toMatchObject({ name: 'Team Ruhr', units: 1 });
    const board = (await sup('/api/duty')).body as DutyBoardResponse;
    expect(board.units.find((u) => u.id === unit.id)).toMatchObject({ team: 'Team Ruhr' });

    const off = await sup(`/api/duty/units/${unit.id}`, { active: false, callsign: 'Ruhr 1' });
    expect(off.status).toBe(200);
    expect(off.body.unit).toMatchObject({ callsign: 'Ruhr 1', active: false });
    expect(await audit('unit_changed', `unit:${unit.id}`)).toEqual([
      expect.objectContaining({
        payload: { callsign: { old: 'Rhein 1', new: 'Ruhr 1' }, active: false },
      }),
    ]);
    // a deactivated unit gets no shift
    const [cam] = await newCameras(1);
    expect((await start('duisburg.supervisor', unit.id, { deviceId: cam!.deviceId })).status).toBe(409);
    expect((await sup(`/api/duty/teams/${team.id}`, { active: false })).status).toBe(200);
    expect((await sup('/api/duty/units', { callsign: 'Ruhr 2', teamId: team.id })).status).toBe(409);
  });
});

describe('[DUTY2] starting and ending a shift', () => {
  it('hands a free camera to a unit and takes it back, audited with the change', async () => {
    const team = await newTeam();
    const unit = await newUnit(team.id);
    const [cam] = await newCameras(1);
    const before = (await sup('/api/duty')).body as DutyBoardResponse;
    expect(before.cameras.find((c) => c.id === cam!.deviceId)).toMatchObject({ shiftId: null });

    const shift = await startOk(unit.id, cam!.deviceId);
    expect(shift).toMatchObject({
      unitId: unit.id,
      deviceId: cam!.deviceId,
      team: team.name,
      endedAt: null,
      startedBy: 'Dienstgruppenleitung Duisburg',
    });
    const during = (await sup('/api/duty')).body as DutyBoardResponse;
    expect(during.cameras.find((c) => c.id === cam!.deviceId)).toMatchObject({ shiftId: shift.id });
    expect(during.units.find((u) => u.id === unit.id)?.shift?.id).toBe(shift.id);
    const [started] = await audit('shift_started', `shift:${shift.id}`);
    expect(started).toMatchObject({
      actor: 'duisburg.supervisor',
      payload: { unitId: unit.id, deviceId: cam!.deviceId, by: 'pick' },
    });
    // the personnel number is not written into the audit log
    expect(JSON.stringify(started)).not.toContain(shift.personnelNumber!);

    // the unit wears one camera
    const [other] = await newCameras(1);
    const busy = await start('duisburg.admin', unit.id, { deviceId: other!.deviceId });
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toContain(cam!.label);

    const end = await call('duisburg.admin', `/api/duty/shifts/${shift.id}/end`, {});
    expect(end.status).toBe(200);
    expect(end.body.shift.endedAt).toBeGreaterThanOrEqual(shift.startedAt);
    expect(await audit('shift_ended', `shift:${shift.id}`)).toEqual([
      expect.objectContaining({ actor: 'duisburg.admin' }),
    ]);
    const again = await sup(`/api/duty/shifts/${shift.id}/end`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('Administration');
    const after = (await sup('/api/duty')).body as DutyBoardResponse;
    expect(after.cameras.find((c) => c.id === cam!.deviceId)).toMatchObject({ shiftId: null });
    expect(after.recentlyEnded.map((s) => s.id)).toContain(shift.id);
  });

  it('finds the camera by its label as typed or scanned, in any case; an unknown label is 404', async () => {
    const unit = await newUnit((await newTeam()).id);
    const [cam] = await newCameras(1);
    const r = await start('duisburg.supervisor', unit.id, { deviceLabel: ` ${cam!.label.toLowerCase()} ` });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.shift.deviceId).toBe(cam!.deviceId);
    expect((await audit('shift_started', `shift:${r.body.shift.id}`))[0]!.payload.by).toBe('label');
    const unknown = await start('duisburg.supervisor', (await newUnit((await newTeam()).id)).id, {
      deviceLabel: 'KAM-NIX',
    });
    expect(unknown.status).toBe(404);
    expect((await sup(`/api/duty/shifts/${r.body.shift.id}/end`, {})).status).toBe(200);
  });

  it('refuses a body naming no camera or both, and a malformed personnel number', async () => {
    const unit = await newUnit((await newTeam()).id);
    const [cam] = await newCameras(1);
    const none = await sup('/api/duty/shifts', { unitId: unit.id, personnelNumber: 'P-1' });
    expect(none.status).toBe(400);
    const both = await sup('/api/duty/shifts', {
      unitId: unit.id,
      deviceId: cam!.deviceId,
      deviceLabel: cam!.label,
      personnelNumber: 'P-1',
    });
    expect(both.status).toBe(400);
    const bad = await sup('/api/duty/shifts', {
      unitId: unit.id,
      deviceId: cam!.deviceId,
      personnelNumber: 'Max Mustermann',
    });
    expect(bad.status).toBe(400);
  });
});

describe('[DUTY3] two supervisors hand out the same camera at once', () => {
  it('one wins, the other gets 409 naming the unit and who handed it out (10 concurrent rounds)', async () => {
    const team = await newTeam();
    for (let round = 0; round < 10; round++) {
      const a = await newUnit(team.id);
      const b = await newUnit(team.id);
      const [cam] = await newCameras(1);
      const [ra, rb] = await Promise.all([
        start('duisburg.supervisor', a.id, { deviceId: cam!.deviceId }),
        start('duisburg.admin', b.id, { deviceId: cam!.deviceId }),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses, JSON.stringify([ra.body, rb.body])).toEqual([201, 409]);
      const [won, lost] = ra.status === 201 ? [ra, rb] : [rb, ra];
      const winner = won === ra ? { unit: a, by: 'Dienstgruppenleitung' } : { unit: b, by: 'Administration' };
      expect(lost.body.error.message).toContain(`unit ${winner.unit.callsign}`);
      expect(lost.body.error.message).toContain(`handed out by ${winner.by}`);
      const { rows } = await stack.db.pool.query(
        'SELECT count(*)::int AS n FROM shifts WHERE device_id = $1 AND ended_at IS NULL',
        [cam!.deviceId],
      );
      expect(rows[0].n).toBe(1);
      // exactly one audit entry: the loser's transaction wrote none
      const { rows: entries } = await stack.db.pool.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'shift_started' AND payload->>'deviceId' = $1`,
        [cam!.deviceId],
      );
      expect(entries[0].n).toBe(1);
      await sup(`/api/duty/shifts/${won.body.shift.id}/end`, {});
    }
  });

  it('the database itself refuses a second open shift of a camera or a unit', async () => {
    const unit = await newUnit((await newTeam()).id);
    const unit2 = await newUnit((await newTeam()).id);
    const [cam, cam2] = await newCameras(2);
    await startOk(unit.id, cam!.deviceId);
    await expect(
      stack.db.pool.query('INSERT INTO shifts (tenant_id, unit_id, device_id) VALUES ($1, $2, $3)', [
        duisburg().id,
        unit2.id,
        cam!.deviceId,
      ]),
    ).rejects.toThrow(/shifts_one_open_per_device/);
    await expect(
      stack.db.pool.query('INSERT INTO shifts (tenant_id, unit_id, device_id) VALUES ($1, $2, $3)', [
        duisburg().id,
        unit.id,
        cam2!.deviceId,
      ]),
    ).rejects.toThrow(/shifts_one_open_per_unit/);
  });
});

describe('[DUTY4] tenant isolation', () => {
  it("another tenant's teams, units, shifts and cameras answer like unknown ones", async () => {
    const team = await newTeam();
    const unit = await newUnit(team.id);
    const [cam] = await newCameras(1);
    const shift = await startOk(unit.id, cam!.deviceId);
    const other: Who = 'dortmund.supervisor';
    const board = (await call(other, '/api/duty')).body as DutyBoardResponse;
    expect(board.units.map((u) => u.id)).not.toContain(unit.id);
    expect(board.cameras.map((c) => c.id)).not.toContain(cam!.deviceId);
    expect(JSON.stringify(board)).not.toContain(shift.personnelNumber!);

    expect((await call(other, `/api/duty/shifts/${shift.id}/end`, {})).status).toBe(404);
    expect((await call(other, `/api/duty/teams/${team.id}`, { name: 'Übernommen' })).status).toBe(404);
    expect((await call(other, `/api/duty/units/${unit.id}`, { active: false })).status).toBe(404);
    expect((await call(other, '/api/duty/units', { callsign: 'X 1', teamId: team.id })).status).toBe(404);
    const [dortmundCam] = await provisionDevices(
      stack.db.pool,
      stack.tenants.find((t) => t.slug === 'dortmund')!.id,
      [`KAM-DO-${++serial}`],
    );
    // a Dortmund camera cannot go to a Duisburg unit, by id or label, from either side
    expect((await start(other, unit.id, { deviceId: dortmundCam!.deviceId })).status).toBe(404);
    const du = await newUnit(team.id);
    expect((await start('duisburg.supervisor', du.id, { deviceId: dortmundCam!.deviceId })).status).toBe(404);
    expect((await start('duisburg.supervisor', du.id, { deviceLabel: dortmundCam!.label })).status).toBe(404);
    const { rows } = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'cross_tenant_refused' AND actor = 'dortmund.supervisor'`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(3);
    expect((await sup(`/api/duty/shifts/${shift.id}`.concat('/end'), {})).status).toBe(200);
  });
});

describe('[DUTY5] the live view follows the shifts', () => {
  it('a camera reporting without a shift is not on duty, its stage changes stored; a shift puts it on the map', async () => {
    const unit = await newUnit((await newTeam()).id, `Live ${++serial}`);
    const [cam] = await newCameras(1);
    const op = await connectOperator(stack.url, cookies['duisburg.operator']!);
    const dev = await connectDevice(stack.url, cam!);
    try {
      let seq = 0;
      expect((await dev.send(status(++seq, { at: Date.now() }))).ok).toBe(true);
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'display' }))).ok).toBe(true);
      await waitFor(() => op.units.get(cam!.deviceId)?.stage === 'display', 5000, 'off-duty camera live');
      expect(op.units.get(cam!.deviceId)).toMatchObject({ unitId: null, callsign: null });
      // not a unit on shift
      const units = (await call('duisburg.operator', '/api/units')).body.units as Array<{ deviceId: string }>;
      expect(units.map((u) => u.deviceId)).not.toContain(cam!.deviceId);
      await until(
        async () =>
          (
            await stack.db.pool.query(
              "SELECT 1 FROM stage_changes WHERE device_id = $1 AND to_stage = 'display' AND unit_id IS NULL",
              [cam!.deviceId],
            )
          ).rowCount === 1,
        5000,
        'off-duty stage change stored',
      );

      const shift = await startOk(unit.id, cam!.deviceId);
      await waitFor(
        () => op.units.get(cam!.deviceId)?.unitId === unit.id,
        5000,
        'camera on the map as the unit',
      );
      expect(op.units.get(cam!.deviceId)).toMatchObject({ callsign: unit.callsign, stage: 'display' });
      // the connected camera's next stage change names the unit, without a reconnect
      expect(
        (await dev.send(status(++seq, { at: Date.now(), stage: 'recording', announced: true }))).ok,
      ).toBe(true);
      await until(
        async () =>
          (
            await stack.db.pool.query(
              "SELECT 1 FROM stage_changes WHERE device_id = $1 AND to_stage = 'recording' AND unit_id = $2",
              [cam!.deviceId, unit.id],
            )
          ).rowCount === 1,
        5000,
        'on-shift stage change names the unit',
      );
      expect(dev.socket.connected).toBe(true);

      // ended while recording: the camera leaves the map at once, and what it reports is still stored
      const ended = await sup(`/api/duty/shifts/${shift.id}/end`, {});
      expect(ended.status).toBe(200);
      expect((await audit('shift_ended', `shift:${shift.id}`))[0]!.payload.stageAtEnd).toBe('recording');
      await waitFor(() => op.units.get(cam!.deviceId)?.unitId === null, 5000, 'camera off duty again');
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'standby' }))).ok).toBe(true);
      await until(
        async () =>
          (
            await stack.db.pool.query(
              "SELECT 1 FROM stage_changes WHERE device_id = $1 AND to_stage = 'standby' AND unit_id IS NULL",
              [cam!.deviceId],
            )
          ).rowCount === 1,
        5000,
        'stage change after the shift stored without a unit',
      );
    } finally {
      dev.close();
      op.close();
    }
  });
});

describe('[DUTY6] officer-hours and episodes follow the shifts', () => {
  it('an episode across a shift change stays with the shift it began in; hours go to each shift’s team', async () => {
    const teamA = await newTeam();
    const teamB = await newTeam();
    const unitA = await newUnit(teamA.id);
    const unitB = await newUnit(teamB.id);
    const [cam] = await newCameras(1);
    const dev = await connectDevice(stack.url, cam!);
    try {
      let seq = 0;
      const shiftA = await startOk(unitA.id, cam!.deviceId);
      await new Promise((r) => setTimeout(r, 20)); // the device's clock after the shift's start
      expect((await dev.send(status(++seq, { at: Date.now() }))).ok).toBe(true);
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'display' }))).ok).toBe(true);
      // shift change in the middle of the episode
      expect((await sup(`/api/duty/shifts/${shiftA.id}/end`, {})).status).toBe(200);
      const shiftB = await startOk(unitB.id, cam!.deviceId);
      await new Promise((r) => setTimeout(r, 20));
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'standby' }))).ok).toBe(true);
      // a second episode begins on shift B, after the first one's quiet time (1 s here)
      await new Promise((r) => setTimeout(r, 1500));
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'display' }))).ok).toBe(true);
      expect((await dev.send(status(++seq, { at: Date.now(), stage: 'standby' }))).ok).toBe(true);
      let episodes: Array<{
        unit_id: string | null;
        team: string | null;
        start_seq: string;
        closed: boolean;
      }> = [];
      await until(
        async () => {
          ({ rows: episodes } = await stack.db.pool.query(
            'SELECT unit_id, team, start_seq, closed FROM episodes WHERE device_id = $1 ORDER BY start_seq',
            [cam!.deviceId],
          ));
          return episodes.length === 2 && episodes.every((e) => e.closed);
        },
        10_000,
        'two closed episodes',
      );
      expect(episodes.map((e) => [e.unit_id, e.team])).toEqual([
        [unitA.id, teamA.name],
        [unitB.id, teamB.name],
      ]);

      // officer-hours of the ended shift: exactly its seconds, under its team, even after a rename
      await sup(`/api/duty/teams/${teamA.id}`, { name: `${teamA.name} neu` });
      const { rows: hours } = await stack.db.pool.query(
        `SELECT o.team, sum(o.seconds)::float8 AS seconds,
                (SELECT extract(epoch FROM ended_at - started_at)::float8 FROM shifts WHERE id = $2) AS shift_seconds
           FROM officer_hours o WHERE o.tenant_id = $1 AND o.team IN ($3, $4) GROUP BY o.team`,
        [duisburg().id, shiftA.id, teamA.name, `${teamA.name} neu`],
      );
      expect(hours).toHaveLength(1);
      expect(hours[0].team).toBe(teamA.name);
      expect(hours[0].seconds).toBeCloseTo(hours[0].shift_seconds, 6);
      // the open shift B counts nothing in the roll-up until it ends
      const { rows: openB } = await stack.db.pool.query(
        'SELECT count(*)::int AS n FROM officer_hours WHERE tenant_id = $1 AND team = $2',
        [duisburg().id, teamB.name],
      );
      expect(openB[0].n).toBe(0);
      expect((await sup(`/api/duty/shifts/${shiftB.id}/end`, {})).status).toBe(200);
      const { rows: closedB } = await stack.db.pool.query(
        `SELECT sum(o.seconds)::float8 AS seconds,
                (SELECT extract(epoch FROM ended_at - started_at)::float8 FROM shifts WHERE id = $3) AS shift_seconds
           FROM officer_hours o WHERE o.tenant_id = $1 AND o.team = $2`,
        [duisburg().id, teamB.name, shiftB.id],
      );
      expect(closedB[0].seconds).toBeCloseTo(closedB[0].shift_seconds, 6);
    } finally {
      dev.close();
    }
  });
});

describe('[DUTY7] the simulator changes shifts through the same API', () => {
  it("ends a shift as the city's supervisor and starts the next one with the same camera", async () => {
    const unit = await newUnit((await newTeam()).id);
    const [cam] = await newCameras(1);
    const first = await startOk(unit.id, cam!.deviceId);
    const errors: string[] = [];
    const rota = startShiftRota({
      url: stack.url,
      logins: [{ username: 'duisburg.supervisor', password: DEMO_PASSWORD }],
      deviceIds: [cam!.deviceId],
      everyMs: 300,
      handoverMs: 100,
      rng: mulberry32(15),
      onError: (message) => errors.push(message),
    });
    try {
      await until(async () => rota.stats().started >= 2, 10_000, 'two shift changes');
    } finally {
      rota.stop();
    }
    const { rows } = await stack.db.pool.query<{ id: string; ended_at: Date | null; started_by: string }>(
      `SELECT s.id, s.ended_at, u.username AS started_by FROM shifts s JOIN users u ON u.id = s.started_by
        WHERE s.device_id = $1 ORDER BY s.started_at`,
      [cam!.deviceId],
    );
    expect(rows[0]!.id).toBe(first.id);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.started_by === 'duisburg.supervisor')).toBe(true);
    expect(rows.filter((r) => r.ended_at === null).length).toBeLessThanOrEqual(1);
    const ended = await audit('shift_ended', `shift:${first.id}`);
    expect(ended).toEqual([expect.objectContaining({ actor: 'duisburg.supervisor' })]);
    // only the camera it drives: no other shift of the tenant was touched by the rota
    expect(errors).toEqual([]);
    expect(rota.stats().refused).toBe(0);
  });
});
