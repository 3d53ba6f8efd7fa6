/**
 * The status persister's queue, shared by all tenants (issue 11): each tenant queues separately and
 * may hold at most its share of `queueMax`, and batches take events from the tenants in turn, so a
 * tenant with a few events waits one commit, not behind another tenant's hundred thousand. An event
 * resent while queued (same device and seq) joins the queued one instead of queuing twice.
 */
import type { PersistOutcome, StatusRecord } from './status-persister.ts';

export interface Pending {
  rec: StatusRecord;
  waiters: Array<{ resolve: (o: PersistOutcome) => void; reject: (e: Error) => void }>;
}

/** A status event's identity: the device and its seq. */
export const eventKey = (r: Pick<StatusRecord, 'deviceId' | 'status'>) => `${r.deviceId}:${r.status.seq}`;

export class TenantQueues {
  /** per tenant, in arrival order; a tenant without queued events has no entry */
  readonly #queues = new Map<string, Map<string, Pending>>();
  #total = 0;
  /** which tenant goes first in the next batch, so no tenant is always last */
  #turn = 0;

  readonly queueMax: number;

  constructor(queueMax: number) {
    this.queueMax = queueMax;
  }

  /** events queued over all tenants */
  get size(): number {
    return this.#total;
  }

  /**
   * The most a tenant may have queued: an equal part of `queueMax` for each tenant with queued
   * events, plus one part kept free for a tenant that has none yet. Alone, a tenant gets half;
   * with two others queuing, a quarter. Shares shrink as tenants arrive; a tenant above its new
   * share is not dropped, only refused until it is back under.
   */
  share(tenantId: string): number {
    const active = this.#queues.size + (this.#queues.has(tenantId) ? 0 : 1);
    return Math.max(1, Math.floor(this.queueMax / (active + 1)));
  }

  /** The queued entry of `rec` (a resend joins it), a new one, or null when the tenant is full. */
  admit(rec: StatusRecord): Pending | null {
    const k = eventKey(rec);
    let q = this.#queues.get(rec.tenantId);
    const queued = q?.get(k);
    if (queued) return queued;
    if (this.#total >= this.queueMax || (q?.size ?? 0) >= this.share(rec.tenantId)) return null;
    if (!q) {
      q = new Map();
      this.#queues.set(rec.tenantId, q);
    }
    const p: Pending = { rec, waiters: [] };
    q.set(k, p);
    this.#total++;
    return p;
  }

  /** Up to `batchMax` events, one from each tenant in turn (oldest first within a tenant). */
  nextBatch(batchMax: number): Pending[] {
    const tenants = [...this.#queues.values()];
    if (tenants.length === 0) return [];
    const first = this.#turn++ % tenants.length;
    const sources = [...tenants.slice(first), ...tenants.slice(0, first)].map((q) => q.values());
    const batch: Pending[] = [];
    while (sources.length > 0 && batch.length < batchMax) {
      for (let i = 0; i < sources.length && batch.length < batchMax; ) {
        const next = sources[i]!.next();
        if (next.done) sources.splice(i, 1);
        else {
          batch.push(next.value);
          i++;
        }
      }
    }
    return batch;
  }

  /** Takes a committed event out of its queue. */
  settle(p: Pending): void {
    const q = this.#queues.get(p.rec.tenantId);
    if (!q?.delete(eventKey(p.rec))) return;
    this.#total--;
    if (q.size === 0) this.#queues.delete(p.rec.tenantId);
  }

  /** Empties every queue and returns what was in them (on shutdown, to refuse their waiters). */
  clear(): Pending[] {
    const all = [...this.#queues.values()].flatMap((q) => [...q.values()]);
    this.#queues.clear();
    this.#total = 0;
    return all;
  }
}
