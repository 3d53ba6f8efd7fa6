/**
 * Administration of a tenant's users (issue 15): list, create (the setup code is in the answer
 * only), change the role, disable and enable, reset the password, list and end sessions. Admins
 * only, always their own tenant: another tenant's user id is answered like an unknown one. Every
 * change names a reason and commits with its audit entry in one transaction, under a lock on the
 * tenant's users so the last enabled admin can be neither demoted nor disabled (409), also by two
 * admins at once. A change that takes rights away (disable, role change, reset) ends the user's
 * sessions at once: the rows go in the transaction, then `endSession` closes their /control
 * sockets and SFU viewer sessions on every gateway.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  ChangeRoleRequest,
  CreateUserRequest,
  EndSessionsRequest,
  EndSessionsResponse,
  SetupCodeResponse,
  UserChangeRequest,
  UserResponse,
  UserSessionsResponse,
  UsersResponse,
} from '@lagebild/protocol';
import type pg from 'pg';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams } from '../http/route.ts';
import type { HttpDeps } from '../http/route-deps.ts';
import { type SessionEndReason, type SessionUser, sessionRefOf } from '../http/session.ts';
import type { Logger } from '../logger.ts';
import { NEW_USER_CODE_TTL_MS, newSetupCode, RESET_CODE_TTL_MS, setupCodeHash } from './setup-code.ts';
import {
  adminView,
  deleteSessions,
  type LoadedUser,
  listUsers,
  loadUser,
  lockTenantUsers,
  refuseLastAdmin,
} from './user-queries.ts';

export interface UserRouteDeps extends HttpDeps {
  db: Db;
  audit: AuditLog;
  log: Logger;
  /** ends an operator session everywhere at once: its /control sockets and its SFU viewer sessions */
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
}

const userParams = idParams('user');

export function registerUserRoutes({ route, db, sameTenant, audit, log, endSession }: UserRouteDeps): void {
  const pool = db.pool;

  /**
   * Runs `change` on the caller's own-tenant user `id` in one transaction under the tenant lock;
   * the sessions it deleted are ended everywhere once it has committed.
   */
  async function changeUser<T>(
    ctx: { user: SessionUser; req: Parameters<typeof sameTenant>[4] },
    id: string,
    reason: SessionEndReason,
    change: (c: pg.PoolClient, target: LoadedUser) => Promise<{ result: T; endedSessions?: string[] }>,
  ): Promise<T> {
    const found = await loadUser(pool, id);
    if (!found) throw new AppError('not_found', 'user not found');
    sameTenant(ctx.user, found.tenantId, 'user', id, ctx.req);
    const { result, endedSessions = [] } = await withTransaction(pool, async (c) => {
      await lockTenantUsers(c, found.tenantId);
      const target = await loadUser(c, id, true);
      if (!target) throw new AppError('not_found', 'user not found');
      return change(c, target);
    });
    for (const hash of endedSessions) endSession(hash, found.tenantId, reason);
    if (endedSessions.length > 0)
      log.info({ userId: id, sessions: endedSessions.length, reason }, 'sessions ended by admin change');
    return result;
  }

  const entry = (user: SessionUser, target: LoadedUser, reason: string) => ({
    tenantId: user.tenant.id,
    actor: actorOf(user),
    target: auditTarget('user', target.id),
    reason,
  });

  route(
    {
      method: 'GET',
      url: '/api/admin/users',
      access: ['admin'],
      summary: "The tenant's users",
      response: UsersResponse,
    },
    async ({ user }) => ({ users: await listUsers(pool, user.tenant.id) }),
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users',
      access: ['admin'],
      summary: 'Creates a user; the one-time setup code for the first login is in this answer only',
      body: CreateUserRequest,
      response: SetupCodeResponse,
      status: 201,
    },
    async ({ user, body }) => {
      const code = newSetupCode();
      const expiresAt = new Date(Date.now() + NEW_USER_CODE_TTL_MS);
      const created = await withTransaction(pool, async (c) => {
        const { rows } = await c.query<{ id: string }>(
          `INSERT INTO users (tenant_id, username, display_name, email, role, password_hash,
                              must_change_password, setup_code_hash, setup_code_expires_at)
           VALUES ($1, $2, $3, $4, $5, NULL, true, $6, $7)
           ON CONFLICT (username) DO NOTHING RETURNING id`,
          [
            user.tenant.id,
            body.username,
            body.displayName,
            body.email ?? null,
            body.role,
            setupCodeHash(code),
            expiresAt,
          ],
        );
        // usernames are unique across the installation (the login names no municipality)
        if (!rows[0]) throw new AppError('conflict', `the username "${body.username}" is taken`);
        const target = (await loadUser(c, rows[0].id))!;
        await audit.appendIn(c, [
          {
            ...entry(user, target, body.reason),
            action: 'user_created',
            payload: { username: body.username, role: body.role },
          },
        ]);
        return target;
      });
      return { user: adminView(created), setupCode: code, setupCodeExpiresAt: expiresAt.getTime() };
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/role',
      access: ['admin'],
      summary: "Changes a user's role (ends their sessions; never the last enabled admin's)",
      params: userParams,
      body: ChangeRoleRequest,
      response: UserResponse,
    },
    async ({ req, user, params: { id }, body }) =>
      changeUser<UserResponse>({ user, req }, id, 'ended_by_admin', async (c, target) => {
        if (target.role === body.role) return { result: { user: adminView(target), changed: false } };
        if (body.role !== 'admin') await refuseLastAdmin(c, target, 'demote');
        await c.query('UPDATE users SET role = $2 WHERE id = $1', [id, body.role]);
        // the new role applies to every page and socket from the next sign-in on
        const endedSessions = await deleteSessions(c, id);
        await audit.appendIn(c, [
          {
            ...entry(user, target, body.reason),
            action: 'role_changed',
            payload: { username: target.username, old: target.role, new: body.role },
          },
        ]);
        return { result: { user: adminView((await loadUser(c, id))!), changed: true }, endedSessions };
      }),
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/disable',
      access: ['admin'],
      summary: 'Disables a user: their sessions, sockets and video end at once',
      params: userParams,
      body: UserChangeRequest,
      response: UserResponse,
    },
    async ({ req, user, params: { id }, body }) =>
      changeUser<UserResponse>({ user, req }, id, 'user_disabled', async (c, target) => {
        if (target.disabledAt !== null) return { result: { user: adminView(target), changed: false } };
        await refuseLastAdmin(c, target, 'disable');
        await c.query('UPDATE users SET disabled_at = now() WHERE id = $1', [id]);
        const endedSessions = await deleteSessions(c, id);
        await audit.appendIn(c, [
          {
            ...entry(user, target, body.reason),
            action: 'user_disabled',
            payload: { username: target.username, sessionsEnded: endedSessions.length },
          },
        ]);
        return { result: { user: adminView((await loadUser(c, id))!), changed: true }, endedSessions };
      }),
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/enable',
      access: ['admin'],
      summary: 'Enables a disabled user again',
      params: userParams,
      body: UserChangeRequest,
      response: UserResponse,
    },
    async ({ req, user, params: { id }, body }) =>
      changeUser<UserResponse>({ user, req }, id, 'ended_by_admin', async (c, target) => {
        if (target.disabledAt === null) return { result: { user: adminView(target), changed: false } };
        await c.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [id]);
        await audit.appendIn(c, [
          {
            ...entry(user, target, body.reason),
            action: 'user_enabled',
            payload: { username: target.username },
          },
        ]);
        return { result: { user: adminView((await loadUser(c, id))!), changed: true } };
      }),
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/password-reset',
      access: ['admin'],
      summary:
        'Resets a password: the old one stops working, sessions end, a one-time code (valid 30 min) is in this answer only',
      params: userParams,
      body: UserChangeRequest,
      response: SetupCodeResponse,
    },
    async ({ req, user, params: { id }, body }) =>
      changeUser({ user, req }, id, 'ended_by_admin', async (c, target) => {
        const code = newSetupCode();
        const expiresAt = new Date(Date.now() + RESET_CODE_TTL_MS);
        await c.query(
          `UPDATE users SET password_hash = NULL, must_change_password = true, setup_code_hash = $2,
                  setup_code_expires_at = $3 WHERE id = $1`,
          [id, setupCodeHash(code), expiresAt],
        );
        const endedSessions = await deleteSessions(c, id);
        await audit.appendIn(c, [
          {
            ...entry(user, target, body.reason),
            action: 'password_reset',
            payload: { username: target.username, sessionsEnded: endedSessions.length },
          },
        ]);
        const result = {
          user: adminView((await loadUser(c, id))!),
          setupCode: code,
          setupCodeExpiresAt: expiresAt.getTime(),
        };
        return { result, endedSessions };
      }),
  );

  route(
    {
      method: 'GET',
      url: '/api/admin/users/:id/sessions',
      access: ['admin'],
      summary: "A user's sessions that have not expired (references, never tokens)",
      params: userParams,
      response: UserSessionsResponse,
    },
    async ({ req, user, params: { id } }) => {
      const found = await loadUser(pool, id);
      if (!found) throw new AppError('not_found', 'user not found');
      sameTenant(user, found.tenantId, 'user', id, req);
      const rows = await db.prisma.session.findMany({
        where: { userId: id, expiresAt: { gt: new Date() } },
        orderBy: { createdAt: 'desc' },
      });
      return {
        sessions: rows.map((s) => ({
          ref: sessionRefOf(s.tokenHash),
          createdAt: s.createdAt.getTime(),
          expiresAt: s.expiresAt.getTime(),
          ip: s.ip,
          userAgent: s.userAgent,
          current: s.tokenHash === user.sessionHash,
        })),
      };
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/sessions/end',
      access: ['admin'],
      summary: "Ends one of a user's sessions (sessionRef) or all of them, everywhere at once",
      params: userParams,
      body: EndSessionsRequest,
      response: EndSessionsResponse,
    },
    async ({ req, user, params: { id }, body }) =>
      changeUser({ user, req }, id, 'ended_by_admin', async (c, target) => {
        let hash: string | undefined;
        if (body.sessionRef) {
          const { rows } = await c.query<{ token_hash: string }>(
            'SELECT token_hash FROM sessions WHERE user_id = $1',
            [id],
          );
          hash = rows.find((r) => sessionRefOf(r.token_hash) === body.sessionRef)?.token_hash;
          if (!hash) throw new AppError('not_found', 'session not found');
        }
        const endedSessions = await deleteSessions(c, id, hash);
        if (endedSessions.length > 0)
          await audit.appendIn(c, [
            {
              ...entry(user, target, body.reason),
              action: 'sessions_ended',
              payload: {
                username: target.username,
                sessions: endedSessions.map((h) => sessionRefOf(h)),
              },
            },
          ]);
        return { result: { ended: endedSessions.length }, endedSessions };
      }),
  );
}
