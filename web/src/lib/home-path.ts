/** Where the app sends someone after login. */
import type { Role } from '@lagebild/protocol';

/** Where a role starts: evaluators work with statistics only, everyone else on the live map. */
export const homeFor = (role: Role): string => (role === 'evaluator' ? '/evaluation/' : '/');

/** Only paths on this origin; `//evil.example` or `https://…` would be an open redirect. */
export function safeNextPath(raw: string | null, home = '/'): string {
  if (!raw?.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return home;
  return raw;
}
