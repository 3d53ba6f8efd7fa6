/**
 * Which SFU paths the gateway forwards (issue 11, reproduction 2): only the documented viewer
 * signalling routes of sfu/SPEC.md, matched on the raw request path before anything decodes it.
 * `fetch` resolves `..` and `%2e%2e` segments, so forwarding the raw path let
 * `/sfu/v1/%2e%2e/%2e%2e/internal/stats` reach the SFU's internal endpoints. Session and consumer ids
 * are base64url and UUIDs; anything else (dot segments, encoded slashes, doubled slashes) does not match.
 */
/** viewer session ids are base64url (sfu/src/viewer-session.ts), consumer ids mediasoup UUIDs */
const SID = '[A-Za-z0-9_-]{8,64}';
const CID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const ROUTES: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/sfu\/v1\/sessions$/ },
  { method: 'POST', path: new RegExp(`^/sfu/v1/sessions/${SID}/(connect|consume|restart-ice)$`) },
  { method: 'POST', path: new RegExp(`^/sfu/v1/sessions/${SID}/consumers/${CID}/(resume|layers)$`) },
  { method: 'DELETE', path: new RegExp(`^/sfu/v1/sessions/${SID}$`) },
];

/**
 * The path to forward for a request, or null when it is not a documented viewer route. The query
 * string is dropped: no viewer route takes one.
 */
export function sfuProxyPath(method: string, rawUrl: string): string | null {
  const path = rawUrl.split('?')[0]!;
  if (path.length > 200) return null;
  return ROUTES.some((r) => r.method === method && r.path.test(path)) ? path : null;
}
