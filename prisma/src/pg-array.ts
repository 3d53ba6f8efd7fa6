/**
 * PostgreSQL array literals (`{1,2,NULL}`) for bulk statements that pass one array per column to
 * `unnest`. node-postgres builds the same literal itself, but quotes and escapes every element with
 * two regular expressions and formats every Date: on the status path (issue 17: 10,000 events a
 * second, 18 columns each) that was a measurable part of the gateway's CPU per event. Here numbers
 * and booleans go bare, strings go bare when they cannot be misread (UUIDs, enum values), and only
 * other strings are quoted and escaped as PostgreSQL's array input expects.
 */

/** elements that need no quotes: not empty, no space, comma, brace, quote or backslash */
const BARE = /^[\w.:+-]+$/;

export type PgArrayElement = string | number | boolean | null | undefined;

function element(v: PgArrayElement): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 't' : 'f';
  // a bare NULL (any case) would be read as a null element
  if (BARE.test(v) && v.toLowerCase() !== 'null') return v;
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

/** The array literal of `values`, to be cast in SQL (`$1::uuid[]`, `$2::float8[]`, …). */
export function pgArray(values: readonly PgArrayElement[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + element(values[i]);
  return `${out}}`;
}
