/**
 * Sign-in through the municipality's identity provider (issue 15): OpenID Connect authorization
 * code flow with PKCE, `state` and `nonce`, through `openid-client`.
 *
 * `GET /api/auth/oidc/:tenant/start` keeps the verifier and nonce in Redis under the state (ten
 * minutes) and the state in a cookie bound to this browser, then redirects to the provider.
 * `GET /api/auth/oidc/callback` checks that the state comes back to the browser that started it,
 * exchanges the code (openid-client checks state, PKCE, the ID token's signature, issuer, audience,
 * expiry and nonce), maps the groups claim to a role, creates or updates the user (linked by issuer
 * and subject) and signs in. A refusal is audited (`oidc_login_refused`) and sent back to the login
 * page with a code it words in German and English; what failed stays in the log and the audit entry.
 * `POST /api/auth/oidc/logout` ends the session and answers the provider's end-session URL
 * (RP-initiated logout) when it offers one.
 */
import { auditTarget } from '@lagebild/audit';
import { type Db, withTransaction } from '@lagebild/db';
import {
  OidcLogoutResponse,
  OidcProvidersResponse,
  type OidcRefusal,
  OidcStartParams,
  type Role,
} from '@lagebild/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.ts';
import type { GatewayConfig } from '../config.ts';
import type { Route } from '../http/route.ts';
import { resolveSession, SESSION_COOKIE, type SessionEndReason } from '../http/session.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { groupsOf, mapRole, type OidcProviderRow, providerConfig, usernameFor } from './oidc-client.ts';

const STATE_COOKIE = 'lb_oidc';
const STATE_TTL_S = 600;
const stateKey = (state: string) => `lb:oidc:state:${state}`;
const idTokenKey = (sessionHash: string) => `lb:oidc:idt:${sessionHash}`;

export interface OidcRouteDeps {
  route: Route;
  db: Db;
  redis: Redis;
  config: GatewayConfig;
  audit: AuditLog;
  log: Logger;
  metrics: Metrics;
  signIn(
    req: FastifyRequest,
    reply: FastifyReply,
    user: { id: string; tenantId: string; username: string; role: string },
    amr: string[],
    onSession?: (sessionHash: string, expiresAt: Date) => Promise<void>,
  ): Promise<unknown>;
  endSession(sessionHash: string, tenantId: string, reason: SessionEndReason): void;
}

interface FlowState {
  tenantId: string;
  verifier: string;
  nonce: string;
}

class Refused extends Error {
  readonly code: OidcRefusal;
  readonly detail: Record<string, unknown>;
  constructor(code: OidcRefusal, detail: Record<string, unknown>) {
    super(code);
    this.code = code;
    this.detail = detail;
  }
}

export async function loadProvider(db: Db, where: { tenantId?: string; slug?: string }) {
  const { rows } = await db.pool.query<{
    tenant_id: string;
    slug: string;
    display_name: string;
    issuer: string;
    client_id: string;
    client_secret_file: string;
    groups_claim: string;
    role_map: Record<string, Role>;
    enabled: boolean;
  }>(
    `SELECT p.*, t.slug FROM oidc_providers p JOIN tenants t ON t.id = p.tenant_id
      WHERE ($1::uuid IS NULL OR t.id = $1) AND ($2::text IS NULL OR t.slug = $2)`,
    [where.tenantId ?? null, where.slug ?? null],
  );
  const r = rows[0];
  if (!r) return null;
  const row: OidcProviderRow & { slug: string } = {
    tenantId: r.tenant_id,
    slug: r.slug,
    displayName: r.display_name,
    issuer: r.issuer,
    clientId: r.client_id,
    clientSecretFile: r.client_secret_file,
    groupsClaim: r.groups_claim,
    roleMap: r.role_map,
    enabled: r.enabled,
  };
  return row;
}

export function registerOidcRoutes(deps: OidcRouteDeps): void {
  const { route, db, redis, config, audit, log } = deps;
  const origin = (req: FastifyRequest) => config.PUBLIC_ORIGIN[0] ?? `${req.protocol}://${req.host}`;
  const callbackUrl = (req: FastifyRequest) => `${origin(req)}/api/auth/oidc/callback`;
  const secure = config.COOKIE_SECURE;

  route(
    {
      method: 'GET',
      url: '/api/auth/oidc/providers',
      access: 'public',
      summary: 'The login page’s “Anmelden mit …” buttons: every tenant with an enabled identity provider',
      response: OidcProvidersResponse,
    },
    async () => {
      const { rows } = await db.pool.query<{ slug: string; name: string; display_name: string }>(
        `SELECT t.slug, t.name, p.display_name FROM oidc_providers p JOIN tenants t ON t.id = p.tenant_id
          WHERE p.enabled ORDER BY t.name`,
      );
      return {
        providers: rows.map((r) => ({ tenant: r.slug, tenantName: r.name, displayName: r.display_name })),
      };
    },
  );

  route(
    {
      method: 'GET',
      url: '/api/auth/oidc/:tenant/start',
      access: 'public',
      summary: 'Starts a sign-in through the tenant’s identity provider (redirects there)',
      params: OidcStartParams,
      status: 302,
    },
    async ({ req, reply, params }) => {
      const p = await loadProvider(db, { slug: params.tenant });
      // no provider for this tenant (or no such tenant): 404, with a page on to the login's message
      if (!p?.enabled) return reply.code(404).type('text/html').send(moveOn('/login?error=oidc_disabled'));
      let provider: oidc.Configuration;
      try {
        provider = await providerConfig(p);
      } catch (err) {
        log.error({ err, tenantId: p.tenantId, issuer: p.issuer }, 'identity provider unreachable');
        return reply.code(503).type('text/html').send(moveOn('/login?error=oidc_failed'));
      }
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const flow: FlowState = { tenantId: p.tenantId, verifier, nonce };
      await redis.set(stateKey(state), JSON.stringify(flow), 'EX', STATE_TTL_S);
      const scopes = ['openid', 'profile', 'email'];
      const supported = provider.serverMetadata().scopes_supported ?? [];
      if (supported.includes(p.groupsClaim)) scopes.push(p.groupsClaim);
      const url = oidc.buildAuthorizationUrl(provider, {
        redirect_uri: callbackUrl(req),
        scope: scopes.join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      // lax: the provider's redirect back is a cross-site top-level navigation
      reply.setCookie(STATE_COOKIE, state, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: '/api/auth/oidc',
        maxAge: STATE_TTL_S,
      });
      return reply.redirect(url.href, 302);
    },
  );

  /** the user linked to issuer + subject, created or updated to the mapped role, in one transaction */
  async function upsertUser(
    p: OidcProviderRow & { slug: string },
    claims: Record<string, unknown>,
    role: Role,
  ) {
    const sub = String(claims.sub);
    const displayName = String(claims.name ?? claims.preferred_username ?? sub).slice(0, 100);
    const email = typeof claims.email === 'string' ? claims.email.slice(0, 254) : null;
    return withTransaction(db.pool, async (c) => {
      const { rows } = await c.query<{
        id: string;
        tenant_id: string;
        username: string;
        role: Role;
        disabled_at: Date | null;
      }>(
        `SELECT id, tenant_id, username, role, disabled_at FROM users
          WHERE oidc_issuer = $1 AND oidc_subject = $2 FOR UPDATE`,
        [p.issuer, sub],
      );
      const found = rows[0];
      if (found) {
        if (found.tenant_id !== p.tenantId || found.disabled_at)
          throw new Refused('oidc_user_disabled', { userId: found.id });
        await c.query('UPDATE users SET role = $2, display_name = $3, email = $4 WHERE id = $1', [
          found.id,
          role,
          displayName,
          email,
        ]);
        if (found.role !== role)
          await audit.appendIn(c, [
            {
              tenantId: p.tenantId,
              actor: null,
              action: 'role_changed',
              target: auditTarget('user', found.id),
              reason: 'identity provider groups',
              payload: { from: found.role, to: role, via: 'oidc' },
            },
          ]);
        return { id: found.id, tenantId: p.tenantId, username: found.username, role };
      }
      let username = usernameFor(claims, p.slug);
      const taken = await c.query('SELECT 1 FROM users WHERE username = $1', [username]);
      if (taken.rowCount)
        username = `${username.split('@')[0]!.slice(0, 30)}-${sub.slice(-6)}@${p.slug}`.toLowerCase();
      const ins = await c.query<{ id: string }>(
        `INSERT INTO users (tenant_id, username, display_name, email, role, password_hash, oidc_issuer, oidc_subject)
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) RETURNING id`,
        [p.tenantId, username, displayName, email, role, p.issuer, sub],
      );
      const id = ins.rows[0]!.id;
      await audit.appendIn(c, [
        {
          tenantId: p.tenantId,
          actor: null,
          action: 'user_created',
          target: auditTarget('user', id),
          reason: 'first sign-in through the identity provider',
          payload: { username, role, via: 'oidc' },
        },
      ]);
      return { id, tenantId: p.tenantId, username, role };
    });
  }

  route(
    {
      method: 'GET',
      url: '/api/auth/oidc/callback',
      access: 'public',
      summary:
        'The identity provider’s redirect back: checks the answer, creates or updates the user, signs in',
      query: z.record(z.string(), z.string()),
      produces: 'text/html',
    },
    async ({ req, reply }) => {
      const cookieState = req.cookies[STATE_COOKIE];
      reply.clearCookie(STATE_COOKIE, { path: '/api/auth/oidc' });
      const raw = cookieState ? await redis.getdel(stateKey(cookieState)) : null;
      const flow = raw ? (JSON.parse(raw) as FlowState) : null;
      const tenantId: string | null = flow?.tenantId ?? null;
      try {
        if (!flow || !cookieState)
          throw new Refused('oidc_failed', { why: 'no sign-in started in this browser' });
        const p = await loadProvider(db, { tenantId: flow.tenantId });
        if (!p?.enabled) throw new Refused('oidc_disabled', {});
        const provider = await providerConfig(p);
        const current = new URL(req.url, callbackUrl(req));
        let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
        try {
          tokens = await oidc.authorizationCodeGrant(provider, current, {
            pkceCodeVerifier: flow.verifier,
            expectedState: cookieState,
            expectedNonce: flow.nonce,
            idTokenExpected: true,
          });
        } catch (err) {
          const e = err as { code?: string; message?: string };
          throw new Refused('oidc_failed', { why: e.message?.slice(0, 300), error: e.code });
        }
        let claims = tokens.claims() as Record<string, unknown>;
        if ((!(p.groupsClaim in claims) || !('name' in claims)) && tokens.access_token) {
          // many providers put groups and names only into the userinfo answer (the ID token's win)
          const info = await oidc
            .fetchUserInfo(provider, tokens.access_token, String(claims.sub))
            .catch((err: unknown) => {
              log.warn({ err, tenantId: p.tenantId }, 'oidc userinfo failed');
              return {};
            });
          claims = { ...info, ...claims };
        }
        const groups = groupsOf(claims, p.groupsClaim);
        const role = mapRole(groups, p.roleMap);
        if (!role) throw new Refused('oidc_no_role', { sub: claims.sub, groups: groups.slice(0, 20) });
        const user = await upsertUser(p, claims, role);
        const idToken = tokens.id_token;
        await deps.signIn(req, reply, user, ['oidc'], async (hash, expiresAt) => {
          if (idToken)
            await redis.set(idTokenKey(hash), idToken, 'PX', Math.max(1, expiresAt.getTime() - Date.now()));
        });
        // a page of our own moves on, so the next request is same-site and carries the strict cookie
        return reply.type('text/html').send(moveOn('/'));
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        deps.metrics.loginFailed++;
        log.warn(
          { audit: 'oidc_login_refused', code: err.code, tenantId, ...err.detail },
          'oidc sign-in refused',
        );
        await audit.append({
          tenantId,
          actor: null,
          action: 'oidc_login_refused',
          payload: { code: err.code, ip: req.ip, ...err.detail },
        });
        // a refused answer is a bad request; the page still takes the browser to the login's message
        return reply
          .code(400)
          .type('text/html')
          .send(moveOn(`/login?error=${err.code}`));
      }
    },
  );

  route(
    {
      method: 'POST',
      url: '/api/auth/oidc/logout',
      access: 'public',
      summary:
        'Sign out of Lagebild and answer the identity provider’s end-session URL (RP-initiated logout), if any',
      response: OidcLogoutResponse,
    },
    async ({ req, reply }) => {
      const user = await resolveSession(db, req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      if (!user) return { endSessionUrl: null };
      await db.prisma.session.deleteMany({ where: { tokenHash: user.sessionHash } });
      deps.endSession(user.sessionHash, user.tenant.id, 'logout');
      await audit.append({ tenantId: user.tenant.id, actor: user.username, action: 'logout' });
      const idToken = await redis.getdel(idTokenKey(user.sessionHash));
      const p = idToken ? await loadProvider(db, { tenantId: user.tenant.id }) : null;
      if (!p || !idToken) return { endSessionUrl: null };
      const provider = await providerConfig(p).catch(() => null);
      if (!provider?.serverMetadata().end_session_endpoint) return { endSessionUrl: null };
      const url = oidc.buildEndSessionUrl(provider, {
        id_token_hint: idToken,
        post_logout_redirect_uri: `${origin(req)}/login`,
      });
      return { endSessionUrl: url.href };
    },
  );
}

const moveOn = (to: string) =>
  `<!doctype html><html lang="de"><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${to}"><title>Lagebild</title><a href="${to}">Weiter / Continue</a></html>`;
