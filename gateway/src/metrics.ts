/** Counters of what the gateway did and refused, exposed to admins at GET /api/metrics. */
export interface Metrics {
  statusAccepted: number;
  statusDuplicate: number;
  statusLate: number;
  statusRejected: Record<string, number>;
  deviceAuthFailed: number;
  deviceConnections: number;
  controlConnections: number;
  loginFailed: number;
  forbidden: number;
  persistBatches: number;
  persistRows: number;
  persistErrors: number;
  batchesEmitted: number;
  /** audit checkpoints still waiting for their RFC 3161 token (issue 13) */
  auditAnchorsPending: number;
  auditAnchored: number;
  auditAnchorErrors: number;
}

export const createMetrics = (): Metrics => ({
  statusAccepted: 0,
  statusDuplicate: 0,
  statusLate: 0,
  statusRejected: {},
  deviceAuthFailed: 0,
  deviceConnections: 0,
  controlConnections: 0,
  loginFailed: 0,
  forbidden: 0,
  persistBatches: 0,
  persistRows: 0,
  persistErrors: 0,
  batchesEmitted: 0,
  auditAnchorsPending: 0,
  auditAnchored: 0,
  auditAnchorErrors: 0,
});

export function countRejected(m: Metrics, code: string): void {
  m.statusRejected[code] = (m.statusRejected[code] ?? 0) + 1;
}
