/**
 * Same-origin checks for everything a browser can be tricked into sending: the `/control` socket
 * handshake and every state-changing HTTP request (issue 11). SameSite=strict already keeps the
 * session cookie off cross-site requests; this is the second line (a sibling subdomain is "same
 * site" but not same origin). Requests without an Origin header (curl, cameras, server-to-server)
 * carry no ambient browser credentials worth forging and pass; `Origin: null` (sandboxed frames,
 * file://, some redirects) and anything unparseable are refused.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type OriginVerdict = 'absent' | 'same' | 'foreign' | 'invalid';

/** The host part of an Origin header, or null when it is not a valid http(s) origin. */
export function originHost(origin: string): string | null {
  if (origin.length > 300) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.host.toLowerCase();
}

/**
 * Compares the request's Origin with the host it was sent to (`Host`, or the first
 * `X-Forwarded-Host` when a trusted proxy sets it) and with the configured public origins.
 */
export function checkOrigin(
  headers: IncomingHttpHeaders,
  opts: { publicOrigins?: readonly string[]; forwardedHost?: boolean } = {},
): OriginVerdict {
  const origin = headers.origin;
  if (origin === undefined) return 'absent';
  if (typeof origin !== 'string') return 'invalid';
  const host = originHost(origin);
  if (host === null) return 'invalid';
  const fwd = opts.forwardedHost ? headers['x-forwarded-host'] : undefined;
  const target = (typeof fwd === 'string' ? fwd.split(',')[0]!.trim() : headers.host)?.toLowerCase();
  if (target && host === target) return 'same';
  if (opts.publicOrigins?.some((o) => originHost(o) === host)) return 'same';
  return 'foreign';
}

/** Methods that change state: each needs a same-origin (or absent) Origin header. */
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
