#!/usr/bin/python3
"""
A WHIP publisher (RFC 9725) built on GStreamer's webrtcbin, as a camera vendor would write one:
test sources -> VP8 or H.264 + Opus -> webrtcbin, the offer POSTed with a bearer token, the
answer set as remote description. Debian 12 has no whipsink/whipclientsink (those are in
gst-plugins-rs), so the WHIP exchange is done here with urllib.

`--mode play` is a WHEP player (issue 16; Debian has no whepsrc either): recvonly VP8 (payload 96,
or H.264 102) + Opus (111) transceivers, the same offer/answer exchange against a WHEP endpoint,
every received stream decoded (decodebin) and counted:
  {"event": "frame", "kind": "video"|"audio", "ms": <ms since the 201>}   (the first of each kind)
  {"event": "frames", "video": <decoded video frames>, "audio": <decoded audio buffers>}  (every 500 ms)

Runs under Debian's /usr/bin/python3 (python3-gi; pyenv interpreters lack `gi`). Prints one JSON
object per line on stdout for the test to read:
  {"event": "offer", "sdp": ...}
  {"event": "answer", "status": 201, "sdp": ..., "location": ..., "etag": ..., "postMs": ...}
  {"event": "trickle", "status": 204, "candidate": ...}          (--trickle: one PATCH per candidate)
  {"event": "ice", "state": "connected", "ms": <ms since the 201 arrived>}
  {"event": "connected", "ms": <ms since the 201 arrived>}       (webrtcbin connection-state: ICE + DTLS)
  {"event": "error", "message": ...}
Ends after --duration-s, or on SIGTERM, or when stdin closes (the test process died).
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

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VIDEO = {
    "vp8": "vp8enc deadline=1 cpu-used=8 target-bitrate=300000 keyframe-max-dist=30 ! rtpvp8pay pt=96 picture-id-mode=15-bit"
    " ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
    # profile-level-id comes from the SPS (openh264: constrained baseline, 42c0xx)
    "h264": "openh264enc bitrate=300000 gop-size=30 complexity=low ! video/x-h264,profile=constrained-baseline"
    " ! h264parse ! rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency"
    " ! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,packetization-mode=(string)1",
}
AUDIO = (
    "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! audioresample ! opusenc"
    " ! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"
)


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="WHIP (or WHEP) endpoint, http://host:port/whip/<deviceId>")
    ap.add_argument("--token", required=True, help="device token, or viewer token for WHEP (Authorization: Bearer)")
    ap.add_argument("--bundle-policy", default="max-bundle", choices=["max-bundle", "max-compat", "balanced", "none"])
    ap.add_argument("--video", default="vp8", choices=["vp8", "h264", "none"])
    ap.add_argument("--audio", default="opus", choices=["opus", "none"])
    ap.add_argument("--trickle", action="store_true", help="POST at once, PATCH candidates as gathered")
    ap.add_argument("--duration-s", type=float, default=30)
    ap.add_argument("--mode", default="publish", choices=["publish", "play"], help="WHIP publisher or WHEP player")
    args = ap.parse_args()

    Gst.init(None)
    parts = [f"webrtcbin name=pc bundle-policy={args.bundle_policy} latency=50"]
    if args.mode == "play":
        pass  # recvonly transceivers are added below; decoders are linked as streams arrive
    elif args.video != "none":
        parts.append(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1"
            f" ! videoconvert ! queue ! {VIDEO[args.video]} ! pc."
        )
    if args.audio != "none" and args.mode == "publish":
        parts.append(f"{AUDIO} ! queue ! pc.")
    pipe = Gst.parse_launch(" ".join(parts))
    if not isinstance(pipe, Gst.Pipeline):  # a player's description is webrtcbin alone
        element, pipe = pipe, Gst.Pipeline.new("player")
        pipe.add(element)
    pc = pipe.get_by_name("pc")
    loop = GLib.MainLoop()
    state = {"answered_at": None, "location": None, "etag": None, "pending": []}
    lock = threading.Lock()

    def request(method, url, body, ctype, extra=None):
        headers = {"authorization": f"Bearer {args.token}"}
        if ctype:
            headers["content-type"] = ctype
        headers.update(extra or {})
        req = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, res.read().decode(), res.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def resource_url():
        return urllib.parse.urljoin(args.url, state["location"])

    def ufrag_pwd(sdp_text):
        ufrag = next(line[12:] for line in sdp_text.splitlines() if line.startswith("a=ice-ufrag:"))
        pwd = next(line[10:] for line in sdp_text.splitlines() if line.startswith("a=ice-pwd:"))
        return ufrag, pwd

    def patch_candidate(mline, cand):
        # RFC 8840 fragment; the SFU (ICE-lite) answers 204
        local = pc.get_property("local-description").sdp.as_text()
        ufrag, pwd = ufrag_pwd(local)
        mids = [line[6:] for line in local.splitlines() if line.startswith("a=mid:")]
        frag = f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{mids[mline] if mline < len(mids) else mids[0]}\r\n"
        frag += (f"a={cand}\r\n" if cand else "a=end-of-candidates\r\n")
        status, _, _ = request("PATCH", resource_url(), frag, "application/trickle-ice-sdpfrag", {"if-match": state["etag"]})
        emit(event="trickle", status=status, candidate=cand or "end-of-candidates")

    def on_candidate(_el, mline, cand):
        if not args.trickle:
            return
        with lock:
            if state["location"] is None:
                state["pending"].append((mline, cand))
                return
        patch_candidate(mline, cand)

    def set_answer(sdp_text):
        ok, msg = GstSdp.SDPMessage.new_from_text(sdp_text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        done = Gst.Promise.new()
        pc.emit("set-remote-description", answer, done)
        done.wait()
        reply = done.get_reply()
        if reply is not None and reply.has_field("error"):
            emit(event="error", message=f"set-remote-description: {reply.get_value('error').message}")
            loop.quit()
            return False
        return True

    def post_offer():
        offer = pc.get_property("local-description").sdp.as_text()
        emit(event="offer", sdp=offer)
        t0 = time.monotonic()
        status, body, headers = request("POST", args.url, offer, "application/sdp")
        post_ms = (time.monotonic() - t0) * 1000
        emit(event="answer", status=status, sdp=body, location=headers.get("location"), etag=headers.get("etag"), postMs=round(post_ms, 1))
        if status != 201:
            loop.quit()
            return
        with lock:
            state["location"] = headers.get("location")
            state["etag"] = headers.get("etag")
        state["answered_at"] = time.monotonic()
        if not set_answer(body):
            return
        with lock:
            pending, state["pending"] = state["pending"], []
        for mline, cand in pending:
            patch_candidate(mline, cand)

    def on_offer(promise, _):
        # runs on webrtcbin's own thread: waiting here for another of its operations would deadlock
        reply = promise.get_reply()
        if reply is None or not reply.has_field("offer"):
            emit(event="error", message=f"create-offer: {reply.to_string() if reply else 'no reply'}")
            loop.quit()
            return
        offer = reply.get_value("offer")
        pc.emit("set-local-description", offer, None)
        threading.Thread(target=post_when_ready, daemon=True).start()

    def post_when_ready():
        # set-local-description runs on webrtcbin's thread: wait for it; without trickle also wait
        # for gathering to complete, so that the offer carries every candidate
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready = pc.get_property("local-description") is not None
            if ready and (args.trickle or pc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE):
                break
            time.sleep(0.005)
        try:
            post_offer()
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails with it
            emit(event="error", message=f"WHIP exchange failed: {e!r}")
            GLib.idle_add(loop.quit)

    def since_answer():
        return round((time.monotonic() - state["answered_at"]) * 1000, 1) if state["answered_at"] else None

    def on_ice_state(_el, _pspec):
        s = pc.get_property("ice-connection-state").value_nick
        emit(event="ice", state=s, ms=since_answer())

    def on_conn_state(_el, _pspec):
        s = pc.get_property("connection-state")
        if s == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            emit(event="connected", ms=since_answer())
        elif s == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            emit(event="error", message="connection failed")
            loop.quit()

    def on_negotiation(_el):
        pc.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))

    if args.mode == "publish":
        pc.connect("on-negotiation-needed", on_negotiation)
    pc.connect("on-ice-candidate", on_candidate)
    pc.connect("notify::ice-connection-state", on_ice_state)
    pc.connect("notify::connection-state", on_conn_state)

    counts = {"video": 0, "audio": 0}

    def on_decoded(_sink, _buf, _pad, kind):
        counts[kind] += 1
        if counts[kind] == 1:
            emit(event="frame", kind=kind, ms=since_answer())

    def on_decoded_pad(_dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        kind = "video" if caps.to_string().startswith("video/") else "audio"
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", on_decoded, kind)
        q = Gst.ElementFactory.make("queue")
        pipe.add(q)
        pipe.add(sink)
        q.link(sink)
        q.sync_state_with_parent()
        sink.sync_state_with_parent()
        pad.link(q.get_static_pad("sink"))

    def on_incoming(_el, pad):
        # WHEP: each received RTP stream -> decodebin (it picks depayloader and decoder)
        if pad.direction != Gst.PadDirection.SRC:
            return
        dec = Gst.ElementFactory.make("decodebin")
        dec.connect("pad-added", on_decoded_pad)
        pipe.add(dec)
        dec.sync_state_with_parent()
        pad.link(dec.get_static_pad("sink"))

    def report_counts():
        emit(event="frames", video=counts["video"], audio=counts["audio"])
        return True

    pipe.set_state(Gst.State.READY)
    if args.mode == "play":
        pc.connect("pad-added", on_incoming)
        recv = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
        if args.video != "none":
            video_caps = (
                "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
                if args.video == "vp8"
                else "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
                "packetization-mode=(string)1,profile-level-id=(string)42e01f"
            )
            pc.emit("add-transceiver", recv, Gst.Caps.from_string(video_caps))
        if args.audio != "none":
            pc.emit(
                "add-transceiver",
                recv,
                Gst.Caps.from_string("application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2"),
            )
        GLib.timeout_add(500, report_counts)
        # one offer once both transceivers exist: on-negotiation-needed can fire before the first
        # is added, and an offer made then has no media section
        GLib.idle_add(lambda: on_negotiation(pc) and False)
    else:
        # WHIP publishers only send: every transceiver is sendonly
        idx = 0
        while True:
            t = pc.emit("get-transceiver", idx)
            if t is None:
                break
            t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            idx += 1
    pipe.set_state(Gst.State.PLAYING)

    bus = pipe.get_bus()
    bus.add_signal_watch()

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit(event="error", message=f"{err.message} ({dbg})")
            loop.quit()

    bus.connect("message", on_message)
    GLib.timeout_add(int(args.duration_s * 1000), loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)

    def on_stdin(_fd, _cond):
        loop.quit()
        return False

    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    loop.run()
    pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
