/** Login, logout and the current user. Failed logins are throttled across gateways (login-throttle.ts). */
import { type Db, decoyPasswordHash, verifyPassword } from '@lagebild/db';
import { LoginRequest, MeResponse } from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Route } from '../http/route.ts';
import {
  createSession,
  resolveSession,
  SESSION_COOKIE,
  type SessionEndReason,
  type SessionUser,
  setSessionCookie,
} from '../http/session.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createLoginThrottle } from './login-throttle.ts';

export interface AuthRouteDeps {
  route: Route;
  db: Db;
  redis: Redis;
  config: GatewayConfig;
  audit: AuditLog;
  metrics: Metrics;
  log: Logger;
  /** ends an operator session everywhere at once: its /control sockets and its SFU viewer sessions */
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
}

export function registerAuthRoutes({
  route,
  db,
  redis,
  config,
  metrics,
  log,
  endSession,
  audit,
}: AuthRouteDeps): void {
  const throttle = createLoginThrottle({
    redis,
    audit,
    log,
    unknownWindowMs: config.LOGIN_UNKNOWN_WINDOW_S * 1000,
  });
  const me = (user: SessionUser): MeResponse => {
    const { sessionHash: _s, sessionRef: _r, sessionExpiresAt: _e, ...u } = user;
    return { user: u, map: { tileUrl: config.TILE_URL || null, attribution: config.TILE_ATTRIBUTION } };
  };

  const login = {
    method: 'POST',
    url: '/api/auth/login',
    access: 'public',
    summary: 'Sign in: sets the session cookie (failed logins are throttled)',
    body: LoginRequest,
    response: MeResponse,
  } as const;
  route(login, async ({ req, reply, body: { username, password } }) => {
    // without Redis nobody can be throttled, so nobody logs in (fail closed, with a clear answer)
    const gate = await throttle.attempt(username, req.ip).catch((err: unknown) => {
      log.error({ err }, 'login throttle unavailable');
      throw new AppError('unavailable', 'login is unavailable right now; try again shortly');
    });
    if (!gate.allowed) {
      metrics.loginFailed++;
      log.warn(
        { username: username.slice(0, 100), ip: req.ip, retryAfterS: gate.retryAfterS },
        'login throttled',
      );
      reply.header('retry-after', String(gate.retryAfterS));
      throw new AppError('rate_limited', `too many failed logins; try again in ${gate.retryAfterS} s`);
    }
    const user = await db.prisma.user.findUnique({ where: { username } });
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !ok || user.disabledAt) {
      metrics.loginFailed++;
      log.warn({ audit: 'login_failed', username: username.slice(0, 100), ip: req.ip }, 'login failed');
      if (user)
        await audit.append({
          tenantId: user.tenantId,
          actor: user.username,
          action: 'login_failed',
          payload: { ip: req.ip },
        });
      else
        await throttle
          .unknownUser(req.ip)
          .catch((err: unknown) => log.error({ err, ip: req.ip }, 'unknown-username failure not counted'));
      throw new AppError('unauthenticated', 'wrong username or password');
    }
    // the password was right: a Redis hiccup here only leaves the attempt counted as a failure
    await throttle
      .succeeded(username, req.ip, gate.ticket)
      .catch((err: unknown) => log.error({ err }, 'login throttle not reset'));
    const { token, expiresAt } = await createSession(db, user.id, user.tenantId, config.SESSION_TTL_HOURS, {
      ip: req.ip,
      userAgent: req.headers['user-agent'],
    });
    setSessionCookie(reply, token, expiresAt, config.COOKIE_SECURE);
    log.info({ audit: 'login', userId: user.id, tenantId: user.tenantId, ip: req.ip }, 'login');
    await audit.append({
      tenantId: user.tenantId,
      actor: user.username,
      action: 'login',
      payload: { userId: user.id, role: user.role, ip: req.ip },
    });
    return me((await resolveSession(db, token))!);
  });

  const logout = {
    method: 'POST',
    url: '/api/auth/logout',
    access: 'public',
    summary: 'Sign out: ends the session everywhere (answers 204 with or without a session)',
    status: 204,
  } as const;
  route(logout, async ({ req, reply }) => {
    const user = await resolveSession(db, req.cookies[SESSION_COOKIE]);
    if (user) {
      await db.prisma.session.deleteMany({ where: { tokenHash: user.sessionHash } });
      endSession(user.sessionHash, user.tenant.id, 'logout');
      log.info({ audit: 'logout', userId: user.id, tenantId: user.tenant.id }, 'logout');
      await audit.append({ tenantId: user.tenant.id, actor: user.username, action: 'logout' });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  route(
    {
      method: 'GET',
      url: '/api/me',
      access: 'session',
      summary: 'The signed-in user and the map settings',
      response: MeResponse,
    },
    async ({ user }) => me(user),
  );
}
