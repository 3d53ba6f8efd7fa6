/**
 * Operator sessions: a random token in an HttpOnly, SameSite=strict cookie; the database keeps only
 * its SHA-256 with the expiry. Shared by the HTTP API and the `/control` socket handshake.
 */
import { type Db, newToken, sha256Hex } from '@lagebild/db';
import type { Role, User } from '@lagebild/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

export const SESSION_COOKIE = 'lb_session';

/** Why an operator session ended (the SFU's revocation message and the dashboard's `bye` carry it). */
export type SessionEndReason = 'logout' | 'expired' | 'user_disabled' | 'ended_by_admin';

export interface SessionUser extends User {
  sessionHash: string;
  /** a non-secret id of this session for other services (viewer tokens' `sid`, revocations) */
  sessionRef: string;
  /** epoch ms when the session expires: sockets and SFU viewer sessions end then at the latest */
  sessionExpiresAt: number;
}

/** The session's non-secret reference: a hash of its hash, so it never opens the session itself. */
export const sessionRefOf = (sessionHash: string): string => sha256Hex(`sid:${sessionHash}`).slice(0, 32);

export async function createSession(
  db: Db,
  userId: string,
  tenantId: string,
  ttlHours: number,
  meta: {
    ip: string;
    userAgent: string | undefined /** how it was opened: pwd, otp, oidc */;
    amr?: string[];
  },
): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken();
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await db.prisma.session.create({
    data: {
      tokenHash: sha256Hex(token),
      userId,
      tenantId,
      expiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      amr: meta.amr ?? ['pwd'],
    },
  });
  return { token, expiresAt };
}

export async function resolveSession(db: Db, token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const sessionHash = sha256Hex(token);
  const s = await db.prisma.session.findUnique({
    where: { tokenHash: sessionHash },
    include: { user: { include: { tenant: true } } },
  });
  if (!s || s.expiresAt.getTime() <= Date.now() || s.user.disabledAt) return null;
  const { user } = s;
  return {
    sessionHash,
    sessionRef: sessionRefOf(sessionHash),
    sessionExpiresAt: s.expiresAt.getTime(),
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    tenant: {
      id: user.tenant.id,
      slug: user.tenant.slug,
      name: user.tenant.name,
      center: { lat: user.tenant.centerLat, lng: user.tenant.centerLng },
      zoom: user.tenant.zoom,
    },
  };
}

/** Reads a cookie from a raw Cookie header (the socket handshake has no cookie parser). */
export function cookieFrom(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined; // malformed percent-encoding ("%"): no session, never a 500
      }
    }
  }
  return undefined;
}

export type Guard = (req: FastifyRequest, roles?: readonly Role[]) => Promise<SessionUser>;

export function sessionGuard(db: Db, onForbidden: (user: SessionUser, req: FastifyRequest) => void): Guard {
  return async (req, roles) => {
    const user = await resolveSession(db, req.cookies[SESSION_COOKIE]);
    if (!user) throw new AppError('unauthenticated', 'not logged in or session expired');
    if (roles && !roles.includes(user.role)) {
      onForbidden(user, req);
      throw new AppError('forbidden', `this needs one of the roles: ${roles.join(', ')}`);
    }
    return user;
  };
}

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    expires: expiresAt,
  });
}
