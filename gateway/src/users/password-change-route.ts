/**
 * `POST /api/auth/password`: a user sets their own password (issue 15) — at first login or after a
 * reset with the one-time setup code, or at any time with the current password. It is a login as
 * well: throttled and audited like one, and on success it signs in. The new password must meet
 * the policy (password-policy.ts); the code is used up, the user's other sessions end, and the
 * change is an audit entry (`password_changed`) committed with it. What follows is what follows a
 * login's password: a session, or a ticket for the second factor (its enrolment) when one applies.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, hashPassword, withTransaction } from '@lagebild/db';
import { ChangePasswordRequest, LoginResponse } from '@lagebild/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { AppError } from '../errors.ts';
import type { Route } from '../http/route.ts';
import type { SessionEndReason } from '../http/session.ts';
import type { Logger } from '../logger.ts';
import { checkCredentials } from './credentials.ts';
import { checkPassword, refusalIssue } from './password-policy.ts';
import { deleteSessions } from './user-queries.ts';

export interface PasswordChangeDeps {
  route: Route;
  db: Db;
  audit: AuditLog;
  log: Logger;
  throttle: LoginThrottle;
  /** the throttle's ticket for one more attempt, or a 429 */
  admit(username: string, req: FastifyRequest, reply: FastifyReply): Promise<string>;
  /** counts and audits a failed login, then throws the 401 */
  refuse(username: string, user: { tenantId: string; username: string } | null, ip: string): Promise<never>;
  /** what follows a right password: a session, or a ticket for the second factor (auth-routes.ts) */
  signIn(
    req: FastifyRequest,
    reply: FastifyReply,
    user: { id: string; tenantId: string; username: string; role: string; totpSecret: string | null },
  ): Promise<LoginResponse>;
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
}

export function registerPasswordChange(deps: PasswordChangeDeps): void {
  const { route, db, audit, log, throttle } = deps;
  const spec = {
    method: 'POST',
    url: '/api/auth/password',
    access: 'public',
    summary:
      'Sets one’s own password with the setup code or the current password, and signs in or asks for the second factor (throttled like a login)',
    body: ChangePasswordRequest,
    response: LoginResponse,
  } as const;
  route(spec, async ({ req, reply, body: { username, password, newPassword } }) => {
    const ticket = await deps.admit(username, req, reply);
    const check = await checkCredentials(db, username, password);
    if (!check.ok) return deps.refuse(username, check.user, req.ip);
    await throttle
      .succeeded(username, req.ip, ticket)
      .catch((err: unknown) => log.error({ err }, 'login throttle not reset'));
    const { user, via } = check;
    const verdict = await checkPassword(newPassword, user.username, [user.displayName]);
    if (!verdict.ok)
      throw new AppError(
        'bad_request',
        'the new password does not meet the password policy',
        verdict.refusals.map(refusalIssue),
      );
    if (newPassword === password)
      throw new AppError('bad_request', 'the new password must differ from the current one', [
        'newPassword: must differ from the current password',
      ]);
    const passwordHash = await hashPassword(newPassword);
    const ended = await withTransaction(db.pool, async (c) => {
      // only if nothing changed since the check: a code is used once, also by two requests at once
      const { rowCount } = await c.query(
        `UPDATE users SET password_hash = $2, must_change_password = false, setup_code_hash = NULL,
                setup_code_expires_at = NULL
          WHERE id = $1 AND password_hash IS NOT DISTINCT FROM $3 AND setup_code_hash IS NOT DISTINCT FROM $4
            AND disabled_at IS NULL`,
        [user.id, passwordHash, user.passwordHash, user.setupCodeHash],
      );
      if (rowCount !== 1) throw new AppError('conflict', 'the password was changed meanwhile; sign in again');
      const sessions = await deleteSessions(c, user.id);
      await audit.appendIn(c, [
        {
          tenantId: user.tenantId,
          actor: user.username,
          action: 'password_changed',
          target: auditTarget('user', user.id),
          payload: { via, sessionsEnded: sessions.length },
        },
      ]);
      return sessions;
    });
    // a changed password leaves no other session open
    for (const hash of ended) deps.endSession(hash, user.tenantId, 'logout');
    return deps.signIn(req, reply, user);
  });
}
