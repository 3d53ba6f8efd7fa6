/**
 * The message a service stops with when its environment is invalid: one line per variable, named
 * as it is set (`  PORT: Invalid input…`), so the operator can fix them all in one go.
 */
import type { z } from 'zod';

export function formatConfigError(service: string, error: z.ZodError): Error {
  const lines = error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  return new Error(`invalid ${service} configuration:\n${lines.join('\n')}`);
}
