/**
 * The environment variables that point a service at its PKCS#11 token, declared once for the gateway
 * and the SFU (each merges them into its own config schema), and the checks both apply: a token needs
 * a PIN file; production refuses the development key files and requires a token.
 */
import { z } from 'zod';
import type { HsmConfig } from './pkcs11-token.ts';

export const HsmEnv = z.object({
  /** the PKCS#11 library: SoftHSM2 by default, or the HSM vendor's (Utimaco, Luna, a cloud HSM) */
  HSM_MODULE: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so'),
  /** the token holding the tenants' key-encryption keys and the signing key; empty = no HSM */
  HSM_TOKEN_LABEL: z.string().default(''),
  /** a file (0600) holding the token's user PIN */
  HSM_PIN_FILE: z.string().default(''),
  /** the name of this service's Ed25519 signing key in the token (object label `sign/<name>`) */
  HSM_SIGNING_KEY: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .default('service'),
});
type HsmEnvValues = z.infer<typeof HsmEnv> & {
  LAGEBILD_ENV: string;
  VAULT_DIR: string;
  VAULT_KEYRING_FILE: string;
  VAULT_SIGNING_KEY_FILE: string;
};

export const hsmConfigOf = (c: z.infer<typeof HsmEnv>): HsmConfig | null =>
  c.HSM_TOKEN_LABEL
    ? { modulePath: c.HSM_MODULE, tokenLabel: c.HSM_TOKEN_LABEL, pinFile: c.HSM_PIN_FILE }
    : null;

/** What the key settings get wrong; each names its variable. */
export function hsmIssues(c: HsmEnvValues): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (c.HSM_TOKEN_LABEL && !c.HSM_PIN_FILE)
    out.push({ path: 'HSM_PIN_FILE', message: 'required with HSM_TOKEN_LABEL (a file holding the PIN)' });
  if (c.LAGEBILD_ENV !== 'production') return out;
  if (!c.HSM_TOKEN_LABEL)
    out.push({
      path: 'HSM_TOKEN_LABEL',
      message: 'required in production: keys live in a PKCS#11 token (HSM_MODULE, HSM_PIN_FILE)',
    });
  for (const name of ['VAULT_KEYRING_FILE', 'VAULT_SIGNING_KEY_FILE'] as const) {
    if (c[name])
      out.push({
        path: name,
        message: 'the key files are a development option; production keeps keys in the HSM (unset it)',
      });
  }
  return out;
}
