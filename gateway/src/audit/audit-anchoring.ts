/**
 * The gateway's checkpoint job (issue 13). Only the gateway signs audit checkpoints (the SFU, the
 * internet-facing service, appends but holds no checkpoint duty): every AUDIT_ANCHOR_MS it signs the
 * head when AUDIT_CHECKPOINT_EVERY entries or AUDIT_CHECKPOINT_MS have passed, then asks the TSA for
 * a token for every checkpoint still without one and appends checkpoint + token to the export target.
 * A TSA that does not answer delays anchoring, never an append: the checkpoints wait, /metrics counts
 * them (`lagebild_audit_anchors_pending`) and the log says why, once per outage.
 */
import { mkdir, readFile } from 'node:fs/promises';
import {
  anchorPending,
  type Checkpoint,
  checkpointIfDue,
  loadAnchors,
  pendingCheckpoints,
  requestTimestamp,
} from '@lagebild/audit';
import { type Periodic, periodic } from '@lagebild/service-kit';
import type { Signer } from '@lagebild/vault';
import type pg from 'pg';
import type { GatewayConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export function startAuditAnchoring(deps: {
  pool: pg.Pool;
  signer: Signer;
  config: Pick<
    GatewayConfig,
    'AUDIT_ANCHOR_MS' | 'AUDIT_CHECKPOINT_EVERY' | 'AUDIT_CHECKPOINT_MS' | 'TSA_URL' | 'AUDIT_ANCHOR_DIR'
  >;
  metrics: Metrics;
  log: Logger;
}): Periodic {
  const { config, metrics, log } = deps;
  let failing = false;
  let warnedUnanchored = false;
  return periodic(
    config.AUDIT_ANCHOR_MS,
    async () => {
      const cp = await checkpointIfDue(deps.pool, deps.signer, {
        every: config.AUDIT_CHECKPOINT_EVERY,
        everyMs: config.AUDIT_CHECKPOINT_MS,
      });
      if (cp) log.debug({ seq: cp.seq }, 'audit checkpoint signed');
      if (!config.TSA_URL || !config.AUDIT_ANCHOR_DIR) {
        metrics.auditAnchorsPending = (await pendingCheckpoints(deps.pool, 10_000)).length;
        if (!warnedUnanchored)
          log.warn('audit checkpoints are not anchored: set TSA_URL and AUDIT_ANCHOR_DIR');
        warnedUnanchored = true;
        return;
      }
      await mkdir(config.AUDIT_ANCHOR_DIR, { recursive: true });
      const run = await anchorPending(deps.pool, {
        tsaUrl: config.TSA_URL,
        exportDir: config.AUDIT_ANCHOR_DIR,
      });
      metrics.auditAnchored += run.anchored;
      metrics.auditAnchorsPending = run.pending;
      if (run.error) {
        metrics.auditAnchorErrors++;
        if (!failing)
          log.error(
            { err: run.error, pending: run.pending, tsa: config.TSA_URL },
            'time-stamping authority unreachable: audit checkpoints wait for their token',
          );
        failing = true;
      } else if (failing) {
        log.info(
          { anchored: run.anchored },
          'time-stamping authority answers again: waiting checkpoints anchored',
        );
        failing = false;
      }
    },
    (err) => log.error({ err }, 'audit checkpoint job failed'),
  );
}

/** A checkpoint's RFC 3161 reply and the TSA's CA certificate, for an export bundle; null without. */
export type StampCheckpoint = (cp: Checkpoint) => Promise<{ reply: Buffer; tsaCaPem: string } | null>;

/**
 * For an export (issue 13): anchors the export's fresh checkpoint now (token, export target and
 * database, as the job would), or, if another gateway holds the anchoring lock, asks the TSA for a
 * token for the bundle alone. A TSA that does not answer leaves the bundle without a time stamp
 * (its verify.sh then has no time-stamp line); the job anchors the checkpoint later.
 */
export function exportStamper(deps: {
  pool: pg.Pool;
  config: Pick<GatewayConfig, 'TSA_URL' | 'AUDIT_ANCHOR_DIR' | 'TSA_CA_FILE'>;
  log: Logger;
}): StampCheckpoint | undefined {
  const { config } = deps;
  if (!config.TSA_URL || !config.AUDIT_ANCHOR_DIR || !config.TSA_CA_FILE) return undefined;
  return async (cp) => {
    try {
      const tsaCaPem = await readFile(config.TSA_CA_FILE, 'utf8');
      await mkdir(config.AUDIT_ANCHOR_DIR, { recursive: true });
      await anchorPending(deps.pool, { tsaUrl: config.TSA_URL, exportDir: config.AUDIT_ANCHOR_DIR });
      const stored = (await loadAnchors(deps.pool)).find((a) => a.seq === cp.seq);
      const reply = stored
        ? Buffer.from(stored.tsaReply, 'base64')
        : (await requestTimestamp(config.TSA_URL, cp.statement)).reply;
      return { reply, tsaCaPem };
    } catch (err) {
      deps.log.warn({ err, seq: cp.seq }, 'export without a time stamp: the TSA did not answer');
      return null;
    }
  };
}
