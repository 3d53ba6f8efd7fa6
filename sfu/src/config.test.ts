/**
 * The SFU's configuration: what production refuses to start with (issue 11). Each refusal names
 * the variable, so an operator reading the one line on stderr knows what to change.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const SECRET = 'x'.repeat(43);
const base = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  MEDIA_TOKEN_SECRET: 'm'.repeat(43),
  MEDIASOUP_WORKER_BIN: '/usr/local/bin/mediasoup-worker',
};
const production = {
  ...base,
  LAGEBILD_ENV: 'production',
  SFU_INTERNAL_SECRET: SECRET,
  SFU_CORS_ORIGINS: 'https://leitstelle.duisburg.example',
  VAULT_DIR: '/var/lib/lagebild/vault',
  HSM_TOKEN_LABEL: 'lagebild',
  HSM_PIN_FILE: '/etc/lagebild/hsm.pin',
  DATABASE_URL: 'postgres://lagebild_app:s3cret-long-password@db.internal:5432/lagebild',
};
const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('loadConfig', () => {
  it('development starts with the defaults (no internal secret, CORS *)', () => {
    const c = loadConfig(base);
    expect(c.LAGEBILD_ENV).toBe('development');
    expect(c.SFU_INTERNAL_SECRET).toBe('');
    expect(c.SFU_CORS_ORIGINS).toBe('*');
  });

  it('production starts with a complete, non-demo configuration', () => {
    expect(loadConfig(production).LAGEBILD_ENV).toBe('production');
  });

  it('refuses a short SFU_INTERNAL_SECRET in any mode', () => {
    expect(refusal({ ...base, SFU_INTERNAL_SECRET: 'short' })).toMatch(/SFU_INTERNAL_SECRET: needs 32\+/);
  });

  it('production refuses to start without SFU_INTERNAL_SECRET', () => {
    const { SFU_INTERNAL_SECRET: _, ...env } = production;
    expect(refusal(env)).toMatch(/SFU_INTERNAL_SECRET: required in production.*LAGEBILD_ENV=production/);
  });

  it('production refuses CORS for any origin', () => {
    expect(refusal({ ...production, SFU_CORS_ORIGINS: '*' })).toMatch(/SFU_CORS_ORIGINS: must list/);
    expect(refusal({ ...production, SFU_CORS_ORIGINS: 'https://a.example, *' })).toMatch(/SFU_CORS_ORIGINS/);
  });

  it('production refuses the database superuser and the embedded demo database', () => {
    expect(
      refusal({ ...production, DATABASE_URL: 'postgres://postgres:whatever-long@db.internal/lagebild' }),
    ).toMatch(/DATABASE_URL: connects as the superuser postgres/);
    expect(
      refusal({ ...production, DATABASE_URL: 'postgres://lagebild:lagebild-local@127.0.0.1:5432/lagebild' }),
    ).toMatch(/DATABASE_URL: is the embedded demo database/);
  });

  it('refuses recording without keys (VAULT_DIR set, no token, no key files), naming each variable', () => {
    const { HSM_TOKEN_LABEL: _t, HSM_PIN_FILE: _p, LAGEBILD_ENV: _e, ...env } = production;
    const msg = refusal(env);
    expect(msg).toMatch(/VAULT_SIGNING_KEY_FILE: required when VAULT_DIR is set/);
    expect(msg).toMatch(/VAULT_KEYRING_FILE: required when VAULT_DIR is set/);
    expect(refusal({ ...env, VAULT_KEYRING_FILE: '/k.json', VAULT_SIGNING_KEY_FILE: '/s.pem' })).toBe(
      'accepted',
    );
  });

  it('[KC4] production refuses the development key files and requires a token (issue 13)', () => {
    const files = { VAULT_KEYRING_FILE: '/etc/lagebild/keyring.json', VAULT_SIGNING_KEY_FILE: '/s.pem' };
    const msg = refusal({ ...production, ...files });
    expect(msg).toMatch(/VAULT_KEYRING_FILE: the key files are a development option/);
    expect(msg).toMatch(/VAULT_SIGNING_KEY_FILE: the key files are a development option/);
    const { HSM_TOKEN_LABEL: _t, ...noToken } = production;
    expect(refusal(noToken)).toMatch(/HSM_TOKEN_LABEL: required in production/);
    expect(refusal({ ...production, HSM_PIN_FILE: '' })).toMatch(
      /HSM_PIN_FILE: required with HSM_TOKEN_LABEL/,
    );
  });

  it('the benchmark seam SFU_BENCH_PLAIN_CONSUMERS (issue 17): off by default, refused in production and without the internal secret', () => {
    expect(loadConfig(base).SFU_BENCH_PLAIN_CONSUMERS).toBe('off');
    expect(refusal({ ...production, SFU_BENCH_PLAIN_CONSUMERS: 'on' })).toMatch(
      /SFU_BENCH_PLAIN_CONSUMERS: is a benchmark seam.*LAGEBILD_ENV=production/,
    );
    expect(refusal({ ...base, SFU_BENCH_PLAIN_CONSUMERS: 'on' })).toMatch(
      /SFU_BENCH_PLAIN_CONSUMERS: on needs SFU_INTERNAL_SECRET/,
    );
    expect(refusal({ ...base, SFU_BENCH_PLAIN_CONSUMERS: 'yes' })).toMatch(/SFU_BENCH_PLAIN_CONSUMERS/);
    expect(
      loadConfig({ ...base, SFU_INTERNAL_SECRET: SECRET, SFU_BENCH_PLAIN_CONSUMERS: 'on' })
        .SFU_BENCH_PLAIN_CONSUMERS,
    ).toBe('on');
  });

  it('lists every problem at once', () => {
    const msg = refusal({ ...base, LAGEBILD_ENV: 'production', DATABASE_URL: 'postgres://postgres:x@h/db' });
    expect(
      msg
        .split('\n')
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim().split(':')[0]),
    ).toEqual(expect.arrayContaining(['SFU_INTERNAL_SECRET', 'SFU_CORS_ORIGINS', 'DATABASE_URL']));
  });

  it('refuses an unknown LAGEBILD_ENV', () => {
    expect(refusal({ ...base, LAGEBILD_ENV: 'prod' })).toMatch(/LAGEBILD_ENV/);
  });
});
