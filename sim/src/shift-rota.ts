/**
 * Shift changes through the gateway's Dienst API (issue 15), so `npm start` shows a living day: the
 * simulator signs in as each city's demo supervisor — a real user whose actions are audited as
 * theirs, rather than a service account with rights no person has — and now and then ends one
 * unit's shift (its camera keeps reporting and shows as "not on duty" in the control room), then,
 * after a handover pause, starts the unit's next shift with the same camera and the next officer's
 * personnel number. Only cameras this simulator drives are rotated. Every call is the same HTTP
 * request the Dienst page makes; a refusal (another supervisor was faster) is counted, not retried.
 */
import { DutyBoardResponse, ShiftResponse } from '@lagebild/protocol';

export interface ShiftRotaLogin {
  username: string;
  password: string;
}

export interface ShiftRotaOptions {
  url: string;
  logins: readonly ShiftRotaLogin[];
  /** the cameras this simulator drives; only their shifts change */
  deviceIds: readonly string[];
  /** how often, per login, a shift ends (simulated time is the caller's business) */
  everyMs: number;
  /** how long a camera stays off duty between two shifts */
  handoverMs: number;
  rng: () => number;
  onError?: (message: string) => void;
}

export interface ShiftRotaStats {
  ended: number;
  started: number;
  refused: number;
}

export interface ShiftRota {
  stats(): ShiftRotaStats;
  stop(): void;
}

export function startShiftRota(opts: ShiftRotaOptions): ShiftRota {
  const stats: ShiftRotaStats = { ended: 0, started: 0, refused: 0 };
  const ours = new Set(opts.deviceIds);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  const later = (ms: number, fn: () => Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn().catch((err: Error) => opts.onError?.(err.message));
    }, ms);
    timers.add(t);
  };

  for (const login of opts.logins) {
    let cookie: string | null = null;
    /** one call as this supervisor; signs in (again) when the session is missing or expired */
    const call = async (path: string, body?: unknown): Promise<Response> => {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (!cookie) cookie = await signIn(opts.url, login);
        const res = await fetch(`${opts.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.status !== 401) return res;
        cookie = null;
      }
      throw new Error(`${login.username}: signed out twice in a row`);
    };

    // one change at a time per supervisor: the next is planned once this one is done
    const rotateOne = async () => {
      try {
        await changeOne();
      } finally {
        later(opts.everyMs * (0.5 + opts.rng()), rotateOne);
      }
    };
    const changeOne = async () => {
      const board = DutyBoardResponse.parse(await (await call('/api/duty')).json());
      const onDuty = board.units.filter((u) => u.shift && ours.has(u.shift.deviceId));
      if (onDuty.length === 0) return;
      const unit = onDuty[Math.floor(opts.rng() * onDuty.length)]!;
      const shift = unit.shift!;
      const end = await call(`/api/duty/shifts/${shift.id}/end`, {});
      if (!end.ok) {
        stats.refused++;
        opts.onError?.(`ending the shift of ${unit.callsign} refused: ${end.status} ${await end.text()}`);
        return;
      }
      stats.ended++;
      later(opts.handoverMs, async () => {
        const res = await call('/api/duty/shifts', {
          unitId: unit.id,
          deviceId: shift.deviceId,
          personnelNumber: `P-${1000 + Math.floor(opts.rng() * 9000)}`,
        });
        if (res.status === 201) {
          ShiftResponse.parse(await res.json());
          stats.started++;
        } else {
          stats.refused++;
          opts.onError?.(`starting a shift of ${unit.callsign} refused: ${res.status} ${await res.text()}`);
        }
      });
    };
    later(opts.everyMs * opts.rng(), rotateOne);
  }

  return {
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

async function signIn(url: string, login: ShiftRotaLogin): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!res.ok || !cookie) throw new Error(`${login.username} could not sign in (HTTP ${res.status})`);
  return cookie;
}
