/**
 * Teams and units administered on the Dienst page (issue 15), by supervisors and admins of their
 * own tenant: create, rename, move a unit to another team, deactivate and reactivate. Nothing is
 * deleted (statistics and the audit log name them). Every change commits with its audit entry.
 *
 * Statistics group by the team's name as it was when a shift started (shifts.team), so renaming a
 * team renames it for new shifts; the hours and episodes before stay under the old name. A unit on
 * shift keeps the team of its shift until the shift ends, and cannot be deactivated; a team with
 * active units cannot be deactivated.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  ChangeTeamRequest,
  ChangeUnitRequest,
  CreateTeamRequest,
  CreateUnitRequest,
  DUTY_ROLES,
  TeamResponse,
  UnitAdminResponse,
} from '@lagebild/protocol';
import type pg from 'pg';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import { notFound } from '../http/tenant-guard.ts';
import { listTeams, listUnits } from '../shifts/duty-queries.ts';

export interface TeamUnitAdminDeps extends HttpDeps {
  db: Db;
  audit: AuditLog;
}

const UNIQUE_VIOLATION = '23505';
const isUnique = (err: unknown) => (err as { code?: string } | null)?.code === UNIQUE_VIOLATION;

/** An active team of the tenant by id, locked; 404 for unknown or another tenant's (audited by sameTenant). */
async function lockTeam(
  c: pg.PoolClient,
  id: string,
): Promise<{ id: string; tenant_id: string; name: string; deactivated_at: Date | null } | undefined> {
  const { rows } = await c.query<{
    id: string;
    tenant_id: string;
    name: string;
    deactivated_at: Date | null;
  }>('SELECT id, tenant_id, name, deactivated_at FROM teams WHERE id = $1 FOR UPDATE', [id]);
  return rows[0];
}

export function registerTeamUnitAdminRoutes({ route, db, sameTenant, audit }: TeamUnitAdminDeps): void {
  const pool = db.pool;

  route(
    {
      method: 'POST',
      url: '/api/duty/teams',
      access: DUTY_ROLES,
      summary: 'Creates a team',
      body: CreateTeamRequest,
      response: TeamResponse,
      status: 201,
    },
    async ({ user, body }) => {
      const tenantId = user.tenant.id;
      try {
        return await withTransaction(pool, async (c) => {
          const { rows } = await c.query<{ id: string }>(
            'INSERT INTO teams (tenant_id, name) VALUES ($1, $2) RETURNING id',
            [tenantId, body.name],
          );
          const id = rows[0]!.id;
          await audit.appendIn(c, [
            {
              tenantId,
              actor: actorOf(user),
              action: 'team_created',
              target: auditTarget('team', id),
              payload: { name: body.name },
            },
          ]);
          return { team: (await listTeams(c, tenantId, id))[0]! };
        });
      } catch (err) {
        if (isUnique(err)) throw new AppError('conflict', `a team named "${body.name}" exists already`);
        throw err;
      }
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/duty/teams/:id',
      access: DUTY_ROLES,
      summary: 'Renames a team and/or deactivates or reactivates it',
      params: idParams('team'),
      body: ChangeTeamRequest,
      response: TeamResponse,
    },
    async ({ req, user, params: { id }, body }) => {
      const tenantId = user.tenant.id;
      try {
        return await withTransaction(pool, async (c) => {
          const team = await lockTeam(c, id);
          if (!team) throw notFound('team');
          sameTenant(user, team.tenant_id, 'team', id, req);
          const changes: Record<string, unknown> = {};
          if (body.name !== undefined && body.name !== team.name) {
            await c.query('UPDATE teams SET name = $2 WHERE id = $1', [id, body.name]);
            // units name their team; open shifts keep the name they started with (statistics)
            await c.query('UPDATE units SET team = $3 WHERE tenant_id = $1 AND team = $2', [
              tenantId,
              team.name,
              body.name,
            ]);
            changes.name = { old: team.name, new: body.name };
          }
          if (body.active !== undefined && body.active !== (team.deactivated_at === null)) {
            if (!body.active) {
              const { rows } = await c.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM units
                  WHERE tenant_id = $1 AND team = $2 AND deactivated_at IS NULL`,
                [tenantId, body.name ?? team.name],
              );
              if (rows[0]!.n > 0)
                throw new AppError(
                  'conflict',
                  `team "${team.name}" still has ${rows[0]!.n} active units; move or deactivate them first`,
                );
            }
            await c.query('UPDATE teams SET deactivated_at = $2 WHERE id = $1', [
              id,
              body.active ? null : new Date(),
            ]);
            changes.active = body.active;
          }
          if (Object.keys(changes).length > 0)
            await audit.appendIn(c, [
              {
                tenantId,
                actor: actorOf(user),
                action: 'team_changed',
                target: auditTarget('team', id),
                payload: changes,
              },
            ]);
          return { team: (await listTeams(c, tenantId, id))[0]! };
        });
      } catch (err) {
        if (isUnique(err)) throw new AppError('conflict', `a team named "${body.name}" exists already`);
        throw err;
      }
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/duty/units',
      access: DUTY_ROLES,
      summary: 'Creates a unit (call sign) in an active team',
      body: CreateUnitRequest,
      response: UnitAdminResponse,
      status: 201,
    },
    async ({ req, user, body }) => {
      const tenantId = user.tenant.id;
      try {
        return await withTransaction(pool, async (c) => {
          const team = await lockTeam(c, body.teamId);
          if (!team) throw notFound('team');
          sameTenant(user, team.tenant_id, 'team', body.teamId, req);
          if (team.deactivated_at) throw new AppError('conflict', `team "${team.name}" is deactivated`);
          const { rows } = await c.query<{ id: string }>(
            'INSERT INTO units (tenant_id, callsign, team) VALUES ($1, $2, $3) RETURNING id',
            [tenantId, body.callsign, team.name],
          );
          const id = rows[0]!.id;
          await audit.appendIn(c, [
            {
              tenantId,
              actor: actorOf(user),
              action: 'unit_created',
              target: auditTarget('unit', id),
              payload: { callsign: body.callsign, team: team.name },
            },
          ]);
          return { unit: (await listUnits(c, tenantId, id))[0]! };
        });
      } catch (err) {
        if (isUnique(err))
          throw new AppError('conflict', `a unit with the call sign "${body.callsign}" exists already`);
        throw err;
      }
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/duty/units/:id',
      access: DUTY_ROLES,
      summary: 'Renames a unit, moves it to another team, deactivates or reactivates it',
      params: idParams('unit'),
      body: ChangeUnitRequest,
      response: UnitAdminResponse,
    },
    async ({ req, user, params: { id }, body }) => {
      const tenantId = user.tenant.id;
      try {
        return await withTransaction(pool, async (c) => {
          const { rows } = await c.query<{
            tenant_id: string;
            callsign: string;
            team: string;
            deactivated_at: Date | null;
          }>('SELECT tenant_id, callsign, team, deactivated_at FROM units WHERE id = $1 FOR UPDATE', [id]);
          const unit = rows[0];
          if (!unit) throw notFound('unit');
          sameTenant(user, unit.tenant_id, 'unit', id, req);
          const changes: Record<string, unknown> = {};
          if (body.callsign !== undefined && body.callsign !== unit.callsign) {
            await c.query('UPDATE units SET callsign = $2 WHERE id = $1', [id, body.callsign]);
            changes.callsign = { old: unit.callsign, new: body.callsign };
          }
          if (body.teamId !== undefined) {
            const team = await lockTeam(c, body.teamId);
            if (!team) throw notFound('team');
            sameTenant(user, team.tenant_id, 'team', body.teamId, req);
            if (team.name !== unit.team) {
              if (team.deactivated_at) throw new AppError('conflict', `team "${team.name}" is deactivated`);
              await c.query('UPDATE units SET team = $2 WHERE id = $1', [id, team.name]);
              changes.team = { old: unit.team, new: team.name };
            }
          }
          if (body.active !== undefined && body.active !== (unit.deactivated_at === null)) {
            if (!body.active) {
              const { rows: open } = await c.query(
                'SELECT 1 FROM shifts WHERE unit_id = $1 AND ended_at IS NULL',
                [id],
              );
              if (open.length > 0)
                throw new AppError('conflict', `unit ${unit.callsign} is on shift; end the shift first`);
            }
            await c.query('UPDATE units SET deactivated_at = $2 WHERE id = $1', [
              id,
              body.active ? null : new Date(),
            ]);
            changes.active = body.active;
          }
          if (Object.keys(changes).length > 0)
            await audit.appendIn(c, [
              {
                tenantId,
                actor: actorOf(user),
                action: 'unit_changed',
                target: auditTarget('unit', id),
                payload: changes,
              },
            ]);
          return { unit: (await listUnits(c, tenantId, id))[0]! };
        });
      } catch (err) {
        if (isUnique(err))
          throw new AppError('conflict', `a unit with the call sign "${body.callsign}" exists already`);
        throw err;
      }
    },
  );
}
