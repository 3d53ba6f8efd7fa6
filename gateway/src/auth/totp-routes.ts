/**
 * The second factor's routes (issue 15). At login: `POST /api/auth/totp` takes the login's ticket
 * and a code and signs in (throttled and audited like the password step); a user whose tenant
 * requires a second factor for their role and who has none enrols with the ticket first
 * (`/api/auth/totp/enrol`, `/api/auth/totp/confirm`, which then signs in). A signed-in user can
 * enrol on their own (`/api/me/totp/…`). An admin removes a user's second factor with a reason
 * (`POST /api/admin/users/:id/totp-reset`); the user's sessions end and they enrol again.
 * The secret is answered once, at enrolment, and to nobody else ever.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  MeResponse,
  TotpConfirmRequest,
  TotpEnrolResponse,
  TotpLoginRequest,
  TotpResetRequest,
  TotpStatusResponse,
  UserResponse,
} from '@lagebild/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { type AuditLog, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import { idParams, type Route } from '../http/route.ts';
import type { SessionEndReason } from '../http/session.ts';
import type { TenantCheck } from '../http/tenant-guard.ts';
import type { Logger } from '../logger.ts';
import { adminView, deleteSessions, loadUser } from '../users/user-queries.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { readTicket, spendTicket, type TicketPurpose } from './sign-in-ticket.ts';
import { newTotpSecret, totpUri } from './totp.ts';
import type { TotpSealer } from './totp-sealer.ts';
import {
  clearTotp,
  confirmPendingSecret,
  loadTotpState,
  signInPolicy,
  storePendingSecret,
  type TotpState,
  useTotpCode,
} from './totp-store.ts';

type SignInUser = { id: string; tenantId: string; username: string; role: string };

export interface TotpRouteDeps {
  route: Route;
  db: Db;
  redis: Redis;
  audit: AuditLog;
  log: Logger;
  throttle: LoginThrottle;
  sameTenant: TenantCheck;
  /** seals the secrets at rest (totp-sealer.ts) */
  sealer: TotpSealer;
  admit(username: string, req: FastifyRequest, reply: FastifyReply): Promise<string>;
  refuse(username: string, user: { tenantId: string; username: string } | null, ip: string): Promise<never>;
  signIn(req: FastifyRequest, reply: FastifyReply, user: SignInUser, amr: string[]): Promise<MeResponse>;
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
}

/**
 * Codes are throttled on a counter of their own: a right password resets the password's counter,
 * so sharing it would give whoever knows the password unlimited guesses at the code.
 */
const throttleName = (s: { username: string }) => `${s.username}#totp`;

const EMPTY = TotpConfirmRequest.pick({ ticket: true });

export function registerTotpRoutes(deps: TotpRouteDeps): void {
  const { route, db, redis, audit, log, throttle } = deps;
  const pool = db.pool;

  /** the ticket's user, if the ticket is valid and meant for `purpose` */
  async function ticketUser(ticket: string | undefined, purpose: TicketPurpose): Promise<TotpState> {
    const t = ticket ? await readTicket(redis, ticket) : null;
    const s = t && t.purpose === purpose ? await loadTotpState(pool, t.userId, deps.sealer) : null;
    if (!s || s.disabled) throw new AppError('unauthenticated', 'the sign-in has expired; sign in again');
    return s;
  }

  async function enrol(s: TotpState): Promise<TotpEnrolResponse> {
    if (s.stored.secret)
      throw new AppError('conflict', 'a second factor is already set up; an admin can reset it');
    const secret = newTotpSecret();
    if (!(await storePendingSecret(pool, s, secret, deps.sealer)))
      throw new AppError('conflict', 'a second factor is already set up; an admin can reset it');
    const { tenantName } = await signInPolicy(pool, s.tenantId);
    return { secret, uri: totpUri(secret, s.username, tenantName) };
  }

  /** the pending secret becomes the user's if `code` matches, committed with its audit entry */
  async function confirm(s: TotpState, code: string, req: FastifyRequest, reply: FastifyReply) {
    const gate = await deps.admit(throttleName(s), req, reply);
    const ok = await withTransaction(pool, async (c) => {
      if (!(await confirmPendingSecret(c, s, code))) return false;
      await audit.appendIn(c, [
        {
          tenantId: s.tenantId,
          actor: s.username,
          action: 'totp_enabled',
          target: auditTarget('user', s.id),
        },
      ]);
      return true;
    });
    if (!ok) await deps.refuse(s.username, s, req.ip);
    await throttle
      .succeeded(throttleName(s), req.ip, gate)
      .catch((err: unknown) => log.error({ err }, 'login throttle not reset'));
  }

  route(
    {
      method: 'POST',
      url: '/api/auth/totp',
      access: 'public',
      summary: 'Second step of a login: the ticket and a code from the authenticator app; signs in',
      body: TotpLoginRequest,
      response: MeResponse,
    },
    async ({ req, reply, body: { ticket, code } }) => {
      const s = await ticketUser(ticket, 'totp');
      const gate = await deps.admit(throttleName(s), req, reply);
      // a right code is used once: the same code again (replay) is a failure like a wrong one
      if (!(await useTotpCode(pool, s, code))) return deps.refuse(s.username, s, req.ip);
      await throttle
        .succeeded(throttleName(s), req.ip, gate)
        .catch((err: unknown) => log.error({ err }, 'login throttle not reset'));
      if (!(await spendTicket(redis, ticket)))
        throw new AppError('unauthenticated', 'the sign-in has expired; sign in again');
      return deps.signIn(req, reply, s, ['pwd', 'otp']);
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/auth/totp/enrol',
      access: 'public',
      summary:
        'Enrolment at login (the tenant requires a second factor): the secret, shown once, as text and otpauth:// URI',
      body: EMPTY.required(),
      response: TotpEnrolResponse,
    },
    async ({ body }) => enrol(await ticketUser(body.ticket, 'enrol')),
  );

  route(
    {
      method: 'POST',
      url: '/api/auth/totp/confirm',
      access: 'public',
      summary: 'Confirms the enrolment at login with a first code, and signs in',
      body: TotpConfirmRequest.required(),
      response: MeResponse,
    },
    async ({ req, reply, body: { ticket, code } }) => {
      const s = await ticketUser(ticket, 'enrol');
      await confirm(s, code, req, reply);
      if (!(await spendTicket(redis, ticket)))
        throw new AppError('unauthenticated', 'the sign-in has expired; sign in again');
      return deps.signIn(req, reply, s, ['pwd', 'otp']);
    },
  );

  route(
    {
      method: 'GET',
      url: '/api/me/totp',
      access: 'session',
      summary: 'Whether one’s second factor is set up and whether the tenant requires it',
      response: TotpStatusResponse,
    },
    async ({ user }) => {
      const s = await loadTotpState(pool, user.id, deps.sealer);
      const policy = await signInPolicy(pool, user.tenant.id);
      return { enabled: !!s?.stored.secret, required: policy.totpRequiredRoles.includes(user.role) };
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/me/totp/enrol',
      access: 'session',
      summary: 'Starts setting up one’s second factor: the secret, shown once, as text and otpauth:// URI',
      response: TotpEnrolResponse,
    },
    async ({ user }) => enrol((await loadTotpState(pool, user.id, deps.sealer))!),
  );

  route(
    {
      method: 'POST',
      url: '/api/me/totp/confirm',
      access: 'session',
      summary: 'Confirms one’s second factor with a first code',
      body: TotpConfirmRequest.omit({ ticket: true }),
      response: TotpStatusResponse,
    },
    async ({ req, reply, user, body: { code } }) => {
      await confirm((await loadTotpState(pool, user.id, deps.sealer))!, code, req, reply);
      const policy = await signInPolicy(pool, user.tenant.id);
      return { enabled: true, required: policy.totpRequiredRoles.includes(user.role) };
    },
  );

  const userParams = idParams('user');
  route(
    {
      method: 'POST',
      url: '/api/admin/users/:id/totp-reset',
      access: ['admin'],
      summary: 'Removes a user’s second factor (lost phone); their sessions end, they enrol again',
      params: userParams,
      body: TotpResetRequest,
      response: UserResponse,
    },
    async ({ req, user, params: { id }, body: { reason } }) => {
      const found = await loadUser(pool, id);
      if (!found) throw new AppError('not_found', 'user not found');
      deps.sameTenant(user, found.tenantId, 'user', id, req);
      const { changed, ended } = await withTransaction(pool, async (c) => {
        if (!(await clearTotp(c, id))) return { changed: false, ended: [] as string[] };
        const sessions = await deleteSessions(c, id);
        await audit.appendIn(c, [
          {
            tenantId: user.tenant.id,
            actor: actorOf(user),
            target: auditTarget('user', id),
            reason,
            action: 'totp_reset',
            payload: { sessionsEnded: sessions.length },
          },
        ]);
        return { changed: true, ended: sessions };
      });
      for (const hash of ended) deps.endSession(hash, found.tenantId, 'ended_by_admin');
      return { user: adminView((await loadUser(pool, id))!), changed };
    },
  );
}
