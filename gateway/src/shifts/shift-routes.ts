/**
 * The Dienst page's API (issue 15): the board, starting a shift (a camera handed out to a unit)
 * and ending it (the camera returned). Supervisors and admins of their own tenant only.
 *
 * The database decides races: a camera on an open shift and a unit with an open shift are partial
 * unique indexes (migration 0015). Two supervisors handing out the same camera at once both insert;
 * the second insert waits for the first transaction and then fails, and its caller gets a 409 that
 * names the unit, since when and by whom the camera was handed out. Each start and end commits with
 * its audit entry in one transaction; after the commit every gateway learns of it (shift-change.ts).
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  DUTY_ROLES,
  DutyBoardResponse,
  type DutyShift,
  ShiftResponse,
  StartShiftRequest,
} from '@lagebild/protocol';
import type pg from 'pg';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import { notFound } from '../http/tenant-guard.ts';
import type { LiveStore } from '../live/live-store.ts';
import { dutyBoard, loadShift, openShiftOfDevice, openShiftOfUnit } from './duty-queries.ts';
import type { ShiftChangeNotifier } from './shift-change.ts';

export interface ShiftRouteDeps extends HttpDeps {
  db: Db;
  audit: AuditLog;
  live: LiveStore;
  onShiftChange: ShiftChangeNotifier;
}

const UNIQUE_VIOLATION = '23505';

const hhmm = (ms: number) =>
  new Date(ms).toLocaleTimeString('de-DE', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' });

/** The 409 for a camera that is already out: which unit has it, since when, handed out by whom. */
function cameraTaken(holder: DutyShift): AppError {
  return new AppError(
    'conflict',
    `camera ${holder.deviceLabel} is already on shift with unit ${holder.callsign} since ${hhmm(holder.startedAt)}` +
      `, handed out by ${holder.startedBy ?? 'the system'}`,
    [`deviceId: camera_taken: ${holder.callsign}: ${holder.startedBy ?? ''}`],
  );
}

function unitBusy(holder: DutyShift): AppError {
  return new AppError(
    'conflict',
    `unit ${holder.callsign} already wears camera ${holder.deviceLabel} since ${hhmm(holder.startedAt)}` +
      `, handed out by ${holder.startedBy ?? 'the system'}; end that shift first`,
    [`unitId: unit_on_shift: ${holder.deviceLabel}: ${holder.startedBy ?? ''}`],
  );
}

const constraintOf = (err: unknown): string | null =>
  err && typeof err === 'object' && (err as { code?: string }).code === UNIQUE_VIOLATION
    ? ((err as { constraint?: string }).constraint ?? '')
    : null;

export function registerShiftRoutes({
  route,
  db,
  sameTenant,
  audit,
  live,
  onShiftChange,
}: ShiftRouteDeps): void {
  const pool = db.pool;

  route(
    {
      method: 'GET',
      url: '/api/duty',
      access: DUTY_ROLES,
      summary: 'The Dienst page: teams, units with their open shift, active cameras, shifts ended today',
      response: DutyBoardResponse,
    },
    async ({ user }) => dutyBoard(pool, user.tenant.id),
  );

  route(
    {
      method: 'POST',
      url: '/api/duty/shifts',
      access: DUTY_ROLES,
      summary: 'Starts a shift: hands a free camera (by id, or by its label as typed or scanned) to a unit',
      description:
        'A camera is on one shift at a time and a unit wears one camera: 409 names who holds it. Audited as shift_started.',
      body: StartShiftRequest,
      response: ShiftResponse,
      status: 201,
    },
    async ({ req, user, body }) => {
      const tenantId = user.tenant.id;
      const device = await findCamera(pool, tenantId, body);
      let shift: DutyShift;
      try {
        shift = await withTransaction(pool, async (c) => {
          const { rows: units } = await c.query<{ tenant_id: string; deactivated_at: Date | null }>(
            'SELECT tenant_id, deactivated_at FROM units WHERE id = $1 FOR SHARE',
            [body.unitId],
          );
          const unit = units[0];
          if (!unit) throw notFound('unit');
          sameTenant(user, unit.tenant_id, 'unit', body.unitId, req);
          if (unit.deactivated_at)
            throw new AppError('conflict', 'this unit is deactivated; activate it first');
          const { rows } = await c.query<{ id: string }>(
            `INSERT INTO shifts (tenant_id, unit_id, device_id, personnel_number, started_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id`,
            [tenantId, body.unitId, device.id, body.personnelNumber, user.id],
          );
          const started = (await loadShift(c, tenantId, rows[0]!.id))!;
          await audit.appendIn(c, [
            {
              tenantId,
              actor: actorOf(user),
              action: 'shift_started',
              target: auditTarget('shift', started.id),
              // the personnel number is personal data and stays in the shift row, not the log
              payload: {
                unitId: started.unitId,
                callsign: started.callsign,
                team: started.team,
                deviceId: device.id,
                deviceLabel: device.label,
                by: body.deviceId ? 'pick' : 'label',
              },
            },
          ]);
          return started;
        });
      } catch (err) {
        const constraint = constraintOf(err);
        if (constraint === 'shifts_one_open_per_device') {
          const holder = await openShiftOfDevice(pool, device.id);
          if (holder) throw cameraTaken(holder);
        }
        if (constraint === 'shifts_one_open_per_unit') {
          const holder = await openShiftOfUnit(pool, body.unitId);
          if (holder) throw unitBusy(holder);
        }
        // the holder ended in between: the caller may simply try again
        if (constraint !== null)
          throw new AppError('conflict', 'the camera or unit changed meanwhile; try again');
        throw err;
      }
      await onShiftChange(tenantId, shift.deviceId, {
        unitId: shift.unitId,
        callsign: shift.callsign,
        team: shift.team,
      });
      return { shift };
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/duty/shifts/:id/end',
      access: DUTY_ROLES,
      summary: 'Ends a shift: the camera is returned and free again',
      description:
        'A camera that keeps reporting after its shift is listed as not on duty. Audited as shift_ended; 409 if it had ended already.',
      params: idParams('shift'),
      response: ShiftResponse,
    },
    async ({ req, user, params: { id } }) => {
      const tenantId = user.tenant.id;
      const ended = await withTransaction(pool, async (c) => {
        const { rows } = await c.query<{ tenant_id: string; ended_at: Date | null }>(
          'SELECT tenant_id, ended_at FROM shifts WHERE id = $1 FOR UPDATE',
          [id],
        );
        const row = rows[0];
        if (!row) throw notFound('shift');
        sameTenant(user, row.tenant_id, 'shift', id, req);
        if (row.ended_at) {
          const was = (await loadShift(c, tenantId, id))!;
          throw new AppError(
            'conflict',
            `this shift was ended at ${hhmm(was.endedAt!)} by ${was.endedBy ?? 'the system'}`,
          );
        }
        await c.query(
          'UPDATE shifts SET ended_at = greatest(now(), started_at), ended_by = $2 WHERE id = $1',
          [id, user.id],
        );
        const shift = (await loadShift(c, tenantId, id))!;
        const state = await live.get(tenantId, shift.deviceId).catch(() => null);
        await audit.appendIn(c, [
          {
            tenantId,
            actor: actorOf(user),
            action: 'shift_ended',
            target: auditTarget('shift', id),
            payload: {
              unitId: shift.unitId,
              callsign: shift.callsign,
              team: shift.team,
              deviceId: shift.deviceId,
              deviceLabel: shift.deviceLabel,
              durationS: Math.round((shift.endedAt! - shift.startedAt) / 1000),
              // a shift ended while its camera records: the recording goes on under the device
              stageAtEnd: state?.stage ?? null,
            },
          },
        ]);
        return shift;
      });
      await onShiftChange(tenantId, ended.deviceId, { unitId: null, callsign: null, team: null });
      return { shift: ended };
    },
  );
}

/** The camera named by id or label, active, of the caller's tenant; 404 / 409 otherwise. */
async function findCamera(
  pool: pg.Pool,
  tenantId: string,
  body: StartShiftRequest,
): Promise<{ id: string; label: string }> {
  const { rows } = await pool.query<{ id: string; label: string; state: string }>(
    `SELECT id, label, state FROM devices
      WHERE tenant_id = $1 AND ${body.deviceId ? 'id = $2' : 'lower(label) = lower($2)'}
      ORDER BY label = $2::text DESC LIMIT 1`,
    [tenantId, body.deviceId ?? body.deviceLabel],
  );
  // another tenant's camera is answered like an unknown one
  const d = rows[0];
  if (!d)
    throw new AppError(
      'not_found',
      body.deviceId ? 'camera not found' : `no camera with the label "${body.deviceLabel}"`,
    );
  if (d.state !== 'active')
    throw new AppError('conflict', `camera ${d.label} is revoked and cannot be handed out`);
  return { id: d.id, label: d.label };
}
