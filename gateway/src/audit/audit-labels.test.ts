import { describe, expect, it } from 'vitest';
import { containsPattern, parseAuditRef } from './audit-labels.ts';

const ID = 'a5f5def6-61b8-403c-bdbf-28376a429084';

describe('parseAuditRef', () => {
  it('names devices, bare device ids, recordings, users and system components', () => {
    expect(parseAuditRef(`device:${ID}`, 'actor')).toEqual({ kind: 'device', id: ID });
    // a user administered (issue 15) is a target by id; as an actor a user is a username
    expect(parseAuditRef(`user:${ID}`, 'target')).toEqual({ kind: 'user_id', id: ID });
    expect(parseAuditRef(`user:${ID}`, 'actor')).toBeNull();
    expect(parseAuditRef(`device:${ID}`, 'target')).toEqual({ kind: 'device', id: ID });
    expect(parseAuditRef(ID.toUpperCase(), 'target')).toEqual({ kind: 'device', id: ID });
    expect(parseAuditRef(`recording:${ID}`, 'target')).toEqual({ kind: 'recording', id: ID });
    expect(parseAuditRef('duisburg.admin', 'actor')).toEqual({ kind: 'user', username: 'duisburg.admin' });
    expect(parseAuditRef('system:retention', 'actor')).toEqual({ kind: 'system', name: 'retention' });
  });

  it('leaves everything else raw', () => {
    expect(parseAuditRef(null, 'actor')).toBeNull();
    expect(parseAuditRef(`incident:${ID}`, 'target')).toBeNull();
    expect(parseAuditRef('recording:not-a-uuid', 'target')).toBeNull();
    expect(parseAuditRef('recording', 'target')).toBeNull();
    expect(parseAuditRef('system:retention', 'target')).toBeNull();
    expect(parseAuditRef('some one', 'actor')).toBeNull();
    expect(parseAuditRef(ID, 'actor')).toBeNull();
  });
});

describe('containsPattern (issue 11)', () => {
  it('escapes the LIKE wildcards and the escape character, so a filter matches them literally', () => {
    expect(containsPattern('50%')).toBe('%50\\%%');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
    expect(containsPattern('c:\\x')).toBe('%c:\\\\x%');
    expect(containsPattern('duisburg.admin')).toBe('%duisburg.admin%');
  });
});
