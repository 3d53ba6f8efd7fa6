/** Where the app sends someone after login. */
import type { Role } from '@lagebild/protocol';

/** Where a role starts: evaluators work with statistics only, everyone else on the live map. */
export const homeFor = (role: Role): string => (role === 'evaluator' ? '/evaluation/' : '/');

const BASE = 'https://lagebild.invalid';

/**
 * Only paths on this origin; `//evil.example` or `https://…` would be an open redirect. The browser's
 * URL parser drops tabs and newlines and reads `\` as `/`, so `/%09/evil.example/` (a tab) becomes
 * `//evil.example/` (issue 11): the path is resolved the way the browser will, and only a result on
 * our origin is followed, as the resolved path, never the raw text.
 */
export function safeNextPath(raw: string | null, home = '/'): string {
  if (!raw?.startsWith('/') || raw.length > 2000) return home;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return home;
  }
  if (url.origin !== BASE) return home;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('//') || path.startsWith('/\\') ? home : path;
}
