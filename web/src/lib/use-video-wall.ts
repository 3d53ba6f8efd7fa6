/**
 * React state of the video wall: the tenant's live streams (seeded from GET /api/video/live each time
 * the live connection is up, then the `video` events of /control), the wall's tiles (video-wall.ts) and the last event per unit,
 * which the unit's tile turns into restart / suspend / end of its watch.
 *
 * `requestOpen` is the one way a person opens a stream: with the unit's open incident as the reason
 * when there is one, else through the reason dialog (`asking`).
 */
import {
  type Alert,
  type Incident,
  type LiveStream,
  LiveStreamsResponse,
  type VideoEvent,
  type WatchReason,
} from '@lagebild/protocol';
import { useCallback, useEffect, useReducer } from 'react';
import { apiGet } from './api.ts';
import {
  applyAutoOpen,
  applyLiveEvent,
  bringToFront,
  closeTile,
  EMPTY_WALL,
  incidentFor,
  incidentReason,
  noteVideoEvent,
  openTile,
  setLayout,
  type WallLayout,
  type WallState,
} from './video-wall.ts';

interface State {
  wall: WallState;
  live: ReadonlyMap<string, LiveStream>;
  /** deviceId → the newest `video` event concerning it (a router reset counts for each unit) */
  events: ReadonlyMap<string, VideoEvent>;
  /** unit whose reason dialog is open */
  asking: string | null;
}

type Action =
  | { type: 'seed'; streams: LiveStream[]; nowMs: number }
  | { type: 'video'; event: VideoEvent; nowMs: number }
  | { type: 'auto'; incidents: Incident[]; alerts: Alert[]; nowMs: number }
  | { type: 'open'; deviceId: string; reason: WatchReason; nowMs: number }
  | { type: 'ask'; deviceId: string | null }
  | { type: 'close'; deviceId: string }
  | { type: 'front'; deviceId: string }
  | { type: 'layout'; layout: WallLayout };

function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'seed': {
      // streams already up when the page opens get their tile like new ones, if their incident is open
      const live = new Map(state.live);
      const pendingAuto = new Map(state.wall.pendingAuto);
      for (const s of action.streams) {
        if (live.has(s.deviceId)) continue;
        live.set(s.deviceId, s);
        pendingAuto.set(s.deviceId, action.nowMs);
      }
      return { ...state, live, wall: { ...state.wall, pendingAuto } };
    }
    case 'video': {
      const e = action.event;
      const events = new Map(state.events);
      for (const id of e.type === 'router_reset' ? e.deviceIds : [e.deviceId]) events.set(id, e);
      return {
        ...state,
        live: applyLiveEvent(state.live, e),
        wall: noteVideoEvent(state.wall, e, action.nowMs),
        events,
      };
    }
    case 'auto': {
      const wall = applyAutoOpen(state.wall, state.live, action.incidents, action.alerts, action.nowMs);
      return wall === state.wall ? state : { ...state, wall };
    }
    case 'open':
      return {
        ...state,
        asking: null,
        wall: bringToFront(
          openTile(state.wall, {
            deviceId: action.deviceId,
            reason: action.reason,
            openedAt: action.nowMs,
            auto: false,
          }),
          action.deviceId,
        ),
      };
    case 'ask':
      return { ...state, asking: action.deviceId };
    case 'close':
      return { ...state, wall: closeTile(state.wall, action.deviceId) };
    case 'front':
      return { ...state, wall: bringToFront(state.wall, action.deviceId) };
    case 'layout':
      return { ...state, wall: setLayout(state.wall, action.layout) };
  }
}

const INITIAL: State = { wall: EMPTY_WALL, live: new Map(), events: new Map(), asking: null };

export interface VideoWallModel extends State {
  onVideo(event: VideoEvent): void;
  /** open a unit's stream: with its incident as reason, else ask for one */
  requestOpen(deviceId: string): void;
  open(deviceId: string, reason: WatchReason): void;
  cancelAsk(): void;
  close(deviceId: string): void;
  front(deviceId: string): void;
  setLayout(layout: WallLayout): void;
}

export function useVideoWall(
  incidents: ReadonlyMap<string, Incident>,
  alerts: ReadonlyMap<string, Alert>,
  incidentVersion: number,
  tick: number,
  /** the live connection is up (its snapshot arrived): the moment to read the streams already up */
  live = true,
): VideoWallModel {
  const [state, dispatch] = useReducer(reduce, INITIAL);

  // Seeded each time the live connection is (again) up, not once at mount: a stream that came up
  // after this read but before the socket had joined the tenant's room was announced to nobody
  // here, and its unit recorded with no tile and no listing. Once live, every later producer_up
  // arrives on the socket, and this read has every earlier one.
  useEffect(() => {
    if (!live) return;
    const abort = new AbortController();
    apiGet('/api/video/live', LiveStreamsResponse, abort.signal).then(
      (res) => dispatch({ type: 'seed', streams: res.streams, nowMs: Date.now() }),
      () => undefined, // live video not configured or not allowed: the wall stays empty
    );
    return () => abort.abort();
  }, [live]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: incidentVersion stands for the incident store's content, tick for the passing of time
  useEffect(() => {
    if (state.wall.pendingAuto.size === 0) return;
    dispatch({
      type: 'auto',
      incidents: [...incidents.values()],
      alerts: [...alerts.values()],
      nowMs: Date.now(),
    });
  }, [state.wall.pendingAuto, state.live, incidents, alerts, incidentVersion, tick]);

  const onVideo = useCallback(
    (event: VideoEvent) => dispatch({ type: 'video', event, nowMs: Date.now() }),
    [],
  );
  const open = useCallback(
    (deviceId: string, reason: WatchReason) =>
      dispatch({ type: 'open', deviceId, reason, nowMs: Date.now() }),
    [],
  );
  const requestOpen = useCallback(
    (deviceId: string) => {
      const incident = incidentFor(deviceId, incidents.values(), alerts.values());
      if (incident) open(deviceId, incidentReason(incident));
      else dispatch({ type: 'ask', deviceId });
    },
    [incidents, alerts, open],
  );

  // a link to the control room may name a stream to watch: ?video=<deviceId> (asks for the reason)
  useEffect(() => {
    const deviceId = new URLSearchParams(window.location.search).get('video');
    if (deviceId && /^[0-9a-f-]{36}$/i.test(deviceId)) dispatch({ type: 'ask', deviceId });
  }, []);

  return {
    ...state,
    onVideo,
    requestOpen,
    open,
    cancelAsk: useCallback(() => dispatch({ type: 'ask', deviceId: null }), []),
    close: useCallback((deviceId: string) => dispatch({ type: 'close', deviceId }), []),
    front: useCallback((deviceId: string) => dispatch({ type: 'front', deviceId }), []),
    setLayout: useCallback((layout: WallLayout) => dispatch({ type: 'layout', layout }), []),
  };
}
