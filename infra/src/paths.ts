/** Where things are in the repository, for runners that start services from source. */
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const GATEWAY_ENTRY = fileURLToPath(new URL('../../gateway/src/main.ts', import.meta.url));
export const SFU_ENTRY = fileURLToPath(new URL('../../sfu/src/main.ts', import.meta.url));
export const SIM_ENTRY = fileURLToPath(new URL('../../sim/src/main.ts', import.meta.url));
/** `npm start`'s runner, which tests start as a whole (test/src/local-runner.ts) */
export const RUN_LOCAL_ENTRY = fileURLToPath(new URL('./run-local.ts', import.meta.url));
export const WEB_OUT = fileURLToPath(new URL('../../web/out', import.meta.url));
