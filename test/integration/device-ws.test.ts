/**
 * The device protocol over a plain WebSocket (`/api/device/v1/ws`, docs/device-protocol.md D30–D32)
 * across two gateway processes with real PostgreSQL and Redis, spoken by the `ws` client the way any
 * WebSocket stack would: refusals before the upgrade, the durable ack, bad frames, one connection
 * per device across both transports and both gateways, revocation.
 */
import {
  DeviceWsClose,
  DeviceWsOutbound,
  deviceWsSubprotocol,
  MAX_DEVICE_WS_FRAME,
} from '@lagebild/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectDevice, connectOperator, login, type Operator, status, waitFor } from '../src/clients.ts';
import { connectWs, type DeviceWs } from '../src/conformance/device-client.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let duisburg: Stack['tenants'][number];
let opDu: Operator;

beforeAll(async () => {
  stack = await startStack({ gateways: 2, devicesPerTenant: 8 });
  duisburg = stack.tenants[0]!;
  opDu = await connectOperator(
    stack.gateways[1]!.url,
    await login(stack.gateways[1]!.url, 'duisburg.operator', DEMO_PASSWORD),
  );
});

afterAll(async () => {
  opDu?.close();
  await stack?.stop();
});

/** every connection a test opened: each frame the gateway sent must be one of DeviceWsOutbound */
const opened: DeviceWs[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) for (const f of d.frames) DeviceWsOutbound.parse(f);
});

/**
 * Opens a device WebSocket with the conformance command's client; rejects with the HTTP status and
 * ErrorBody of a refusal. `creds` null: no Authorization header.
 */
async function openWs(
  base: string,
  creds: { deviceId: string; secret: string } | null,
  opts: { protocols?: string[]; path?: string; autoPong?: boolean } = {},
): Promise<DeviceWs> {
  const target = { url: base, deviceId: creds?.deviceId ?? '', secret: creds?.secret ?? '' };
  const d = await connectWs(target, { ...opts, authorization: creds ? undefined : null });
  opened.push(d);
  return d;
}

describe('[D30] refusals come before the upgrade, as HTTP answers with a reason', () => {
  it('refuses a missing or unknown subprotocol, another version, missing or wrong credentials, another path', async () => {
    const dev = duisburg.devices[0]!;
    const url = stack.gateways[0]!.url;
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => ({ status: 101, body: null }),
        (e) => e as { status: number; body: unknown },
      );
    expect(await refused(openWs(url, dev, { protocols: [] }))).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringContaining('lagebild.device.v1') } },
    });
    expect(await refused(openWs(url, dev, { protocols: ['lagebild.device.v0'] }))).toMatchObject({
      status: 426,
      body: { error: { code: 'protocol_too_old' } },
    });
    expect(await refused(openWs(url, dev, { protocols: ['lagebild.device.v99'] }))).toMatchObject({
      status: 400,
      body: { error: { code: 'protocol_too_new' } },
    });
    expect(await refused(openWs(url, null))).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated' } },
    });
    expect(await refused(openWs(url, { deviceId: dev.deviceId, secret: 'x'.repeat(43) }))).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated', message: 'unknown device or wrong secret' } },
    });
    expect(await refused(openWs(url, dev, { path: '/api/device/v1/other' }))).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    // and the gateway serves on: the device connects with the right offer among others
    const ok = await openWs(url, dev, { protocols: ['chat', deviceWsSubprotocol()] });
    expect(ok.ws.protocol).toBe(deviceWsSubprotocol());
    ok.ws.close();
    await ok.closed;
  });
});

describe('[D31][D10] statuses over the WebSocket', () => {
  it('acknowledges a status once PostgreSQL holds it, dedups a resent seq, and reaches the dashboards', async () => {
    const dev = duisburg.devices[1]!;
    const d = await openWs(stack.gateways[0]!.url, dev);
    const sent = status(1, { stage: 'display' });
    expect(await d.request('status', sent)).toEqual({ ok: true, seq: 1, duplicate: false });
    const rows = await stack.db.pool.query('SELECT seq, stage FROM status_events WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect(rows.rows.map((r) => [Number(r.seq), r.stage])).toEqual([[1, 'display']]);
    expect(await d.request('status', sent)).toEqual({ ok: true, seq: 1, duplicate: true });
    await waitFor(
      () => opDu.units.get(dev.deviceId)?.seq === 1,
      3000,
      'unit on the dashboard of the other gateway',
    );
    expect(opDu.units.get(dev.deviceId)).toMatchObject({ online: true, stage: 'display' });
    d.ws.close();
    await d.closed;
    await waitFor(() => opDu.units.get(dev.deviceId)?.online === false, 3000, 'offline after the close');
  });
});

describe('[D31][D8] bad frames get a reason, never a crash, and the connection serves on', () => {
  it('answers text that is not JSON, binary frames, unknown types and bad statuses', async () => {
    const dev = duisburg.devices[2]!;
    const d = await openWs(stack.gateways[0]!.url, dev);
    const errorAfter = async (send: () => void) => {
      const n = d.frames.length;
      send();
      await waitFor(() => d.frames.length > n, 3000, 'an answer');
      return d.frames[n];
    };
    expect(await errorAfter(() => d.ws.send('not json'))).toMatchObject({
      type: 'error',
      ref: null,
      data: { code: 'bad_request', message: 'frame is not JSON' },
    });
    expect(await errorAfter(() => d.ws.send(Buffer.from([1, 2, 3])))).toMatchObject({
      type: 'error',
      data: { code: 'bad_request' },
    });
    expect(
      await errorAfter(() => d.ws.send(JSON.stringify({ type: 'telnet', ref: 7, data: {} }))),
    ).toMatchObject({
      type: 'error',
      ref: 7,
      data: { code: 'bad_request' },
    });
    expect(
      await d.request('status', { ...status(1), position: { lat: 123, lng: 7, accuracyM: 3 } }),
    ).toMatchObject({
      ok: false,
      code: 'bad_request',
      seq: 1,
      retry: false,
    });
    expect(await d.request('status', { ...status(1), unannouncedReason: 'x'.repeat(3000) })).toMatchObject({
      ok: false,
      code: 'too_large',
    });
    expect(await d.request('status', status(2))).toEqual({ ok: true, seq: 2, duplicate: false });
    // a frame larger than the protocol's bound ends the connection (1009), nothing else
    d.ws.send(JSON.stringify({ type: 'status', ref: 99, data: 'x'.repeat(MAX_DEVICE_WS_FRAME) }));
    expect(await d.closed).toBe(1009);
    const again = await openWs(stack.gateways[0]!.url, dev);
    expect(await again.request('status', status(3))).toEqual({ ok: true, seq: 3, duplicate: false });
    again.ws.close();
  });
});

describe('[D14][D32] one connection per device, whichever transport and gateway', () => {
  it('a newer WebSocket replaces a Socket.IO connection, and a newer Socket.IO connection a WebSocket', async () => {
    const dev = duisburg.devices[3]!;
    const sio = await connectDevice(stack.gateways[0]!.url, dev);
    const sioGone = new Promise((resolve) => sio.socket.once('disconnect', resolve));
    const d = await openWs(stack.gateways[1]!.url, dev);
    expect(await sioGone).toBe('io server disconnect');
    expect(await d.request('status', status(1))).toMatchObject({ ok: true });
    const sio2 = await connectDevice(stack.gateways[0]!.url, dev);
    expect(await d.closed).toBe(DeviceWsClose.replaced);
    expect(await sio2.send(status(2))).toMatchObject({ ok: true, seq: 2 });
    sio2.close();
  });
});

describe('[D5][D32] revocation', () => {
  it('tells a device connected to the other gateway why, closes it, and refuses it from then on', async () => {
    const dev = duisburg.devices[4]!;
    const d = await openWs(stack.gateways[1]!.url, dev);
    const admin = await login(stack.gateways[0]!.url, 'duisburg.admin', DEMO_PASSWORD);
    const res = await fetch(`${stack.gateways[0]!.url}/api/devices/${dev.deviceId}/revoke`, {
      method: 'POST',
      headers: { cookie: admin },
    });
    expect(res.status).toBe(200);
    expect(await d.closed).toBe(DeviceWsClose.revoked);
    expect(d.frames).toContainEqual({
      type: 'bye',
      data: { code: 'forbidden', message: 'this device has been revoked' },
    });
    await expect(openWs(stack.gateways[0]!.url, dev)).rejects.toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
  });
});

describe('[D32] silence', () => {
  it('cuts a connection that answers neither with frames nor pongs, and keeps one that answers pings', async () => {
    const [mute, quiet] = [duisburg.devices[5]!, duisburg.devices[6]!];
    const gone = await openWs(stack.gateways[0]!.url, mute, { autoPong: false });
    const kept = await openWs(stack.gateways[0]!.url, quiet);
    expect(await gone.request('status', status(1))).toMatchObject({ ok: true });
    expect(await kept.request('status', status(1))).toMatchObject({ ok: true });
    await waitFor(() => opDu.units.get(mute.deviceId)?.online === true, 3000, 'online');
    // pinged after 5 s of silence, cut 5 s later (the test's own timeout bounds the wait)
    expect(await gone.closed).toBe(1006);
    await waitFor(() => opDu.units.get(mute.deviceId)?.online === false, 3000, 'offline after the cut');
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    expect(opDu.units.get(quiet.deviceId)?.online).toBe(true);
    kept.ws.close();
  }, 30_000);
});
