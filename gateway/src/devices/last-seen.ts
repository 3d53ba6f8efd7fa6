/**
 * `devices.last_seen_at` (the admin's and the duty roster's "zuletzt gesehen"), written in batches:
 * a connect, a disconnect or an HTTP status marks the device, and one UPDATE per interval writes
 * every device marked since. A reconnect storm of 10,000 cameras is then a few statements instead of
 * 10,000 commits competing with the status writes for the pool (issue 17). The time written is the
 * flush's, at most one interval after the event; a failed write keeps its devices for the next one.
 */
import type pg from 'pg';
import type { Logger } from '../logger.ts';

export interface LastSeen {
  mark(deviceId: string): void;
  /** writes every device marked so far (the timer calls it; tests and shutdown too) */
  flush(): Promise<void>;
  /** stops the timer and writes what is marked */
  close(): Promise<void>;
}

export function createLastSeen(o: { pool: pg.Pool; log: Logger; intervalMs: number }): LastSeen {
  let marked = new Set<string>();
  let writing: Promise<void> = Promise.resolve();

  async function write(ids: string[]): Promise<void> {
    try {
      await o.pool.query('UPDATE devices SET last_seen_at = now() WHERE id = ANY($1::uuid[])', [ids]);
    } catch (err) {
      for (const id of ids) marked.add(id);
      o.log.warn({ err, devices: ids.length }, 'last_seen_at not updated; retrying with the next batch');
    }
  }

  function flush(): Promise<void> {
    // one write at a time, so a slow database does not pile statements up in the pool
    writing = writing.then(() => {
      if (marked.size === 0) return;
      const ids = [...marked];
      marked = new Set();
      return write(ids);
    });
    return writing;
  }

  const timer = setInterval(() => void flush(), o.intervalMs);
  timer.unref();
  return {
    mark: (deviceId) => void marked.add(deviceId),
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
