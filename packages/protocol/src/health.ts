/**
 * What a gateway knows of the parts it depends on, pushed to every dashboard on its `/control`
 * sockets (`health`, about twice a second, so the message doubles as a heartbeat: a dashboard that
 * hears nothing for 2 s knows it lost its gateway) and shown to admins in `/metrics`.
 * A degraded component names why with a stable code (the control room words it, German first).
 */
import { z } from 'zod';
import { EpochMs } from './common.ts';

/** live: Redis (live map, fan-out); video: the SFU; recordings: the recordings' disk; database: PostgreSQL */
export const HealthComponent = z.enum(['live', 'video', 'recordings', 'database']);
export type HealthComponent = z.infer<typeof HealthComponent>;
export const HEALTH_COMPONENTS = HealthComponent.options;

export const DegradedReason = z.enum([
  /** the gateway has no working Redis connection: its own sockets are served, other gateways' are not */
  'redis_unreachable',
  /** PostgreSQL does not answer: acks wait, events queue in the gateway up to its bound */
  'database_unreachable',
  /** the status queue to PostgreSQL is past half its bound or its writes fail */
  'persist_backlog',
  /** the SFU does not answer: no new live video */
  'sfu_unreachable',
  /** the recordings' file system is (nearly) full: recorders stop with a sealed prefix */
  'disk_full',
  /** the recordings' folder cannot be read */
  'disk_unavailable',
]);
export type DegradedReason = z.infer<typeof DegradedReason>;

export const ComponentHealth = z.object({
  component: HealthComponent,
  degraded: z.boolean(),
  /** gateway clock when the component entered its current state (degraded or not) */
  since: EpochMs,
  reason: DegradedReason.nullable(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

export const GatewayHealth = z.object({
  type: z.literal('health'),
  serverTime: EpochMs,
  components: z.array(ComponentHealth),
});
export type GatewayHealth = z.infer<typeof GatewayHealth>;
