/**
 * The PKCS#11 tokens of `npm start` and the test stacks (issue 13), in one SoftHSM2 token directory:
 *
 *   lagebild          the key token: the tenants' KEKs and the recorder's manifest key sign/recorder;
 *                     its PIN goes to the gateway and the SFU
 *   lagebild-gateway  the gateway's signing token: sign/gateway signs audit checkpoints, deletion
 *                     receipts and export notes; its PIN goes to the gateway only
 *
 * A PKCS#11 user PIN opens every object of its token, so keeping the checkpoint key in a token of its
 * own is what keeps it from the internet-facing SFU. Both signing keys are made here, before the
 * services start, so that they never race to make two. Installs from before kept one key
 * `sign/service` in the key token; its private half is destroyed (the SFU could sign with it), its
 * public half stays so that what it signed still verifies. On one machine both services run as the
 * same Unix user and could each read the other's PIN file; in production they run apart
 * (docs/keys-and-evidence.md).
 */
import {
  ensureSoftHsmToken,
  hsmSigner,
  isSigningKeyOf,
  listHsmPrivateSigningKeys,
  listHsmSigningKeys,
  openHsmToken,
  type SoftHsmSetup,
  withdrawHsmSigner,
} from '@lagebild/vault';

export const KEY_TOKEN = 'lagebild';
export const GATEWAY_TOKEN = 'lagebild-gateway';
export const GATEWAY_SIGNING_KEY = 'gateway';
export const RECORDER_SIGNING_KEY = 'recorder';
/** the single signing key of installs before the split */
const LEGACY_SIGNING_KEY = 'service';

type KeyTokenEnv = Record<'HSM_MODULE' | 'HSM_TOKEN_LABEL' | 'HSM_PIN_FILE' | 'SOFTHSM2_CONF', string>;

export interface ServiceTokens {
  keyToken: SoftHsmSetup;
  gatewayToken: SoftHsmSetup;
  /** the key token and the gateway's own signing token (HSM_SIGNING_*) */
  gatewayEnv: KeyTokenEnv &
    Record<'HSM_SIGNING_TOKEN_LABEL' | 'HSM_SIGNING_PIN_FILE' | 'HSM_SIGNING_KEY', string>;
  /** the key token only */
  sfuEnv: KeyTokenEnv & { HSM_SIGNING_KEY: string };
  /**
   * the public keys audit checkpoints may be signed with (PEM blocks): the gateway's, current first,
   * then retired ones and the old `sign/service`; never the recorder's
   */
  checkpointKeysPem: string;
  /** the recorder's public key (PEM): what live recordings' manifests are signed with */
  recorderKeyPem: string;
  /** what changed, for the start's output */
  notes: string[];
}

export async function ensureServiceTokens(dir: string): Promise<ServiceTokens> {
  const keyToken = await ensureSoftHsmToken(dir, KEY_TOKEN);
  const gatewayToken = await ensureSoftHsmToken(dir, GATEWAY_TOKEN);
  const notes: string[] = [];
  const keys = openHsmToken(keyToken);
  const gw = openHsmToken(gatewayToken);
  try {
    if (listHsmPrivateSigningKeys(keys).some((l) => isSigningKeyOf(l, LEGACY_SIGNING_KEY))) {
      const n = withdrawHsmSigner(keys, LEGACY_SIGNING_KEY);
      notes.push(
        `sign/service: ${n} private key(s) destroyed in token ${KEY_TOKEN} (the SFU could open it); its signatures still verify. The gateway now signs with sign/${GATEWAY_SIGNING_KEY} in token ${GATEWAY_TOKEN}, the recorder with sign/${RECORDER_SIGNING_KEY}`,
      );
    }
    const recorder = hsmSigner(keys, RECORDER_SIGNING_KEY);
    const gateway = hsmSigner(gw, GATEWAY_SIGNING_KEY);
    const retired = [
      ...listHsmSigningKeys(gw).filter((k) => k.fingerprint !== gateway.fingerprint),
      ...listHsmSigningKeys(keys).filter((k) => isSigningKeyOf(k.label, LEGACY_SIGNING_KEY)),
    ];
    const common = {
      HSM_MODULE: keyToken.modulePath,
      HSM_TOKEN_LABEL: keyToken.tokenLabel,
      HSM_PIN_FILE: keyToken.pinFile,
      SOFTHSM2_CONF: keyToken.conf,
    };
    return {
      keyToken,
      gatewayToken,
      gatewayEnv: {
        ...common,
        HSM_SIGNING_TOKEN_LABEL: gatewayToken.tokenLabel,
        HSM_SIGNING_PIN_FILE: gatewayToken.pinFile,
        HSM_SIGNING_KEY: GATEWAY_SIGNING_KEY,
      },
      sfuEnv: { ...common, HSM_SIGNING_KEY: RECORDER_SIGNING_KEY },
      checkpointKeysPem: [gateway.publicKeyPem, ...retired.map((k) => k.publicKeyPem)].join(''),
      recorderKeyPem: recorder.publicKeyPem,
      notes,
    };
  } finally {
    gw.close();
    keys.close();
  }
}
