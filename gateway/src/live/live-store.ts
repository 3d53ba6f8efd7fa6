/**
 * The latest state per unit, shared by all gateway processes through Redis: a hash per tenant of
 * UnitLive JSON, a hash of seqs guarded by a Lua compare-and-set (the state never moves backwards,
 * whichever gateway writes; the writes of one event-loop turn go in one call), and a hash of the
 * connection currently holding each device.
 * Redis is a cache: a marker key says the tenant's states are complete; Redis losing its data loses
 * the marker too, and the next snapshot merges the latest persisted state of every unit back from
 * PostgreSQL (through the same compare-and-set, so newer live states win).
 */
import type { UnitLive } from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type pg from 'pg';

const keys = (tenantId: string) => ({
  live: `lb:{${tenantId}}:live`,
  seq: `lb:{${tenantId}}:seq`,
  online: `lb:{${tenantId}}:online`,
  complete: `lb:{${tenantId}}:complete`,
});

// ARGV: (deviceId, seq, json) triples in order; answers 1 (written) or 0 (not newer) per triple
const CAS_LIVE = `
local out = {}
for i = 1, #ARGV, 3 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

/** at most this many states in one script call, so Redis is never blocked long by one of them */
const PUTS_PER_CALL = 500;

const DEL_IF_EQUAL = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

// a shift started or ended (issue 15): the device's unit fields change, its state and seq do not
const REASSIGN = `
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return nil end
local o = cjson.decode(json)
local p = cjson.decode(ARGV[2])
o.unitId = p.unitId
o.callsign = p.callsign
o.team = p.team
json = cjson.encode(o)
redis.call('HSET', KEYS[1], ARGV[1], json)
return json`;

type StoredLive = Omit<UnitLive, 'online'>;

/** The unit a device is worn by; all null when it is on no shift. */
export type DeviceAssignment = Pick<UnitLive, 'unitId' | 'callsign' | 'team'>;

export interface LiveStore {
  put(tenantId: string, unit: UnitLive): Promise<boolean>;
  get(tenantId: string, deviceId: string): Promise<UnitLive | null>;
  markOnline(tenantId: string, deviceId: string, connId: string): Promise<void>;
  markOffline(tenantId: string, deviceId: string, connId: string): Promise<void>;
  snapshot(tenantId: string): Promise<UnitLive[]>;
  /** rewrites the unit a device's cached state names (a shift started or ended); null if none cached */
  reassign(tenantId: string, deviceId: string, to: DeviceAssignment): Promise<UnitLive | null>;
}

interface PendingPut {
  deviceId: string;
  seq: number;
  json: string;
  resolve(written: boolean): void;
  reject(err: unknown): void;
}

export function createLiveStore(redis: Redis, pool: pg.Pool): LiveStore {
  redis.defineCommand('lbCasLive', { numberOfKeys: 2, lua: CAS_LIVE });
  redis.defineCommand('lbDelIfEqual', { numberOfKeys: 1, lua: DEL_IF_EQUAL });
  redis.defineCommand('lbReassign', { numberOfKeys: 1, lua: REASSIGN });
  const r = redis as Redis & {
    lbReassign(liveKey: string, deviceId: string, json: string): Promise<string | null>;
    lbCasLive(seqKey: string, liveKey: string, ...triples: Array<string | number>): Promise<number[]>;
    lbDelIfEqual(key: string, field: string, value: string): Promise<number>;
  };

  const encode = ({ online: _online, ...rest }: UnitLive): string => JSON.stringify(rest);

  // Writes made in one turn of the event loop (every status read from the sockets in one poll)
  // go to Redis together, one script call per tenant, right after that poll: at 10,000 devices a
  // few hundred calls a second instead of one per status (issue 17), with no added delay.
  let pending = new Map<string, PendingPut[]>();
  let scheduled = false;

  function flushPuts() {
    scheduled = false;
    const byTenant = pending;
    pending = new Map();
    for (const [tenantId, puts] of byTenant) {
      const k = keys(tenantId);
      for (let i = 0; i < puts.length; i += PUTS_PER_CALL) {
        const call = puts.slice(i, i + PUTS_PER_CALL);
        r.lbCasLive(k.seq, k.live, ...call.flatMap((p) => [p.deviceId, p.seq, p.json])).then(
          (written) => {
            for (let j = 0; j < call.length; j++) call[j]!.resolve(written[j] === 1);
          },
          (err: unknown) => {
            for (const p of call) p.reject(err);
          },
        );
      }
    }
  }

  function put(tenantId: string, unit: UnitLive): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let puts = pending.get(tenantId);
      if (!puts) {
        puts = [];
        pending.set(tenantId, puts);
      }
      puts.push({ deviceId: unit.deviceId, seq: unit.seq, json: encode(unit), resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushPuts);
      }
    });
  }

  async function rebuildFromDatabase(tenantId: string): Promise<void> {
    const { rows } = await pool.query<
      StoredLive & { lat: number | null; lng: number | null; accuracyM: number | null }
    >(
      `SELECT DISTINCT ON (e.device_id)
              e.device_id AS "deviceId", d.label AS "deviceLabel", s.unit_id AS "unitId", u.callsign, u.team,
              e.seq::float8 AS seq, (extract(epoch FROM e.device_time) * 1000)::float8 AS at,
              (extract(epoch FROM e.received_at) * 1000)::float8 AS "receivedAt",
              e.lat, e.lng, e.accuracy_m AS "accuracyM", e.heading_deg AS "headingDeg", e.speed_mps AS "speedMps",
              e.battery_pct AS "batteryPct", e.signal_bars AS "signalBars", e.network, e.stage, e.announced,
              e.emergency,
              COALESCE((SELECT (extract(epoch FROM c.device_time) * 1000)::float8 FROM stage_changes c
                         WHERE c.device_id = e.device_id ORDER BY c.seq DESC LIMIT 1),
                       (extract(epoch FROM e.device_time) * 1000)::float8) AS "stageSince"
         FROM status_events e
         JOIN devices d ON d.id = e.device_id AND d.state = 'active'
         -- a camera reporting without a shift is kept too: the control room lists it as not on duty
         LEFT JOIN shifts s ON s.device_id = e.device_id AND s.ended_at IS NULL
         LEFT JOIN units u ON u.id = s.unit_id
        WHERE e.tenant_id = $1 AND (s.id IS NOT NULL OR e.received_at > now() - interval '24 hours')
        ORDER BY e.device_id, e.seq DESC`,
      [tenantId],
    );
    const units: StoredLive[] = rows.map(({ lat, lng, accuracyM, ...u }) => ({
      ...u,
      at: Math.round(u.at),
      receivedAt: Math.round(u.receivedAt),
      stageSince: Math.round(u.stageSince),
      position: lat === null || lng === null ? null : { lat, lng, accuracyM: accuracyM ?? 0 },
    }));
    await Promise.all(units.map((u) => put(tenantId, { ...u, online: false })));
  }

  return {
    put,
    async get(tenantId, deviceId) {
      const k = keys(tenantId);
      const [json, conn] = await Promise.all([r.hget(k.live, deviceId), r.hget(k.online, deviceId)]);
      return json ? { ...(JSON.parse(json) as StoredLive), online: conn !== null } : null;
    },
    async reassign(tenantId, deviceId, to) {
      const k = keys(tenantId);
      const json = await r.lbReassign(k.live, deviceId, JSON.stringify(to));
      if (!json) return null;
      // Lua's cjson keeps JSON nulls (cjson.null); `to` is spread again so the answer never depends on it
      const stored = { ...(JSON.parse(json) as StoredLive), ...to };
      return { ...stored, online: (await r.hget(k.online, deviceId)) !== null };
    },
    async markOnline(tenantId, deviceId, connId) {
      await r.hset(keys(tenantId).online, deviceId, connId);
    },
    async markOffline(tenantId, deviceId, connId) {
      await r.lbDelIfEqual(keys(tenantId).online, deviceId, connId);
    },
    async snapshot(tenantId) {
      const k = keys(tenantId);
      if (!(await r.exists(k.complete))) {
        await rebuildFromDatabase(tenantId);
        await r.set(k.complete, '1');
      }
      const [live, online] = await Promise.all([r.hgetall(k.live), r.hgetall(k.online)]);
      return Object.values(live).map((j) => {
        const u = JSON.parse(j) as StoredLive;
        return { ...u, online: u.deviceId in online };
      });
    },
  };
}
