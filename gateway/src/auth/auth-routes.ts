import { sha256Hex } from '@lagebild/db';
import { LoginRequest, LoginResponse, MeResponse } from '@lagebild/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Route } from '../http/route.ts';
import type { ServiceDeps } from '../http/route-deps.ts';
import {
  createSession,
  resolveSession,
  SESSION_COOKIE,
  type SessionEndReason,
  type SessionUser,
  setSessionCookie,
} from '../http/session.ts';
import type { TenantCheck } from '../http/tenant-guard.ts';
import { checkCredentials } from '../users/credentials.ts';
import { registerPasswordChange } from '../users/password-change-route.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { registerOidcRoutes } from './oidc-routes.ts';
import { registerSignInSettingsRoutes } from './sign-in-settings-routes.ts';
import { issueTicket } from './sign-in-ticket.ts';
import { registerTotpRoutes } from './totp-routes.ts';
import type { TotpSealer } from './totp-sealer.ts';
import { signInPolicy } from './totp-store.ts';

export interface AuthRouteDeps extends ServiceDeps {
  route: Route;
  sameTenant: TenantCheck;
  /** ends an operator session everywhere at once: its /control sockets and its SFU viewer sessions */
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
  /** seals TOTP secrets at rest (totp-sealer.ts) */
  totpSealer: TotpSealer;
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
  sameTenant,
  totpSealer,
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

  /** the throttle's verdict on one more attempt for `username` from the request's address */
  async function admit(username: string, req: FastifyRequest, reply: FastifyReply): Promise<string> {
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
    return gate.ticket;
  }

  /** counts, logs and audits a failed login, then throws the one answer every failure gets */
  async function refuse(
    username: string,
    user: { tenantId: string; username: string } | null,
    ip: string,
  ): Promise<never> {
    metrics.loginFailed++;
    log.warn({ audit: 'login_failed', username: username.slice(0, 100), ip }, 'login failed');
    if (user)
      await audit.append({
        tenantId: user.tenantId,
        actor: user.username,
        action: 'login_failed',
        payload: { ip },
      });
    else
      await throttle
        .unknownUser(ip)
        .catch((err: unknown) => log.error({ err, ip }, 'unknown-username failure not counted'));
    throw new AppError('unauthenticated', 'wrong username or password');
  }

  /**
   * a new session for `user`: cookie set, sign-in audited; answers what /api/me answers. `amr`
   * records how it was opened (pwd, otp = second factor passed, oidc).
   */
  async function signIn(
    req: FastifyRequest,
    reply: FastifyReply,
    user: { id: string; tenantId: string; username: string; role: string },
    amr: string[] = ['pwd'],
    /** told the new session's hash (the OpenID sign-in keeps the ID token for the logout under it) */
    onSession?: (sessionHash: string, expiresAt: Date) => Promise<void>,
  ): Promise<MeResponse> {
    const { token, expiresAt } = await createSession(db, user.id, user.tenantId, config.SESSION_TTL_HOURS, {
      ip: req.ip,
      userAgent: req.headers['user-agent'],
      amr,
    });
    setSessionCookie(reply, token, expiresAt, config.COOKIE_SECURE);
    await onSession?.(sha256Hex(token), expiresAt);
    log.info({ audit: 'login', userId: user.id, tenantId: user.tenantId, ip: req.ip }, 'login');
    await audit.append({
      tenantId: user.tenantId,
      actor: user.username,
      action: 'login',
      payload: { userId: user.id, role: user.role, ip: req.ip, amr },
    });
    return me((await resolveSession(db, token))!);
  }

  /**
   * The password (or setup code) was right: the tenant's sign-in policy decides what follows
   * (migration 0016). With local passwords switched off only admins sign in with one (break-glass);
   * a user with a second factor gets a ticket for the code, one whose role requires a second factor
   * and who has none gets a ticket for the enrolment; everyone else a session. The password change
   * ends the same way, so it is no way around the second factor.
   */
  async function afterPassword(
    req: FastifyRequest,
    reply: FastifyReply,
    user: { id: string; tenantId: string; username: string; role: string; totpSecret: string | null },
  ): Promise<LoginResponse> {
    const policy = await signInPolicy(db.pool, user.tenantId);
    if (!policy.passwordLogin && user.role !== 'admin')
      throw new AppError('forbidden', 'this municipality signs in through its identity provider only');
    if (user.totpSecret)
      return {
        secondFactorRequired: true,
        ticket: await issueTicket(redis, { userId: user.id, purpose: 'totp' }),
      };
    if (policy.totpRequiredRoles.includes(user.role))
      return {
        totpEnrolmentRequired: true,
        ticket: await issueTicket(redis, { userId: user.id, purpose: 'enrol' }),
      };
    return signIn(req, reply, user);
  }

  const login = {
    method: 'POST',
    url: '/api/auth/login',
    access: 'public',
    summary:
      'Sign in: sets the session cookie (failed logins are throttled); a new or reset user is told to set a password first',
    body: LoginRequest,
    response: LoginResponse,
  } as const;
  route(login, async ({ req, reply, body: { username, password } }) => {
    const ticket = await admit(username, req, reply);
    const check = await checkCredentials(db, username, password);
    if (!check.ok) return refuse(username, check.user, req.ip);
    // the secret was right: a Redis hiccup here only leaves the attempt counted as a failure
    await throttle
      .succeeded(username, req.ip, ticket)
      .catch((err: unknown) => log.error({ err }, 'login throttle not reset'));
    // a new or reset user gets no session until they have set their own password (issue 15)
    if (check.user.mustChangePassword) return { passwordChangeRequired: true as const };
    return afterPassword(req, reply, check.user);
  });

  registerPasswordChange({
    route,
    db,
    audit,
    log,
    admit,
    refuse,
    signIn: afterPassword,
    endSession,
    throttle,
  });
  registerTotpRoutes({
    route,
    db,
    redis,
    audit,
    log,
    throttle,
    sameTenant,
    admit,
    refuse,
    signIn,
    endSession,
    sealer: totpSealer,
  });
  registerOidcRoutes({ route, db, redis, config, audit, log, metrics, signIn, endSession });
  registerSignInSettingsRoutes({ route, db, audit });

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
