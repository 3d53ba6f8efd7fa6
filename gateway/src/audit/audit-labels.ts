/**
 * Readable names for the raw actor and target ids of an audit page (the /audit/ view): `device:<id>`
 * and bare device ids (live_watch) become the device label with the unit it was on shift with at
 * the time, `recording:<id>` the recording's device, unit and start, usernames the display name,
 * `system:<name>` a named system component. One query per page, and only ever within the reader's
 * tenant: an id of another tenant (a refused cross-tenant access, say) stays raw, its name unread.
 */
import type { AuditEntryView, AuditLabel } from '@lagebild/protocol';
import type pg from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** usernames as the gateway creates them; anything else (a mistyped login, say) is not looked up */
const USERNAME = /^[a-z0-9._@-]{1,100}$/i;

export type AuditRef =
  | { kind: 'device'; id: string }
  | { kind: 'recording'; id: string }
  | { kind: 'user'; username: string }
  /** a user as the target of an administration entry (`user:<id>`, issue 15) */
  | { kind: 'user_id'; id: string }
  | { kind: 'system'; name: string };

/** What a raw actor or target id refers to, or null when it is nothing the view can name. */
export function parseAuditRef(raw: string | null, as: 'actor' | 'target'): AuditRef | null {
  if (!raw) return null;
  const colon = raw.indexOf(':');
  if (colon < 0) {
    if (UUID.test(raw)) return as === 'target' ? { kind: 'device', id: raw.toLowerCase() } : null;
    return as === 'actor' && USERNAME.test(raw) ? { kind: 'user', username: raw } : null;
  }
  const scheme = raw.slice(0, colon);
  const rest = raw.slice(colon + 1);
  if (scheme === 'system' && as === 'actor' && /^[a-z_-]{1,40}$/.test(rest))
    return { kind: 'system', name: rest };
  if (!UUID.test(rest)) return null;
  if (scheme === 'device') return { kind: 'device', id: rest.toLowerCase() };
  if (scheme === 'recording') return { kind: 'recording', id: rest.toLowerCase() };
  if (scheme === 'user' && as === 'target') return { kind: 'user_id', id: rest.toLowerCase() };
  return null;
}

/**
 * `text` as a LIKE pattern that matches it literally: `%`, `_` and the escape character itself are
 * escaped with a backslash, which every ILIKE of `auditRefFilterSql` names as its `ESCAPE`. Without
 * this a filter of `%` or `_` matched everything (issue 11).
 */
export const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `%text%`, matching `text` literally anywhere. */
export const containsPattern = (text: string): string => `%${likeLiteral(text)}%`;

const ESCAPE = `ESCAPE '\\'`;

/**
 * The `actor` / `target` filter of the audit view as one SQL condition: the raw stored text
 * ILIKE `pattern` as before, or a reference, in any form `parseAuditRef` names, to something of
 * tenant `tenant` whose readable name matches — a device by its label (`device:<id>`, and the bare
 * id live_watch writes as target), a recording by its device's label (`recording:<id>`), a user by
 * username or display name (as actor, and as target `user:<id>`). `tenant` and `pattern` are SQL placeholders (`$1`, `$2`);
 * `pattern` must escape its wildcards with a backslash (`containsPattern`);
 * the names are looked up in that tenant only, so another tenant's labels never match.
 */
export function auditRefFilterSql(as: 'actor' | 'target', tenant: string, pattern: string): string {
  const refs = [
    `SELECT 'device:' || id::text FROM dev`,
    ...(as === 'target' ? ['SELECT id::text FROM dev'] : []),
    `SELECT 'recording:' || r.id::text FROM recordings r JOIN dev ON dev.id = r.device_id WHERE r.tenant_id = ${tenant}`,
    ...(as === 'target'
      ? [
          `SELECT 'user:' || u.id::text FROM users u WHERE u.tenant_id = ${tenant}
            AND (u.username ILIKE ${pattern} ${ESCAPE} OR u.display_name ILIKE ${pattern} ${ESCAPE})`,
        ]
      : []),
  ];
  const users =
    as === 'actor'
      ? ` OR actor IN (SELECT u.username FROM users u WHERE u.tenant_id = ${tenant}
            AND (u.username ILIKE ${pattern} ${ESCAPE} OR u.display_name ILIKE ${pattern} ${ESCAPE}))`
      : '';
  return `(${as} ILIKE ${pattern} ${ESCAPE}${users}
      OR lower(${as}) IN (
        WITH dev AS (SELECT d.id FROM devices d WHERE d.tenant_id = ${tenant} AND d.label ILIKE ${pattern} ${ESCAPE})
        ${refs.join('\n        UNION ALL ')}))`;
}

type Entry = Pick<AuditEntryView, 'at' | 'actor' | 'target'>;

/** Adds `actorLabel` / `targetLabel` to the entries that can be named in `tenantId`. */
export async function labelAuditEntries<E extends Entry>(
  pool: pg.Pool,
  tenantId: string,
  entries: E[],
): Promise<Array<E & Pick<AuditEntryView, 'actorLabel' | 'targetLabel'>>> {
  const refs = entries.map((e) => ({
    actor: parseAuditRef(e.actor, 'actor'),
    target: parseAuditRef(e.target, 'target'),
  }));
  // a device is named with the unit it served at the time of each entry: one (device, time) pair each
  const devicePairs = new Map<string, { id: string; at: number }>();
  const recordings = new Set<string>();
  const usernames = new Set<string>();
  const userIds = new Set<string>();
  refs.forEach((r, i) => {
    for (const ref of [r.actor, r.target]) {
      if (ref?.kind === 'device')
        devicePairs.set(`${ref.id}|${entries[i]!.at}`, { id: ref.id, at: entries[i]!.at });
      else if (ref?.kind === 'recording') recordings.add(ref.id);
      else if (ref?.kind === 'user') usernames.add(ref.username);
      else if (ref?.kind === 'user_id') userIds.add(ref.id);
    }
  });

  const devices = new Map<string, AuditLabel>();
  const recs = new Map<string, AuditLabel>();
  const users = new Map<string, AuditLabel>();
  const usersById = new Map<string, AuditLabel>();
  if (devicePairs.size + recordings.size + usernames.size + userIds.size > 0) {
    const pairs = [...devicePairs.values()];
    const { rows } = await pool.query<{
      kind: 'device' | 'recording' | 'user' | 'user_id';
      id: string;
      at: Date | null;
      label: string;
      unit: string | null;
      started_at: Date | null;
    }>(
      `SELECT 'device' AS kind, q.id::text AS id, q.at, d.label, sh.callsign AS unit, NULL::timestamptz AS started_at
         FROM unnest($2::uuid[], $3::timestamptz[]) AS q(id, at)
         JOIN devices d ON d.id = q.id AND d.tenant_id = $1
         LEFT JOIN LATERAL (
           SELECT u.callsign FROM shifts s JOIN units u ON u.id = s.unit_id AND u.tenant_id = $1
            WHERE s.tenant_id = $1 AND s.device_id = q.id AND s.started_at <= q.at
              AND (s.ended_at IS NULL OR s.ended_at > q.at)
            ORDER BY s.started_at DESC LIMIT 1
         ) sh ON true
       UNION ALL
       SELECT 'recording', r.id::text, NULL, d.label, u.callsign, r.started_at
         FROM recordings r
         JOIN devices d ON d.id = r.device_id AND d.tenant_id = $1
         LEFT JOIN units u ON u.id = r.unit_id AND u.tenant_id = $1
        WHERE r.tenant_id = $1 AND r.id = ANY($4::uuid[])
       UNION ALL
       SELECT 'user', u.username, NULL, u.display_name, NULL, NULL
         FROM users u WHERE u.tenant_id = $1 AND u.username = ANY($5::text[])
       UNION ALL
       SELECT 'user_id', u.id::text, NULL, u.display_name, NULL, NULL
         FROM users u WHERE u.tenant_id = $1 AND u.id = ANY($6::uuid[])`,
      [
        tenantId,
        pairs.map((p) => p.id),
        pairs.map((p) => new Date(p.at)),
        [...recordings],
        [...usernames],
        [...userIds],
      ],
    );
    for (const r of rows) {
      const label: AuditLabel = { kind: r.kind === 'user_id' ? 'user' : r.kind, label: r.label };
      if (r.unit) label.unit = r.unit;
      if (r.started_at) label.startedAt = r.started_at.getTime();
      if (r.kind === 'device') devices.set(`${r.id}|${r.at!.getTime()}`, label);
      else if (r.kind === 'recording') recs.set(r.id, label);
      else if (r.kind === 'user_id') usersById.set(r.id, label);
      else users.set(r.id, label);
    }
  }

  const name = (ref: AuditRef | null, at: number): AuditLabel | undefined => {
    switch (ref?.kind) {
      case 'device':
        return devices.get(`${ref.id}|${at}`);
      case 'recording':
        return recs.get(ref.id);
      case 'user':
        return users.get(ref.username);
      case 'user_id':
        return usersById.get(ref.id);
      case 'system':
        return { kind: 'system', label: ref.name };
      default:
        return undefined;
    }
  };
  return entries.map((e, i) => {
    const actorLabel = name(refs[i]!.actor, e.at);
    const targetLabel = name(refs[i]!.target, e.at);
    return { ...e, ...(actorLabel ? { actorLabel } : {}), ...(targetLabel ? { targetLabel } : {}) };
  });
}
