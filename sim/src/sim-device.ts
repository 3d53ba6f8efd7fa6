/**
 * One simulated body camera: its models (patrol, GNSS, escalation, battery, radio), its outbox and
 * its connection to the gateway (Socket.IO's `/device` or the plain WebSocket: device-channel.ts).
 * The simulation's timer wheel calls `tick` once per status period; nothing here owns a periodic
 * timer. The class owns a lifecycle (connection, a few one-shot timers) and ends with `close()`.
 */
import {
  type DeviceDispatchRequest,
  type DeviceReportInput,
  type DeviceStatus,
  type DispatchAnswerAck,
  type ReportAck,
  type Stage,
  StatusAck,
} from '@lagebild/protocol';
import { batteryPct, createBattery, stepBattery } from './battery.ts';
import { type DeviceChannel, type DeviceTransport, openChannel, requestAck } from './device-channel.ts';
import {
  createEscalation,
  type ManualStageOptions,
  setEmergencyManually,
  setStageManually,
  stepEscalation,
} from './escalation.ts';
import { createGnss, sampleFix } from './gnss.ts';
import { Outbox } from './outbox.ts';
import { advancePatrol, createPatrol, destinationOf, holdPatrol, type PatrolMode } from './patrol.ts';
import { deviceSeed, mulberry32, type Rng, uniform } from './prng.ts';
import { createRadio, loseSignal, restoreSignal, stepRadio } from './radio.ts';
import { type Assignment, assign, decideAnswer, type ResponseParams, stepAssignment } from './response.ts';
import type { Behaviour, DeviceSnapshot, SimDeviceSpec, SimEvent, SimStats } from './types.ts';
import type { City } from './waypoints.ts';

/** Refusals that no retry can fix: stop the device instead of hammering the gateway. */
const TERMINAL_CODES: ReadonlySet<string> = new Set([
  'unauthenticated',
  'forbidden',
  'bad_request',
  'protocol_too_old',
  'protocol_too_new',
]);

/** A step longer than this (event loop stalled, laptop slept) is treated as this long. */
const MAX_STEP_MS = 60_000;

/** What all devices of one simulation share. */
export interface DeviceContext {
  readonly url: string;
  readonly timeScale: number;
  readonly behaviour: Behaviour;
  readonly ackTimeoutMs: number;
  /** Socket.IO's `/device` or the plain WebSocket (docs/device-protocol.md) */
  readonly transport: DeviceTransport;
  readonly maxInFlight: number;
  readonly seed: number;
  readonly vehicleShare: number;
  readonly response: ResponseParams;
  /** mutable counters, summed over devices */
  readonly counters: Omit<SimStats, 'devices' | 'buffered'>;
  /** undefined when nobody listens, so events are not even built */
  readonly emit: ((e: SimEvent) => void) | undefined;
  /** ask to be pumped again at the next wheel firing (outbox backing off) */
  wantPump(d: SimDevice): void;
}

export class SimDevice {
  readonly deviceId: string;
  readonly label: string;
  readonly city: City;
  readonly mode: PatrolMode;
  readonly #secret: string;
  readonly #ctx: DeviceContext;
  readonly #rng: Rng;
  readonly #outbox: Outbox<DeviceStatus>;
  readonly #patrol;
  readonly #gnss;
  readonly #escalation;
  readonly #battery;
  readonly #radio;
  #channel: DeviceChannel | undefined;
  #nextSeq: number;
  #lastStatus: DeviceStatus | null = null;
  #simNowMs = 0;
  #lastStepMs = 0;
  #started = false;
  #stopped = false;
  #stopCode: string | null = null;
  #stopMessage: string | null = null;
  #connected = false;
  #connectFailures = 0;
  #offlineUntilMs = 0;
  #offlineTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #assignment: Assignment | null = null;
  readonly #answerTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(spec: SimDeviceSpec, ctx: DeviceContext) {
    this.deviceId = spec.deviceId;
    this.label = spec.label ?? spec.deviceId.slice(0, 8);
    this.city = spec.city;
    this.#secret = spec.secret;
    this.#ctx = ctx;
    this.#rng = mulberry32(deviceSeed(ctx.seed, spec.deviceId));
    this.mode = this.#rng() < ctx.vehicleShare ? 'vehicle' : 'foot';
    this.#nextSeq = spec.initialSeq ?? Date.now() * 1000;
    this.#outbox = new Outbox<DeviceStatus>({ maxInFlight: ctx.maxInFlight, rng: this.#rng });
    this.#patrol = createPatrol(spec.city, this.mode, this.#rng);
    this.#gnss = createGnss(this.#rng);
    this.#escalation = createEscalation(0, this.#rng);
    this.#battery = createBattery(this.#rng);
    this.#radio = createRadio(0, this.#rng, ctx.behaviour === 'realistic');
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** closed by the simulation or refused by the gateway */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** refused for good by the gateway (revoked, bad credentials); see state.stopCode */
  get refused(): boolean {
    return this.#stopCode !== null;
  }

  get buffered(): number {
    return this.#outbox.size;
  }

  get state(): DeviceSnapshot {
    const s = this.#lastStatus;
    const e = this.#escalation;
    return {
      deviceId: this.deviceId,
      label: this.label,
      city: this.city,
      mode: this.mode,
      seq: s ? s.seq : null,
      stage: e.stage,
      announced: e.announced,
      unannouncedReason: e.unannouncedReason,
      emergency: e.emergency,
      position: s ? s.position : null,
      truePosition: { ...this.#patrol.position },
      headingDeg: this.#patrol.headingDeg,
      speedMps: this.#patrol.speedMps,
      batteryPct: batteryPct(this.#battery),
      signalBars: this.#radio.bars,
      network: this.#radio.network,
      waypoint: destinationOf(this.#patrol).name,
      connected: this.#connected,
      offline: this.#offlineUntilMs > 0,
      buffered: this.#outbox.size,
      stopped: this.#stopped,
      stopCode: this.#stopCode,
      stopMessage: this.#stopMessage,
    };
  }

  /** Open the connection and start reporting (the simulation ramps devices up through this). */
  start(nowMs: number): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#lastStepMs = nowMs;
    const channel = openChannel(
      this.#ctx.transport,
      {
        url: this.#ctx.url,
        deviceId: this.deviceId,
        secret: this.#secret,
        // a fleet that lost its gateway must not come back in lockstep
        reconnectionDelay: uniform(this.#rng, 500, 2000),
        reconnectionDelayMax: 15_000,
        timeout: 15_000,
      },
      {
        connect: () => this.#onConnect(),
        disconnect: (reason, byServer) => this.#onDisconnect(reason, byServer),
        connectError: (code, message, willRetry) => this.#onConnectError(code, message, willRetry),
        bye: (msg) => this.#onBye(msg),
        dispatchRequest: (msg, ack) => this.#onDispatchRequest(msg, ack),
        dispatchCancel: ({ requestId }) => {
          if (this.#assignment?.requestId !== requestId || this.#assignment.phase !== 'to_scene') return;
          this.#assignment.phase = 'returning';
          this.#assignment.onSceneLeftMs = 0;
          this.#ctx.emit?.({ type: 'dispatch', deviceId: this.deviceId, requestId, step: 'cancelled' });
        },
      },
    );
    this.#channel = channel;
    this.#produce(nowMs);
    channel.connect();
  }

  /** One status period: advance the models, take a status, send what can be sent. */
  tick(nowMs: number): void {
    if (!this.#started || this.#stopped) return;
    this.#advance(nowMs);
    this.#produce(nowMs);
    this.pump(nowMs);
  }

  /** Put the camera into a stage now; a status goes out at once. */
  setStage(stage: Stage, opts: ManualStageOptions = {}): void {
    this.#assertRunning('setStage');
    const now = Date.now();
    this.#advance(now);
    const from = this.#escalation.stage;
    setStageManually(this.#escalation, stage, opts, this.#simNowMs, this.#rng);
    this.#reportStage(from, true);
    this.#produce(now);
    this.pump(now);
  }

  /** Press or release the alarm; a status goes out at once. */
  setEmergency(on: boolean): void {
    this.#assertRunning('setEmergency');
    const now = Date.now();
    this.#advance(now);
    const before = this.#escalation.emergency;
    setEmergencyManually(this.#escalation, on, this.#simNowMs, this.#rng);
    if (before !== on)
      this.#ctx.emit?.({ type: 'emergency', deviceId: this.deviceId, emergency: on, manual: true });
    this.#produce(now);
    this.pump(now);
  }

  /**
   * Simulated signal loss for durationMs of real time: the connection closes, statuses keep being
   * taken (with no signal) and buffered, and after the loss the device reconnects and replays
   * them in order. Calling it during a loss extends the loss.
   */
  goOffline(durationMs: number, cause: 'manual' | 'signal' = 'manual'): void {
    if (!this.#started || this.#stopped) return;
    const now = Date.now();
    const until = now + Math.max(0, durationMs);
    clearTimeout(this.#offlineTimer);
    this.#offlineTimer = setTimeout(() => this.#backOnline(), until - now);
    this.#ctx.emit?.({ type: 'offline', deviceId: this.deviceId, durationMs, cause });
    if (this.#offlineUntilMs > 0) {
      this.#offlineUntilMs = Math.max(this.#offlineUntilMs, until);
      return;
    }
    this.#offlineUntilMs = until;
    loseSignal(this.#radio);
    clearTimeout(this.#reconnectTimer);
    this.#channel?.disconnect();
  }

  /** Resolves once the device is connected and every status has been acknowledged. */
  async flushed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.#connected && this.#outbox.size === 0)) {
      if (this.#stopped) throw new Error(`device stopped before flushing [deviceId:${this.deviceId}]`);
      if (Date.now() > deadline) {
        throw new Error(
          `device not flushed after ${timeoutMs} ms [deviceId:${this.deviceId}, connected:${this.#connected}, buffered:${this.#outbox.size}]`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Send whatever the outbox allows now. */
  pump(nowMs: number): void {
    const channel = this.#channel;
    if (!channel || !this.#connected || this.#stopped) return;
    const c = this.#ctx.counters;
    for (let e = this.#outbox.next(nowMs); e; e = this.#outbox.next(nowMs)) {
      c.sent++;
      const seq = e.seq;
      const token = e.token;
      channel.request('status', e.event, this.#ctx.ackTimeoutMs, (err, ack) =>
        this.#onAck(seq, token, err, ack),
      );
    }
    if (this.#outbox.size > 0 && this.#outbox.inFlight === 0) this.#ctx.wantPump(this);
  }

  /** An officer's report after an episode (`report` on /device, issue #8); resolves with the ack. */
  async fileReport(report: DeviceReportInput, timeoutMs = 10_000): Promise<ReportAck> {
    const channel = this.#channel;
    if (!channel?.connected) return { ok: false, code: 'unavailable', message: 'not connected', retry: true };
    return requestAck<ReportAck>(channel, 'report', report, timeoutMs);
  }

  /** Close the connection for good (simulation stop). */
  close(): void {
    this.#stopped = true;
    for (const t of this.#answerTimers) clearTimeout(t);
    this.#answerTimers.clear();
    clearTimeout(this.#offlineTimer);
    clearTimeout(this.#reconnectTimer);
    this.#channel?.disconnect();
  }

  #assertRunning(what: string): void {
    if (this.#stopped)
      throw new Error(`${what}: device is stopped [deviceId:${this.deviceId}, code:${this.#stopCode}]`);
    if (!this.#started) throw new Error(`${what}: device has not started yet [deviceId:${this.deviceId}]`);
  }

  #advance(nowMs: number): void {
    const realDtMs = Math.min(MAX_STEP_MS, Math.max(0, nowMs - this.#lastStepMs));
    this.#lastStepMs = nowMs;
    const simDtMs = realDtMs * this.#ctx.timeScale;
    this.#simNowMs += simDtMs;
    const e = this.#escalation;
    if (this.#ctx.behaviour === 'realistic') {
      const from = e.stage;
      const emergencyBefore = e.emergency;
      if (stepEscalation(e, this.#simNowMs, this.#rng)) {
        this.#reportStage(from, false);
        if (e.emergency !== emergencyBefore) {
          this.#ctx.emit?.({
            type: 'emergency',
            deviceId: this.deviceId,
            emergency: e.emergency,
            manual: false,
          });
        }
      }
    }
    const a = this.#assignment;
    if (a) {
      // an officer sent as backup heads for the incident whatever their own stage
      const wasToScene = a.phase === 'to_scene';
      if (!stepAssignment(a, this.#patrol, realDtMs, simDtMs)) this.#assignment = null;
      else if (wasToScene && a.phase === 'on_scene')
        this.#ctx.emit?.({
          type: 'dispatch',
          deviceId: this.deviceId,
          requestId: a.requestId,
          step: 'arrived',
        });
    } else if (e.stage === 'standby') advancePatrol(this.#patrol, realDtMs, this.#rng);
    else holdPatrol(this.#patrol); // an officer dealing with a situation stands still
    stepBattery(this.#battery, simDtMs, e.stage, e.emergency, this.#rng);
    if (this.#offlineUntilMs === 0) {
      const lossSimMs = stepRadio(this.#radio, this.#simNowMs, simDtMs, this.#rng);
      if (lossSimMs > 0) this.goOffline(lossSimMs / this.#ctx.timeScale, 'signal');
    }
  }

  /** A supervisor asks for backup: confirm receipt at once, answer after a human delay. */
  #onDispatchRequest(msg: DeviceDispatchRequest, ack: (received: true) => void): void {
    if (typeof ack === 'function') ack(true);
    if (this.#stopped) return;
    const { requestId } = msg;
    this.#ctx.emit?.({ type: 'dispatch', deviceId: this.deviceId, requestId, step: 'received' });
    const decision = decideAnswer(this.#rng, this.#ctx.response);
    // an officer already sent elsewhere declines
    const answer = this.#assignment?.phase === 'to_scene' ? 'decline' : decision.answer;
    const reason = answer === 'decline' ? (decision.reason ?? 'selbst im Einsatz') : null;
    const timer = setTimeout(async () => {
      this.#answerTimers.delete(timer);
      const channel = this.#channel;
      if (this.#stopped || !channel?.connected) return; // no answer: the request times out
      try {
        const res = await requestAck<DispatchAnswerAck>(
          channel,
          'dispatch_answer',
          { requestId, answer, reason },
          10_000,
        );
        if (!res.ok) {
          this.#ctx.emit?.({ type: 'dispatch', deviceId: this.deviceId, requestId, step: 'answer_refused' });
          return;
        }
      } catch {
        return;
      }
      this.#ctx.emit?.({
        type: 'dispatch',
        deviceId: this.deviceId,
        requestId,
        step: answer === 'accept' ? 'accepted' : 'declined',
      });
      if (answer === 'accept' && msg.location)
        this.#assignment = assign(requestId, msg.location, this.#rng, this.#ctx.response);
    }, decision.delayMs);
    this.#answerTimers.add(timer);
  }

  #reportStage(from: Stage, manual: boolean): void {
    const e = this.#escalation;
    if (e.stage === from) return;
    this.#ctx.emit?.({
      type: 'stage',
      deviceId: this.deviceId,
      from,
      to: e.stage,
      announced: e.announced,
      unannouncedReason: e.unannouncedReason,
      manual,
    });
  }

  #produce(nowMs: number): void {
    const p = this.#patrol;
    const e = this.#escalation;
    const status: DeviceStatus = {
      seq: this.#nextSeq++,
      at: nowMs,
      position: sampleFix(this.#gnss, p.position, this.#rng),
      headingDeg: p.headingDeg === null ? null : Math.round(p.headingDeg * 10) / 10,
      speedMps: Math.round(p.speedMps * 100) / 100,
      batteryPct: batteryPct(this.#battery),
      signalBars: this.#radio.bars,
      network: this.#radio.network,
      stage: e.stage,
      announced: e.announced,
      unannouncedReason: e.unannouncedReason,
      emergency: e.emergency,
    };
    this.#lastStatus = status;
    this.#ctx.counters.produced++;
    const dropped = this.#outbox.push(status);
    if (dropped) {
      this.#ctx.counters.dropped++;
      this.#ctx.emit?.({ type: 'dropped', deviceId: this.deviceId, count: 1, reason: 'outbox_full' });
    }
  }

  #onAck(seq: number, token: number, err: Error | null, raw: unknown): void {
    const now = Date.now();
    const c = this.#ctx.counters;
    if (err) {
      if (this.#outbox.fail(seq, token, now) === 'retry') {
        c.retries++;
        this.#ctx.emit?.({ type: 'timeout', deviceId: this.deviceId, seq });
      }
      this.pump(now);
      return;
    }
    const parsed = StatusAck.safeParse(raw);
    if (!parsed.success) {
      // a gateway answering garbage is treated like one that did not answer
      if (this.#outbox.fail(seq, token, now) === 'retry') c.retries++;
      this.#ctx.emit?.({
        type: 'rejected',
        deviceId: this.deviceId,
        seq,
        code: 'internal',
        message: 'malformed ack',
        retry: true,
      });
      this.pump(now);
      return;
    }
    const ack = parsed.data;
    const outcome = this.#outbox.ack(seq, token, ack, now);
    switch (outcome) {
      case 'acked':
      case 'duplicate':
        if (outcome === 'acked') c.acked++;
        else c.duplicates++;
        this.#ctx.emit?.({ type: 'ack', deviceId: this.deviceId, seq, duplicate: outcome === 'duplicate' });
        break;
      case 'rejected':
      case 'retry':
        if (outcome === 'rejected') c.rejected++;
        else c.retries++;
        if (!ack.ok) {
          this.#ctx.emit?.({
            type: 'rejected',
            deviceId: this.deviceId,
            seq,
            code: ack.code,
            message: ack.message,
            retry: outcome === 'retry',
          });
        }
        break;
      case 'stale':
        break;
    }
    this.pump(now);
  }

  #onConnect(): void {
    if (!this.#connected) this.#ctx.counters.connected++;
    this.#connected = true;
    this.#connectFailures = 0;
    this.#ctx.emit?.({ type: 'connected', deviceId: this.deviceId });
    this.pump(Date.now());
  }

  #onDisconnect(reason: string, byServer: boolean): void {
    if (this.#connected) this.#ctx.counters.connected--;
    this.#connected = false;
    this.#outbox.disconnected();
    this.#ctx.emit?.({ type: 'disconnected', deviceId: this.deviceId, reason });
    // The gateway closed the connection on purpose (another connection of this device replaced it,
    // or it revoked it: a `bye` came first). The channel does not reconnect by itself then.
    if (byServer && !this.#stopped) this.#scheduleReconnect();
  }

  #onConnectError(code: string | null, message: string, willRetry: boolean): void {
    this.#ctx.emit?.({ type: 'connect_error', deviceId: this.deviceId, code, message });
    if (code && TERMINAL_CODES.has(code)) {
      this.#terminate(code, message);
      return;
    }
    // A refusal by the gateway (e.g. 'unavailable') is not retried by the channel itself; network
    // errors are.
    if (!willRetry) this.#scheduleReconnect();
  }

  #onBye(msg: { code: string; message: string }): void {
    this.#ctx.emit?.({ type: 'bye', deviceId: this.deviceId, code: msg.code, message: msg.message });
    if (TERMINAL_CODES.has(msg.code)) this.#terminate(msg.code, msg.message);
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#offlineUntilMs > 0) return;
    this.#connectFailures++;
    const base = Math.min(30_000, 1000 * 2 ** Math.min(this.#connectFailures - 1, 10));
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(
      () => {
        if (!this.#stopped && this.#offlineUntilMs === 0 && !this.#channel?.connected)
          this.#channel?.connect();
      },
      base * uniform(this.#rng, 0.5, 1),
    );
  }

  #backOnline(): void {
    this.#offlineTimer = undefined;
    if (this.#stopped) return;
    this.#offlineUntilMs = 0;
    restoreSignal(this.#radio, this.#rng);
    this.#ctx.emit?.({ type: 'online', deviceId: this.deviceId });
    this.#channel?.connect();
  }

  /** The gateway refused this device for good (revoked, bad credentials): stop and report. */
  #terminate(code: string, message: string): void {
    if (this.#stopped) return;
    this.#stopCode = code;
    this.#stopMessage = message;
    const c = this.#ctx.counters;
    c.stopped++;
    const left = this.#outbox.size;
    if (left > 0) {
      c.dropped += left;
      this.#ctx.emit?.({ type: 'dropped', deviceId: this.deviceId, count: left, reason: 'device_stopped' });
    }
    this.#ctx.emit?.({ type: 'stopped', deviceId: this.deviceId, code, message });
    this.close();
  }
}
