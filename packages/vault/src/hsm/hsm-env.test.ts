/**
 * The key settings' checks (issue 13): in production the gateway's signing key lives in a token of
 * its own, apart from the key token whose PIN the SFU also gets.
 */
import { describe, expect, it } from 'vitest';
import { HsmEnv, hsmIssues } from './hsm-env.ts';

const production = {
  LAGEBILD_ENV: 'production',
  VAULT_DIR: '/var/lib/lagebild/vault',
  VAULT_KEYRING_FILE: '',
  VAULT_SIGNING_KEY_FILE: '',
  ...HsmEnv.parse({
    HSM_TOKEN_LABEL: 'lagebild',
    HSM_PIN_FILE: '/etc/lagebild/keys.pin',
    HSM_SIGNING_TOKEN_LABEL: 'lagebild-gateway',
    HSM_SIGNING_PIN_FILE: '/etc/lagebild/gateway.pin',
  }),
};
const paths = (c: typeof production, service?: 'gateway' | 'sfu') => hsmIssues(c, service).map((i) => i.path);

describe('[KC7] production keeps the gateway signing key out of the key token', () => {
  it('accepts a gateway with a signing token of its own', () => {
    expect(hsmIssues(production, 'gateway')).toEqual([]);
  });

  it('refuses a gateway without one, with the key token as its signing token, or with its PIN file', () => {
    expect(paths({ ...production, HSM_SIGNING_TOKEN_LABEL: '', HSM_SIGNING_PIN_FILE: '' })).toEqual([
      'HSM_SIGNING_TOKEN_LABEL',
    ]);
    expect(paths({ ...production, HSM_SIGNING_TOKEN_LABEL: 'lagebild' })).toEqual([
      'HSM_SIGNING_TOKEN_LABEL',
    ]);
    expect(paths({ ...production, HSM_SIGNING_PIN_FILE: production.HSM_PIN_FILE })).toEqual([
      'HSM_SIGNING_PIN_FILE',
    ]);
  });

  it('lets the SFU run with the key token alone; a signing token needs its PIN file in every mode', () => {
    expect(
      hsmIssues({ ...production, HSM_SIGNING_TOKEN_LABEL: '', HSM_SIGNING_PIN_FILE: '' }, 'sfu'),
    ).toEqual([]);
    expect(paths({ ...production, LAGEBILD_ENV: 'development', HSM_SIGNING_PIN_FILE: '' }, 'sfu')).toEqual([
      'HSM_SIGNING_PIN_FILE',
    ]);
  });
});
