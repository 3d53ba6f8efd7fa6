/**
 * Runs the conformance checks against one gateway and formats the result as a table of rule ids.
 * Used by the `npm run conformance` command (cli.ts) and by test/integration/conformance.test.ts.
 */
import { CHECKS, type Check, type CheckContext, Skip } from './checks.ts';
import type { DeviceTarget } from './device-client.ts';

export interface ConformanceOptions extends DeviceTarget {
  deviceToken?: string;
  /** only the checks of these rules (all when empty) */
  only?: string[];
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  rules: string[];
  title: string;
  outcome: Outcome;
  detail: string;
  ms: number;
}

export async function runConformance(opts: ConformanceOptions): Promise<CheckResult[]> {
  let seq = Date.now();
  const ctx: CheckContext = {
    target: { url: opts.url.replace(/\/$/, ''), deviceId: opts.deviceId, secret: opts.secret },
    deviceToken: opts.deviceToken,
    nextSeq: () => ++seq,
  };
  const chosen = (c: Check) => !opts.only?.length || c.rules.some((r) => opts.only!.includes(r));
  const results: CheckResult[] = [];
  for (const check of CHECKS.filter(chosen)) {
    const t0 = performance.now();
    let outcome: Outcome = 'pass';
    let detail = '';
    try {
      await check.run(ctx);
    } catch (err) {
      outcome = err instanceof Skip ? 'skip' : 'fail';
      detail = err instanceof Error ? err.message : String(err);
    }
    results.push({
      rules: check.rules,
      title: check.title,
      outcome,
      detail,
      ms: Math.round(performance.now() - t0),
    });
  }
  return results;
}

/** Each rule's verdict: failed if any of its checks failed, passed if any passed, else skipped. */
export function ruleVerdicts(results: readonly CheckResult[]): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const r of results)
    for (const rule of r.rules) {
      const prev = out.get(rule);
      if (prev === 'fail' || r.outcome === 'fail') out.set(rule, 'fail');
      else if (prev === 'pass' || r.outcome === 'pass') out.set(rule, 'pass');
      else out.set(rule, 'skip');
    }
  return new Map([...out].sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1))));
}

export function formatTable(results: readonly CheckResult[]): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
  const rows = results.map((r) => [r.rules.join(' '), mark[r.outcome], `${r.ms} ms`, r.title]);
  const head = ['rules', 'result', 'time', 'check'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of results)
    if (r.outcome !== 'pass') out.push(`  ${mark[r.outcome]} ${r.rules.join(' ')}: ${r.detail}`);
  const verdicts = ruleVerdicts(results);
  out.push('', [...verdicts].map(([rule, o]) => `${rule} ${mark[o]}`).join('  '));
  const failed = [...verdicts.values()].filter((o) => o === 'fail').length;
  out.push(
    failed === 0
      ? `all ${verdicts.size} rules checked: no failure`
      : `${failed} of ${verdicts.size} rules failed`,
  );
  return out.join('\n');
}
