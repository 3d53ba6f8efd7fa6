/** @lagebild/protocol: every message that crosses a process boundary, as zod schemas and types. */
export * from './common.ts';
export * from './control.ts';
export * from './device.ts';
export * from './device-ws.ts';
export * from './dispatch.ts';
export * from './health.ts';
export * from './http.ts';
export * from './http-answers.ts';
export * from './media.ts';
export * from './recording.ts';
export * from './shifts.ts';
export * from './sign-in.ts';
export * from './stats.ts';
export * from './users.ts';
