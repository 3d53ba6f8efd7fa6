/**
 * What an attacker sends: random and malformed bodies, wrong types, huge strings, deep nesting,
 * unicode, prototype keys, and broken `Origin`, `Content-Type`, `Cookie` and `Authorization` headers.
 * Shared by the HTTP, socket and WHIP fuzzing suites.
 */
import fc from 'fast-check';

/** A value of any JSON type, nested a few levels, with unicode and awkward numbers. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, ''),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.fullUnicodeString({ maxLength: 40 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', '00000000-0000-0000-0000-000000000000', 'NaN'),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.fullUnicodeString({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'id')),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** An object shaped like an API body (keys the schemas use) but with values of the wrong types. */
export const wrongTypedBody: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom(
    'username',
    'password',
    'label',
    'deviceId',
    'secret',
    'reason',
    'text',
    'outcome',
    'note',
    'priority',
    'unitId',
    'unitIds',
    'location',
    'summary',
    'approve',
    'action',
    'extendDays',
    'recipient',
    'caseReference',
    'legalHold',
    'retentionDays',
    'prerecordS',
    'autoIncidentOn',
    'startsOn',
    'endsOn',
    'officerHours',
    'assaults',
    'reportId',
    'requestId',
    'answer',
    'seq',
    'stage',
    'position',
    'emergency',
    'kind',
    'incidentId',
    'rtpCapabilities',
    'dtlsParameters',
    'tileWidthPx',
    'tileHeightPx',
    'spatialLayer',
  ),
  jsonish,
  { maxKeys: 6 },
);

/** Bodies that are not JSON values at all, or JSON that hurts: nesting, size, broken syntax. */
export const rawBody: fc.Arbitrary<string> = fc.oneof(
  fc.fullUnicodeString({ maxLength: 200 }),
  fc.integer({ min: 1, max: 20_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.integer({ min: 1, max: 5_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.constantFrom(16 * 1024 + 1, 70_000, 1_000_000).map((n) => `"${'a'.repeat(n)}"`),
  fc.constantFrom(
    '{',
    '{"a":1,}',
    '[1,2',
    '"\\ud800"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '\u0000',
    'null',
    '1e999999',
    '\ufeff{}',
  ),
);

const hugeString = fc.constantFrom(1_000, 9_000, 70_000).map((n) => 'x'.repeat(n));
const garbage = fc.oneof(fc.fullUnicodeString({ maxLength: 60 }), fc.string({ maxLength: 60 }), hugeString);

export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'application/json; charset=',
    'application/JSON;;;',
    'text/plain',
    'application/sdp',
    'application/trickle-ice-sdpfrag',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '*/*',
    '',
  ),
  fc.string({ maxLength: 40 }).filter((s) => !/[\r\n\0]/.test(s)),
);

/** Header values Node's HTTP client can send (no CR/LF/NUL, printable latin-1). */
const headerSafe = (a: fc.Arbitrary<string>) => a.map((s) => s.replace(/[^\x20-\x7e\x80-\xff]/g, '?'));

export const originArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'null',
    '',
    'http://[',
    'http://evil.example',
    'https://evil.example:99999',
    'file://',
    '://',
    'javascript:alert(1)',
    'http://127.0.0.1',
    'http://localhost:80',
  ),
  headerSafe(garbage),
);

export const cookieArb = (validSessions: readonly string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'lb_session=',
      'lb_session=%',
      'lb_session=%E0%A4%A',
      'lb_session="',
      `lb_session=${'a'.repeat(101)}`,
      'lb_session=a; lb_session=b',
      ';;;=;',
      '=lb_session',
    ),
    headerSafe(garbage).map((g) => `lb_session=${g}`),
    headerSafe(garbage),
    ...(validSessions.length > 0
      ? [fc.constantFrom(...validSessions).map((s) => `${s}x`)] // a real token, one character off
      : []),
  );

export const authorizationArb = (tokens: readonly string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer mt1..',
      'Bearer mt1.e30.AAAA',
      'Basic Zm9vOmJhcg==',
      'bearer x',
    ),
    headerSafe(garbage).map((g) => `Bearer ${g}`),
    headerSafe(garbage),
    ...(tokens.length > 0
      ? [
          fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
          // a real token with its last character changed (issue 11: non-canonical base64url)
          fc.constantFrom(...tokens).map((t) => `Bearer ${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`),
        ]
      : []),
  );

/** A path segment for an `:id`: ids of rows that exist (own and other tenant), unknown UUIDs, garbage. */
export const pathIdArb = (knownIds: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    ...(knownIds.length > 0 ? [fc.constantFrom(...knownIds)] : []),
    fc.uuid(),
    fc.constantFrom('..', '%2e%2e', '%2E%2E%2F', '%00', '%zz', '%', 'null', '-1', '0', 'NaN', '__proto__'),
    fc.fullUnicodeString({ minLength: 1, maxLength: 50 }).map(encodeURIComponent),
    fc.constantFrom(200, 3_000, 70_000).map((n) => 'a'.repeat(n)),
  );

/** A query string: random keys and values, repeated keys, prototype keys, broken escapes. */
export const queryArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'from',
            'to',
            'by',
            'team',
            'limit',
            'ticket',
            'actor',
            'target',
            'beforeSeq',
            '__proto__',
            'state',
          ),
          fc.fullUnicodeString({ maxLength: 10 }),
        ),
        fc.oneof(fc.fullUnicodeString({ maxLength: 30 }), fc.integer().map(String), hugeString),
      ),
      { maxLength: 6 },
    )
    .map((kv) => `?${kv.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`),
  fc.constantFrom('?%', '?a=%zz', '?from=1&from=2', '?=', '?&&&', '?by[]=x', '?limit=1e999'),
);
