#!/usr/bin/python3
"""
A cheap load generator for the SFU's capacity bench (issue 17, bench:video part 4), on GStreamer
1.22's webrtcbin. Two modes, each one process, one GLib main loop:

--mode publish: ONE VP8 encoder (moving test bars 640x360 15 fps, ~300 kbit/s, keyframe every 30 frames)
  teed into N WHIP publishers. Each branch has its own rtpvp8pay (its own SSRC and sequence numbers)
  and its own webrtcbin, POSTing its offer to its own device's WHIP URL with its own device token.
  Video only (no Opus): the capacity asked for is video.
--mode play: N WHEP players, each a recvonly webrtcbin (VP8, payload 96) whose incoming RTP pad goes
  straight to a fakesink: no depayloader, no decoder, no per-packet Python. What each received is
  read from webrtcbin's `get-stats` (inbound-rtp: packets-received, and packets-lost as rtpsession
  counts it from the RTP sequence numbers: expected - received, RFC 3550 A.3), on request.

Input on stdin: the first line is a JSON list of sessions [{"url": ..., "token": ...}, ...]; then
commands, one a line:
  stats <tag>   -> {"event": "stats", "tag": ..., "streams": [{"i", "received", "lost", "bytes", "jbLost"} | {"i", "sent"}]}
  pause <tag>, resume <tag>   (publish) the encoder's frames stop reaching the payloaders, or go on
                -> {"event": "pause" | "resume", "tag": ...}
Counting: webrtcbin's counters are rtpsession's; a gap it takes for a restart of the source (e.g.
several seconds of lost packets) starts its packets-received again from 0, so the bench compares
each player's packets-received with its publisher's packets-sent over a window that begins and ends
with the publishers paused (nothing in flight), not packets-lost alone.
End of stdin, SIGTERM or SIGINT ends the process (each session is DELETEd first, best effort).

Output on stdout, one JSON object a line:
  {"event": "answer", "i": <session>, "status": 201, "postMs": ...}
  {"event": "connected", "i": <session>, "ms": <ms since the 201>}
  {"event": "error", "i": <session or null>, "message": ...}
  {"event": "stats", ...}
Runs under Debian's /usr/bin/python3 (python3-gi; pyenv interpreters lack `gi`).
"""
import argparse
import json
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VP8_CAPS = "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
out_lock = threading.Lock()
# the ICE agents whose keepalives were changed (keep_consent); held so that Python never drops the
# reference its getter took (webrtcbin 1.22's ice-agent getter leaves one reference too few)
_agents = []


def keep_consent(pc):
    """
    Keepalives as STUN binding requests. libnice (0.1.21 in Debian 12) sends binding indications by
    default and webrtcbin 1.22 does not turn on its consent freshness (construct-only), but the SFU's
    mediasoup transports take only binding requests as consent (RFC 7675) and end a peer after 30 s
    without one (then the SFU's peer timeout closes it: "publisher gone", why "timeout"). With
    keepalive-conncheck libnice sends a request every keepalive interval instead of an indication.
    """
    ice = pc.get_property("ice-agent")
    agent = ice.get_property("agent")
    agent.set_property("keepalive-conncheck", True)
    _agents.append((ice, agent))


def emit(**kw):
    with out_lock:
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()


def request(method, url, token, body=None, ctype=None):
    headers = {"authorization": f"Bearer {token}"}
    if ctype:
        headers["content-type"] = ctype
    req = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, res.read().decode(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def structure_fields(s):
    """A GstStructure's fields as a dict (sub-structures stay GstStructures)."""
    out = {}

    def each(field_id, value, *_):
        out[GLib.quark_to_string(field_id)] = value
        return True

    s.foreach(each, None)
    return out


class Session:
    """One webrtcbin, one WHIP or WHEP exchange (non-trickle: the offer carries every candidate)."""

    def __init__(self, i, url, token, pc, pool):
        self.i, self.url, self.token, self.pc, self.pool = i, url, token, pc, pool
        self.location = None
        self.answered_at = None
        self.failed = False
        self.retry = None  # players: called instead of reporting a failure, while retries are left
        pc.connect("notify::connection-state", self.on_conn_state)

    def start(self):
        self.pc.emit("create-offer", None, Gst.Promise.new_with_change_func(self.on_offer, None))

    def on_offer(self, promise, _):
        # on webrtcbin's thread: waiting here for another of its operations would deadlock
        reply = promise.get_reply()
        if reply is None or not reply.has_field("offer"):
            return self.fail(f"create-offer: {reply.to_string() if reply else 'no reply'}")
        self.pc.emit("set-local-description", reply.get_value("offer"), None)
        self.pool.submit(self.post_when_gathered)

    def post_when_gathered(self):
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if (
                    self.pc.get_property("local-description") is not None
                    and self.pc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
                ):
                    break
                time.sleep(0.01)
            offer = self.pc.get_property("local-description").sdp.as_text()
            for attempt in range(4):
                t0 = time.monotonic()
                status, body, headers = request("POST", self.url, self.token, offer, "application/sdp")
                emit(event="answer", i=self.i, status=status, postMs=round((time.monotonic() - t0) * 1000, 1))
                if status not in (429, 503):
                    break
                time.sleep(0.5 * 2**attempt)  # "retry shortly" (the SFU fails closed when Redis is slow)
            if status != 201:
                return self.fail(f"POST {status}: {body[:200]}")
            self.location = urllib.parse.urljoin(self.url, headers.get("location"))
            self.answered_at = time.monotonic()
            ok, msg = GstSdp.SDPMessage.new_from_text(body)
            answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
            done = Gst.Promise.new()
            self.pc.emit("set-remote-description", answer, done)
            done.wait()
            r = done.get_reply()
            if r is not None and r.has_field("error"):
                self.fail(f"set-remote-description: {r.get_value('error').message}")
        except Exception as e:  # noqa: BLE001 - reported to the bench, which fails with it
            self.fail(f"exchange failed: {e!r}")

    def on_conn_state(self, _el, _pspec):
        s = self.pc.get_property("connection-state")
        if s == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            ms = round((time.monotonic() - self.answered_at) * 1000, 1) if self.answered_at else None
            emit(event="connected", i=self.i, ms=ms)
        elif s == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            self.fail("connection failed")

    def fail(self, message):
        if self.failed:
            return
        self.failed = True
        if self.retry is not None:
            self.retry(message)
        else:
            emit(event="error", i=self.i, message=message)

    def stats(self):
        """inbound-rtp (players) or outbound-rtp (publishers) counters of this session's one stream."""
        p = Gst.Promise.new()
        self.pc.emit("get-stats", None, p)
        p.wait()
        reply = p.get_reply()
        row = {"i": self.i}
        if reply is None:
            return row
        for value in structure_fields(reply).values():
            if not isinstance(value, Gst.Structure):
                continue
            f = structure_fields(value)
            kind = f.get("type")
            kind = kind.value_nick if hasattr(kind, "value_nick") else str(kind)
            if kind == "inbound-rtp":
                row["received"] = row.get("received", 0) + int(f.get("packets-received", 0))
                row["lost"] = row.get("lost", 0) + int(f.get("packets-lost", 0))
                row["bytes"] = row.get("bytes", 0) + int(f.get("bytes-received", 0))
                jb = f.get("gst-rtpjitterbuffer-stats")
                if isinstance(jb, Gst.Structure):
                    j = structure_fields(jb)
                    row["jbLost"] = row.get("jbLost", 0) + int(j.get("num-lost", 0))
                    row["jbPushed"] = row.get("jbPushed", 0) + int(j.get("num-pushed", 0))
            elif kind == "outbound-rtp":
                row["sent"] = row.get("sent", 0) + int(f.get("packets-sent", 0))
        return row

    def delete(self):
        if self.location:
            try:
                request("DELETE", self.location, self.token)
            except Exception:  # noqa: BLE001,S110 - best effort at exit; the SFU's peer timeout ends it anyway
                pass


def build_publishers(sessions, pool):
    """One encoder, a tee, one payloader + webrtcbin per session, in one pipeline."""
    desc = [
        # moving colour bars: ~285 kbit/s, ~33 RTP packets/s at this target (a still or mostly black
        # picture gives 50 kbit/s, one packet a frame)
        "videotestsrc is-live=true pattern=smpte horizontal-speed=5 ! video/x-raw,width=640,height=360,framerate=15/1"
        " ! videoconvert ! vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr target-bitrate=300000 keyframe-max-dist=30"
        " ! valve name=gate drop=false ! tee name=t allow-not-linked=true"
    ]
    for i in range(len(sessions)):
        desc.append(
            f"t. ! queue max-size-time=500000000 leaky=downstream ! rtpvp8pay pt=96 picture-id-mode=15-bit mtu=1200"
            f" ! {VP8_CAPS} ! webrtcbin name=pc{i} bundle-policy=max-bundle"
        )
    pipe = Gst.parse_launch(" ".join(desc))
    out = [Session(i, s["url"], s["token"], pipe.get_by_name(f"pc{i}"), pool) for i, s in enumerate(sessions)]
    for s in out:
        keep_consent(s.pc)
    pipe.set_state(Gst.State.READY)
    for s in out:
        idx = 0
        while True:  # WHIP publishers only send
            t = s.pc.emit("get-transceiver", idx)
            if t is None:
                break
            t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            idx += 1
        s.pc.connect("on-negotiation-needed", lambda _el, s=s: s.start())
    return [pipe], out


class Players:
    """
    One pipeline per player (an error in one ends only that one), all on this process's main loop.
    A player that fails before it is counted (webrtcbin 1.22 under load: a packet before the receive
    bin is linked is a not-linked error; a connection that fails) is made again, up to RETRIES times,
    with the same token (a second POST with one token replaces the first, SPEC V6).
    """

    RETRIES = 2

    def __init__(self, sessions, pool, on_error):
        self.sessions, self.pool, self.on_error = sessions, pool, on_error
        self.pipes = [None] * len(sessions)
        self.peers = [None] * len(sessions)
        self.tries = [0] * len(sessions)

    def make(self, i):
        s = self.sessions[i]
        pipe = Gst.Pipeline.new(f"play{i}-{self.tries[i]}")
        pc = Gst.ElementFactory.make("webrtcbin", f"pc{i}")
        pc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        keep_consent(pc)
        pipe.add(pc)

        def on_pad(_el, pad):
            if pad.direction != Gst.PadDirection.SRC:
                return
            sink = Gst.ElementFactory.make("fakesink")
            sink.set_property("sync", False)
            sink.set_property("async", False)
            pipe.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))

        pc.connect("pad-added", on_pad)
        pipe.set_state(Gst.State.READY)
        pc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, Gst.Caps.from_string(VP8_CAPS))
        session = Session(i, s["url"], s["token"], pc, self.pool)
        if self.tries[i] < self.RETRIES:
            session.retry = lambda message: GLib.idle_add(self.again, i, session, message)
        bus = pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message", lambda _bus, msg: self.on_error(msg, session))
        self.pipes[i], self.peers[i] = pipe, session
        return pipe, session

    def start(self, i):
        self.pipes[i].set_state(Gst.State.PLAYING)
        GLib.idle_add(lambda: self.peers[i].start() and False)

    def again(self, i, old, message):
        if self.peers[i] is not old:
            return False
        self.tries[i] += 1
        emit(event="retry", i=i, message=message)
        old_pipe = self.pipes[i]
        old_pipe.get_bus().remove_signal_watch()
        self.pool.submit(lambda: old_pipe.set_state(Gst.State.NULL))
        self.make(i)
        self.start(i)
        return False


def build_players(sessions, pool, on_error):
    players = Players(sessions, pool, on_error)
    return players


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True, choices=["publish", "play"])
    ap.add_argument("--parallel", type=int, default=6, help="WHIP/WHEP exchanges at once")
    args = ap.parse_args()
    Gst.init(None)
    sessions = json.loads(sys.stdin.readline())
    pool = ThreadPoolExecutor(max_workers=args.parallel)
    loop = GLib.MainLoop()
    def on_error(msg, session):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            text = f"{msg.src.get_name()}: {err.message} ({dbg})"
            if session is None:
                emit(event="error", i=None, message=text)
            else:
                session.fail(text)

    if args.mode == "publish":
        pipes, peers = build_publishers(sessions, pool)
        bus = pipes[0].get_bus()
        bus.add_signal_watch()
        bus.connect("message", lambda _bus, msg: on_error(msg, None))
        pipes[0].set_state(Gst.State.PLAYING)
    else:
        players = build_players(sessions, pool, on_error)
        # made one by one on the main loop, so the first POSTs go out while the rest are made (each
        # webrtcbin makes its own DTLS certificate: ~0.1 s of CPU); one offer once the transceiver
        # exists (on-negotiation-needed may fire before it is added)
        pending = iter(range(len(sessions)))

        def make_next():
            i = next(pending, None)
            if i is None:
                return False
            players.make(i)
            players.start(i)
            return True

        GLib.idle_add(make_next)
        pipes, peers = players.pipes, players.peers  # lists the players replace their entries in

    def commands():
        for line in sys.stdin:
            cmd, _, tag = line.strip().partition(" ")
            if cmd == "stats":
                rows = [p.stats() for p in peers if p is not None]
                emit(event="stats", tag=tag, t=time.monotonic(), streams=rows)
            elif cmd in ("pause", "resume") and args.mode == "publish":
                # before the tee and the payloaders: no frame is payloaded while paused, so the
                # sequence numbers stay contiguous and every counter can settle
                pipes[0].get_by_name("gate").set_property("drop", cmd == "pause")
                emit(event=cmd, tag=tag)
        GLib.idle_add(loop.quit)

    threading.Thread(target=commands, daemon=True).start()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    loop.run()
    list(pool.map(lambda p: p.delete(), [p for p in peers if p is not None]))
    for pipe in pipes:
        if pipe is not None:
            pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
