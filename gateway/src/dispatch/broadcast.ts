/**
 * How incident, alert and request changes reach every dashboard of a tenant (through the Socket.IO
 * Redis adapter, so on every gateway): each change is sent as the whole entity, freshly read from
 * the database after the change committed.
 */
import type { Alert, DispatchRequest, Incident } from '@lagebild/protocol';
import { getAlert, getIncident, getRequest, type Queryable } from './store.ts';

export interface ControlEmitter {
  emit(tenantId: string, event: 'incident', msg: Incident): void;
  emit(tenantId: string, event: 'alert', msg: Alert): void;
  emit(tenantId: string, event: 'dispatch', msg: DispatchRequest): void;
}

export interface Broadcaster {
  incident(id: string): Promise<void>;
  alert(id: string): Promise<void>;
  request(id: string): Promise<void>;
}

export function createBroadcaster(
  db: Queryable,
  out: ControlEmitter,
  onError: (err: unknown) => void,
): Broadcaster {
  const guard = (p: Promise<void>) => p.catch(onError);
  return {
    incident: (id) =>
      guard(
        getIncident(db, id).then((i) => {
          if (!i) return;
          const { tenantId, ...incident } = i;
          out.emit(tenantId, 'incident', incident);
        }),
      ),
    alert: (id) =>
      guard(
        getAlert(db, id).then((a) => {
          if (!a) return;
          const { tenantId, ...alert } = a;
          out.emit(tenantId, 'alert', alert);
        }),
      ),
    request: (id) =>
      guard(
        getRequest(db, id).then((r) => {
          if (!r) return;
          const { tenantId, ...request } = r;
          out.emit(tenantId, 'dispatch', request);
        }),
      ),
  };
}
