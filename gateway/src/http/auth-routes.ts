/** Login, logout and the current user. Failed logins are throttled per username across gateways. */
import { decoyPasswordHash, verifyPassword } from '@lagebild/db';
import { LoginRequest, type MeResponse } from '@lagebild/protocol';
import { AppError } from '../errors.ts';
import type { RouteDeps } from './route-deps.ts';
import {
  createSession,
  resolveSession,
  SESSION_COOKIE,
  type SessionUser,
  setSessionCookie,
} from './session.ts';
import { parseInput } from './validate.ts';

const MAX_FAILURES = 10;
const FAILURE_WINDOW_S = 15 * 60;

export function registerAuthRoutes({
  app,
  db,
  redis,
  config,
  guard,
  metrics,
  log,
  endSession,
  audit,
}: RouteDeps): void {
  const me = (user: SessionUser): MeResponse => {
    const { sessionHash: _s, ...u } = user;
    return { user: u, map: { tileUrl: config.TILE_URL || null, attribution: config.TILE_ATTRIBUTION } };
  };

  app.post('/api/auth/login', async (req, reply) => {
    const { username, password } = parseInput(LoginRequest, req.body);
    const failKey = `lb:login-fail:${username.toLowerCase()}`;
    if (Number(await redis.get(failKey)) >= MAX_FAILURES) {
      throw new AppError('rate_limited', 'too many failed logins for this user; wait 15 minutes');
    }
    const user = await db.prisma.user.findUnique({ where: { username } });
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !ok || user.disabledAt) {
      metrics.loginFailed++;
      await redis.multi().incr(failKey).expire(failKey, FAILURE_WINDOW_S).exec();
      log.warn({ audit: 'login_failed', username, ip: req.ip }, 'login failed');
      await audit.append({
        tenantId: user?.tenantId ?? null,
        actor: username.slice(0, 100),
        action: 'login_failed',
        payload: { ip: req.ip },
      });
      throw new AppError('unauthenticated', 'wrong username or password');
    }
    await redis.del(failKey);
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

  app.post('/api/auth/logout', async (req, reply) => {
    const user = await resolveSession(db, req.cookies[SESSION_COOKIE]);
    if (user) {
      await db.prisma.session.deleteMany({ where: { tokenHash: user.sessionHash } });
      endSession(user.sessionHash);
      log.info({ audit: 'logout', userId: user.id, tenantId: user.tenant.id }, 'logout');
      await audit.append({ tenantId: user.tenant.id, actor: user.username, action: 'logout' });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/api/me', async (req) => me(await guard(req)));
}
