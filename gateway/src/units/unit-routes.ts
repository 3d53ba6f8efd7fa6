/** Units on shift with their live state, and one unit's detail with the stage history of its shift. */
import type { Db } from '@lagebild/db';
import {
  LIVE_ROLES,
  type StageChange,
  type Unit,
  UnitDetailResponse,
  UnitsResponse,
} from '@lagebild/protocol';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import { notFound } from '../http/tenant-guard.ts';
import type { LiveStore } from '../live/live-store.ts';

const HISTORY_LIMIT = 1000;

export interface UnitRouteDeps extends HttpDeps {
  db: Db;
  live: LiveStore;
  audit: AuditLog;
}

export function registerUnitRoutes({ route, db, sameTenant, live, audit }: UnitRouteDeps): void {
  route(
    {
      method: 'GET',
      url: '/api/units',
      access: LIVE_ROLES,
      summary: 'Units on shift with their live state',
      response: UnitsResponse,
    },
    async ({ user }) => {
      const [shifts, states] = await Promise.all([
        db.prisma.shift.findMany({
          where: { tenantId: user.tenant.id, endedAt: null },
          include: { unit: true },
          orderBy: { unit: { callsign: 'asc' } },
        }),
        live.snapshot(user.tenant.id),
      ]);
      const byDevice = new Map(states.map((s) => [s.deviceId, s]));
      return {
        units: shifts.map((s) => ({
          id: s.unit.id,
          callsign: s.unit.callsign,
          team: s.unit.team,
          deviceId: s.deviceId,
          shiftStartedAt: s.startedAt.getTime(),
          live: byDevice.get(s.deviceId) ?? null,
        })),
      };
    },
  );

  route(
    {
      method: 'GET',
      url: '/api/units/:id',
      access: LIVE_ROLES,
      summary: 'One unit with the stage history of its shift (an audited read)',
      params: idParams('unit'),
      response: UnitDetailResponse,
    },
    async ({ req, user, params: { id } }) => {
      const unit = await db.prisma.unit.findUnique({
        where: { id },
        include: { shifts: { orderBy: { startedAt: 'desc' }, take: 1 } },
      });
      if (!unit) throw notFound('unit');
      sameTenant(user, unit.tenantId, 'unit', id, req);
      const shift = unit.shifts[0] ?? null;
      const since = shift?.startedAt ?? new Date(Date.now() - 12 * 3_600_000);
      const rows = await db.prisma.stageChange.findMany({
        where: { unitId: id, deviceTime: { gte: since } },
        orderBy: { deviceTime: 'asc' },
        take: HISTORY_LIMIT,
      });
      const stageHistory: StageChange[] = rows.map((r) => ({
        deviceId: r.deviceId,
        unitId: r.unitId,
        seq: Number(r.seq),
        from: r.fromStage,
        to: r.toStage,
        at: r.deviceTime.getTime(),
        receivedAt: r.receivedAt.getTime(),
        announced: r.announced,
        unannouncedReason: r.unannouncedReason,
        emergency: r.emergency,
      }));
      // a unit's stage history is personal data of its officers (§ 76 BDSG): the read is audited,
      // committed before the data leaves
      await audit.append({
        tenantId: user.tenant.id,
        actor: actorOf(user),
        action: 'unit_history_read',
        target: `unit:${id}`,
        payload: { entries: stageHistory.length, since: since.getTime() },
      });
      const dto: Unit = {
        id: unit.id,
        callsign: unit.callsign,
        team: unit.team,
        deviceId: shift && !shift.endedAt ? shift.deviceId : null,
        shiftStartedAt: shift && !shift.endedAt ? shift.startedAt.getTime() : null,
      };
      return {
        unit: dto,
        live: dto.deviceId ? await live.get(user.tenant.id, dto.deviceId) : null,
        stageHistory,
      };
    },
  );
}
