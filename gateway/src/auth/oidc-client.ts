/**
 * The relying-party side of a tenant's OpenID Connect provider (issue 15), through `openid-client`
 * v6: discovery (cached per issuer, client and secret for ten minutes), the role that a user's
 * groups claim maps to, and the username a new user gets. The client secret is read from its file
 * at every sign-in, so a rotated secret works without a restart. Plain http is allowed for loopback
 * issuers only (a provider on the same host in tests and development); anything else needs https.
 */
import { readFile } from 'node:fs/promises';
import type { Role } from '@lagebild/protocol';
import * as oidc from 'openid-client';

export interface OidcProviderRow {
  tenantId: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecretFile: string;
  groupsClaim: string;
  roleMap: Record<string, Role>;
  enabled: boolean;
}

const CACHE_MS = 10 * 60_000;
const cache = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

/** The provider's configuration for this client (discovery), cached. */
export async function providerConfig(p: OidcProviderRow): Promise<oidc.Configuration> {
  const secret = (await readFile(p.clientSecretFile, 'utf8')).trim();
  const key = `${p.issuer}\n${p.clientId}\n${secret}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.config;
  const issuer = new URL(p.issuer);
  const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
  const config = oidc.discovery(issuer, p.clientId, undefined, oidc.ClientSecretPost(secret), {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
  });
  cache.set(key, { at: Date.now(), config });
  config.catch(() => cache.delete(key));
  return config;
}

/** Most rights first: a user in several mapped groups gets the most privileged of their roles. */
const PRECEDENCE: readonly Role[] = ['admin', 'supervisor', 'operator', 'evaluator'];

/** The claim's groups (a list or one string; Keycloak may prefix paths with "/"). */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return list.filter((g): g is string => typeof g === 'string');
}

/** The Lagebild role of these groups, or null if none of them is mapped. */
export function mapRole(groups: readonly string[], roleMap: Record<string, Role>): Role | null {
  const roles = new Set<Role>();
  for (const g of groups) {
    const r = roleMap[g] ?? roleMap[g.replace(/^\//, '')];
    if (r) roles.add(r);
  }
  return PRECEDENCE.find((r) => roles.has(r)) ?? null;
}

/**
 * A username for a new user: the provider's preferred_username (or e-mail, or subject) in the
 * username alphabet, followed by `@<tenant>` since usernames are unique across the installation.
 */
export function usernameFor(claims: Record<string, unknown>, tenantSlug: string): string {
  const raw = [claims.preferred_username, claims.email, claims.sub].find(
    (v) => typeof v === 'string',
  ) as string;
  const local = raw
    .toLowerCase()
    .split('@')[0]!
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 40);
  return `${local || 'user'}@${tenantSlug}`.slice(0, 64);
}
