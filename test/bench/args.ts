/**
 * Command-line flags of the benchmarks: `--name value` and bare `--flag` (true), validated with a
 * zod schema; a bad flag prints the usage line and exits 2.
 */
import type { z } from 'zod';

export function parseArgs<S extends z.ZodType>(
  schema: S,
  usage: string,
  argv = process.argv.slice(2),
): z.infer<S> {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) raw[a.slice(2)] = true;
    else raw[a.slice(2)] = argv[++i]!;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    console.error(
      `${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\nusage: ${usage}`,
    );
    process.exit(2);
  }
  return parsed.data;
}
