/**
 * Run as a process of its own with the SFU's environment (the key settings the test stack started
 * the SFU with), it reports what those settings give: the signing keys the SFU's PIN opens, what
 * C_FindObjects finds for the gateway's checkpoint key, a statement signed with every private
 * signing key it can reach, and whether the SFU's PIN logs in to the gateway's signing token.
 * A process of its own, because a PKCS#11 login holds for the whole process: in the test's process,
 * which opened the gateway's token, any PIN would be let in.
 *
 *   node test/src/sfu-key-probe.ts <gateway token label> <gateway key name> <statement>
 */
import {
  HsmEnv,
  hsmConfigOf,
  hsmSigner,
  hsmSigningConfigOf,
  listHsmPrivateSigningKeys,
  openHsmToken,
  openKeySource,
  SigningKeyName,
} from '@lagebild/vault';

const CKO_PRIVATE_KEY = 3;
const [gatewayToken, gatewayKey, statement] = process.argv.slice(2) as [string, string, string];
// the SFU's own schema: HsmEnv with the recorder's key name as default (sfu/src/config.ts)
const env = HsmEnv.extend({ HSM_SIGNING_KEY: SigningKeyName.default('recorder') }).parse(process.env);

const keys = await openKeySource({
  hsm: hsmConfigOf(env),
  signingHsm: hsmSigningConfigOf(env),
  signerName: env.HSM_SIGNING_KEY,
});
const usable = keys.usableSigningKeys();
const signer = keys.signer.fingerprint;
keys.close();

const token = openHsmToken(hsmConfigOf(env)!);
const found = token.find(CKO_PRIVATE_KEY, `sign/${gatewayKey}`).length;
const privateKeys = token.find(CKO_PRIVATE_KEY).map((h) => token.labelOf(h));
// a forged checkpoint statement, signed with every private signing key the SFU can reach
const forged = listHsmPrivateSigningKeys(token).map((label) => ({
  label,
  signature: hsmSigner(token, label.slice('sign/'.length)).sign(statement).toString('base64'),
}));
token.close();

let login = 'ok';
try {
  openHsmToken({ modulePath: env.HSM_MODULE, tokenLabel: gatewayToken, pinFile: env.HSM_PIN_FILE }).close();
} catch (err) {
  login = (err as Error).message;
}
console.log(JSON.stringify({ signer, usable, found, privateKeys, forged, login }));
