/**
 * One page of the tenant's audit log for the /audit/ view: the filters as one SQL query, then the
 * readable names of the page's actors and targets in one more (audit-labels.ts), always within
 * the reader's own tenant.
 */
import { recordFromRow } from '@lagebild/audit';
import type { AuditEntryView, AuditQuery } from '@lagebild/protocol';
import type pg from 'pg';
import { auditRefFilterSql, containsPattern, labelAuditEntries } from './audit-labels.ts';

type AuditRow = Parameters<typeof recordFromRow>[0];

export async function auditPage(pool: pg.Pool, tenantId: string, q: AuditQuery): Promise<AuditEntryView[]> {
  const where = ['tenant_id = $1'];
  const args: unknown[] = [tenantId];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replaceAll('?', `$${args.length}`));
  };
  if (q.action) add('action = ?', q.action);
  // raw text as stored, or the readable names the view shows (labels of this tenant only)
  if (q.actor) add(auditRefFilterSql('actor', '$1', '?'), containsPattern(q.actor));
  if (q.target) add(auditRefFilterSql('target', '$1', '?'), containsPattern(q.target));
  if (q.from !== undefined) add('at >= ?', new Date(q.from));
  if (q.to !== undefined) add('at < ?', new Date(q.to));
  if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
  args.push(q.limit);
  const { rows } = await pool.query<AuditRow>(
    `SELECT seq, tenant_id, at, actor, action, target, reason, recipient, payload, payload_hash, prev_hash, hash
       FROM audit_log
      WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${args.length}`,
    args,
  );
  // the chain's own fields are for the verifier, not the view
  const entries = rows.map((r) => {
    const { tenantId, payloadHash, prevHash, ...entry } = recordFromRow(r);
    return entry;
  });
  return labelAuditEntries(pool, tenantId, entries);
}
