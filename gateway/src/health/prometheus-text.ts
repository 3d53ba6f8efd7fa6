/**
 * The gateway's health and counters in the Prometheus text format (GET /metrics), so an alarm rule
 * such as `lagebild_degraded == 1` pages someone: one gauge per component, the time it went down,
 * and the counters of /api/metrics.
 */
import type { ComponentHealth } from '@lagebild/protocol';
import type { Metrics } from '../metrics.ts';

const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function family(name: string, type: 'gauge' | 'counter', help: string, samples: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join('\n');
}

export function prometheusText(
  health: readonly ComponentHealth[],
  metrics: Metrics,
  gauges: { persistQueue: number; instance: string },
): string {
  const inst = `instance_id="${labelValue(gauges.instance)}"`;
  const comp = (h: ComponentHealth) => `component="${h.component}",${inst}`;
  const counter = (name: string, help: string, value: number) =>
    family(`lagebild_${name}_total`, 'counter', help, [`lagebild_${name}_total{${inst}} ${value}`]);
  return `${[
    family(
      'lagebild_degraded',
      'gauge',
      '1 while the component is degraded (live = Redis, video = SFU, recordings = disk, database = PostgreSQL)',
      health.map((h) => `lagebild_degraded{${comp(h)},reason="${h.reason ?? ''}"} ${h.degraded ? 1 : 0}`),
    ),
    family(
      'lagebild_degraded_since_seconds',
      'gauge',
      'Unix time the component became degraded; 0 while it is healthy',
      health.map((h) => `lagebild_degraded_since_seconds{${comp(h)}} ${h.degraded ? h.since / 1000 : 0}`),
    ),
    family('lagebild_persist_queue', 'gauge', 'status events waiting for PostgreSQL', [
      `lagebild_persist_queue{${inst}} ${gauges.persistQueue}`,
    ]),
    family('lagebild_device_connections', 'gauge', 'device sockets on this gateway', [
      `lagebild_device_connections{${inst}} ${metrics.deviceConnections}`,
    ]),
    family('lagebild_control_connections', 'gauge', 'dashboard sockets on this gateway', [
      `lagebild_control_connections{${inst}} ${metrics.controlConnections}`,
    ]),
    family('lagebild_process_heap_bytes', 'gauge', 'V8 heap in use (the soak watches it for growth)', [
      `lagebild_process_heap_bytes{${inst}} ${process.memoryUsage().heapUsed}`,
    ]),
    family('lagebild_process_active_resources', 'gauge', 'handles and requests keeping the event loop busy', [
      `lagebild_process_active_resources{${inst}} ${process.getActiveResourcesInfo().length}`,
    ]),
    family('lagebild_audit_anchors_pending', 'gauge', 'audit checkpoints waiting for their RFC 3161 token', [
      `lagebild_audit_anchors_pending{${inst}} ${metrics.auditAnchorsPending}`,
    ]),
    counter('audit_anchored', 'audit checkpoints time-stamped and exported', metrics.auditAnchored),
    counter(
      'audit_anchor_errors',
      'failed requests to the time-stamping authority',
      metrics.auditAnchorErrors,
    ),
    counter('status_accepted', 'status events acknowledged', metrics.statusAccepted),
    counter('status_duplicate', 'status events resent and already stored', metrics.statusDuplicate),
    counter('status_late', 'status events older than the newest stored', metrics.statusLate),
    counter('persist_rows', 'status rows written to PostgreSQL', metrics.persistRows),
    counter('persist_errors', 'failed status commits (retried)', metrics.persistErrors),
  ].join('\n')}\n`;
}
