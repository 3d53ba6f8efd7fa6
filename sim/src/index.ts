/**
 * @lagebild/sim: simulated body cameras for demos, tests and load benchmarks.
 * `startSimulation` drives a fleet against a gateway's `/device` namespace; the models (routes,
 * escalation, battery, radio, outbox) are exported for reuse and tests.
 */
export { DRAIN_PCT_PER_HOUR } from './battery.ts';
export { DEFAULT_ESCALATION, type EscalationParams, UNANNOUNCED_REASON } from './escalation.ts';
export { CredentialsFile, SimOptionsError } from './options.ts';
export { Outbox } from './outbox.ts';
export type { PatrolMode } from './patrol.ts';
export { mulberry32, type Rng } from './prng.ts';
export { DECLINE_REASONS, DEFAULT_RESPONSE, type ResponseParams } from './response.ts';
export { type ShiftRota, startShiftRota } from './shift-rota.ts';
export type { SimDevice } from './sim-device.ts';
export { type Simulation, startSimulation } from './simulation.ts';
export type {
  Behaviour,
  DeviceSnapshot,
  SimDeviceSpec,
  SimEvent,
  SimStats,
  SimulationOptions,
} from './types.ts';
export { CITIES, type City, WAYPOINTS, type Waypoint } from './waypoints.ts';
