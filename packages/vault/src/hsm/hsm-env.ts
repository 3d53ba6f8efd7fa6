/**
 * The environment variables that point a service at its PKCS#11 tokens, declared once for the gateway
 * and the SFU (each merges them into its own config schema), and the checks both apply.
 *
 * Two tokens, because a PKCS#11 user PIN opens every object of its token (issue 13): the **key
 * token** (`HSM_TOKEN_LABEL`) holds the tenants' key-encryption keys and the recorder's manifest key;
 * gateway and SFU both get its PIN. The gateway's **signing token** (`HSM_SIGNING_TOKEN_LABEL`) holds
 * the key that signs audit checkpoints, deletion receipts and export notes; only the gateway (and
 * `npm run keys`) gets its PIN, so the internet-facing SFU cannot sign a checkpoint. Production
 * refuses a gateway whose signing key would sit in the key token.
 */
import { z } from 'zod';
import type { HsmConfig } from './pkcs11-token.ts';

/** the name of a signing key in a token (object label `sign/<name>`) */
export const SigningKeyName = z.string().regex(/^[a-z0-9-]{1,32}$/);

export const HsmEnv = z.object({
  /** the PKCS#11 library: SoftHSM2 by default, or the HSM vendor's (Utimaco, Luna, a cloud HSM) */
  HSM_MODULE: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so'),
  /** the key token: the tenants' key-encryption keys (and the recorder's manifest key); empty = no HSM */
  HSM_TOKEN_LABEL: z.string().default(''),
  /** a file (0600) holding the key token's user PIN */
  HSM_PIN_FILE: z.string().default(''),
  /** the token holding this service's own signing key; empty = the key token (development only) */
  HSM_SIGNING_TOKEN_LABEL: z.string().default(''),
  /** a file (0600) holding the signing token's user PIN, readable by this service only */
  HSM_SIGNING_PIN_FILE: z.string().default(''),
  /** the name of this service's Ed25519 signing key (object label `sign/<name>`); the SFU's is `recorder` */
  HSM_SIGNING_KEY: SigningKeyName.default('gateway'),
});
type HsmEnvValues = z.infer<typeof HsmEnv> & {
  LAGEBILD_ENV: string;
  VAULT_DIR: string;
  VAULT_KEYRING_FILE: string;
  VAULT_SIGNING_KEY_FILE: string;
};

/** the key token */
export const hsmConfigOf = (c: z.infer<typeof HsmEnv>): HsmConfig | null =>
  c.HSM_TOKEN_LABEL
    ? { modulePath: c.HSM_MODULE, tokenLabel: c.HSM_TOKEN_LABEL, pinFile: c.HSM_PIN_FILE }
    : null;

/** the token of this service's own signing key; null = the key token */
export const hsmSigningConfigOf = (c: z.infer<typeof HsmEnv>): HsmConfig | null =>
  c.HSM_SIGNING_TOKEN_LABEL
    ? { modulePath: c.HSM_MODULE, tokenLabel: c.HSM_SIGNING_TOKEN_LABEL, pinFile: c.HSM_SIGNING_PIN_FILE }
    : null;

/**
 * What the key settings get wrong; each names its variable. `service` is who reads them: only the
 * gateway must keep its signing key apart from the key token the SFU can open.
 */
export function hsmIssues(
  c: HsmEnvValues,
  service: 'gateway' | 'sfu' = 'gateway',
): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (c.HSM_TOKEN_LABEL && !c.HSM_PIN_FILE)
    out.push({ path: 'HSM_PIN_FILE', message: 'required with HSM_TOKEN_LABEL (a file holding the PIN)' });
  if (c.HSM_SIGNING_TOKEN_LABEL && !c.HSM_SIGNING_PIN_FILE)
    out.push({
      path: 'HSM_SIGNING_PIN_FILE',
      message: 'required with HSM_SIGNING_TOKEN_LABEL (a file holding that token’s PIN)',
    });
  if (c.HSM_SIGNING_TOKEN_LABEL && !c.HSM_TOKEN_LABEL)
    out.push({ path: 'HSM_TOKEN_LABEL', message: 'required with HSM_SIGNING_TOKEN_LABEL (the key token)' });
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
  if (service === 'gateway' && c.HSM_TOKEN_LABEL) {
    if (!c.HSM_SIGNING_TOKEN_LABEL || c.HSM_SIGNING_TOKEN_LABEL === c.HSM_TOKEN_LABEL)
      out.push({
        path: 'HSM_SIGNING_TOKEN_LABEL',
        message:
          'required in production and not the key token: the audit checkpoint key lives in a token whose PIN only the gateway has (the SFU gets HSM_TOKEN_LABEL’s)',
      });
    else if (c.HSM_SIGNING_PIN_FILE && c.HSM_SIGNING_PIN_FILE === c.HSM_PIN_FILE)
      out.push({
        path: 'HSM_SIGNING_PIN_FILE',
        message: 'must not be the key token’s PIN file (HSM_PIN_FILE), which the SFU reads too',
      });
  }
  return out;
}
