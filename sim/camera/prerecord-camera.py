#!/usr/bin/python3
"""
A body camera with a real pre-recording buffer (issue 13), for the simulator and the tests. It
encodes all the time (VP8, 320x240, 15 fps) and keeps the last --buffer-s seconds of encoded frames
in a ring, starting at a keyframe. When the button is pressed (--press-after-s) it publishes over WHIP
(GStreamer webrtcbin) and sends the ring first, with each frame's original capture time as its
timestamp, --speedup times faster than real time until it has caught up with live capture, then live.
The RTP timestamps therefore run ahead of the clock by exactly the buffered seconds, which is what the
SFU's recorder measures. (@roamhq/wrtc, the simulator's usual stack, cannot do this: it takes raw
frames only and stamps each with the moment it is handed over.)

Runs under Debian's /usr/bin/python3 (python3-gi). One JSON object per line on stdout:
  {"event": "pressed", "wallMs": ..., "bufferedS": ...}
  {"event": "answer", "status": 201, "location": ...}
  {"event": "connected", "wallMs": ...}
  {"event": "sending", "wallMs": ..., "firstCaptureMs": ...}    first frame handed to the sender
  {"event": "caught-up", "wallMs": ..., "backlogS": 0}
  {"event": "stopped", "wallMs": ..., "lastCaptureMs": ..., "frames": ...}
  {"event": "error", "message": ...}
Ends --live-s seconds after catching up (DELETE on the WHIP resource), on SIGTERM, or when stdin closes.
"""
import argparse
import collections
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

FPS = 15


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def now_ms():
    return time.time() * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="WHIP endpoint, http://host:port/whip/<deviceId>")
    ap.add_argument("--token", required=True)
    ap.add_argument("--buffer-s", type=float, default=10, help="pre-recording ring, seconds")
    ap.add_argument("--press-after-s", type=float, default=12)
    ap.add_argument("--speedup", type=float, default=2, help="how much faster than real time the ring is sent")
    ap.add_argument("--live-s", type=float, default=3, help="seconds of live stream after catching up")
    ap.add_argument("--declare", type=int, default=0, help="also declare this in lagebild-prerecord-s")
    args = ap.parse_args()

    Gst.init(None)
    capture = Gst.parse_launch(
        f"videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate={FPS}/1"
        " ! videoconvert ! vp8enc deadline=1 cpu-used=8 target-bitrate=300000 keyframe-max-dist=15"
        " ! appsink name=enc emit-signals=true sync=false max-buffers=0"
    )
    send = Gst.parse_launch(
        "webrtcbin name=pc bundle-policy=max-bundle latency=50"
        f" appsrc name=src is-live=true format=time do-timestamp=false caps=video/x-vp8,width=320,height=240,framerate={FPS}/1"
        " ! rtpvp8pay pt=96 picture-id-mode=15-bit"
        " ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! pc."
    )
    pc = send.get_by_name("pc")
    src = send.get_by_name("src")
    loop = GLib.MainLoop()
    lock = threading.Lock()
    # (capture wall ms, bytes, keyframe): the ring before the press, the send queue after it
    frames = collections.deque()
    st = {"pressed": False, "sending": False, "t0_wall": None, "t0_cap": None, "base_cap": None,
          "caught_up": None, "sent": 0, "last_cap": None, "location": None}

    def on_sample(sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        data = bytes(info.data)
        buf.unmap(info)
        key = not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
        with lock:
            frames.append((now_ms(), data, key))
            if not st["pressed"]:
                # the ring: the last buffer-s seconds, opening with a keyframe
                while frames and frames[0][0] < now_ms() - args.buffer_s * 1000:
                    frames.popleft()
                while frames and not frames[0][2]:
                    frames.popleft()
        return Gst.FlowReturn.OK

    capture.get_by_name("enc").connect("new-sample", on_sample)

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

    def pump():
        """Hands frames to the sender: the backlog at speedup x real time, then each as captured."""
        if not st["sending"]:
            return True
        elapsed = now_ms() - st["t0_wall"]
        due_cap = st["t0_cap"] + elapsed * args.speedup
        with lock:
            while frames and frames[0][0] <= due_cap:
                cap, data, _key = frames.popleft()
                b = Gst.Buffer.new_wrapped(data)
                # its capture time on the send pipeline's running time: always in the past, so the
                # transport's sink sends it at once instead of holding it until it is "due"
                b.pts = int(st["rt_offset_ns"] + (cap - st["wall_at_base"]) * Gst.MSECOND)
                b.dts = b.pts
                b.duration = int(Gst.SECOND / FPS)
                src.emit("push-buffer", b)
                st["sent"] += 1
                st["last_cap"] = cap
            backlog_s = (frames[-1][0] - frames[0][0]) / 1000 if len(frames) > 1 else 0
        if st["caught_up"] is None and due_cap >= now_ms():
            st["caught_up"] = now_ms()
            emit(event="caught-up", wallMs=now_ms(), backlogS=backlog_s)
            GLib.timeout_add(int(args.live_s * 1000), stop)
        return True

    def stop():
        st["sending"] = False
        st["stopped"] = True
        if st["location"]:
            request("DELETE", urllib.parse.urljoin(args.url, st["location"]), None, None)
        emit(event="stopped", wallMs=now_ms(), lastCaptureMs=st["last_cap"], frames=st["sent"])
        loop.quit()
        return False

    def start_sending():
        with lock:
            first = frames[0][0] if frames else now_ms()
        st.update(sending=True, t0_wall=now_ms(), t0_cap=first, base_cap=first)
        emit(event="sending", wallMs=now_ms(), firstCaptureMs=first)
        GLib.timeout_add(10, pump)
        return False

    def set_answer(sdp_text):
        ok, msg = GstSdp.SDPMessage.new_from_text(sdp_text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        done = Gst.Promise.new()
        pc.emit("set-remote-description", answer, done)
        done.wait()

    def post_when_ready():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if pc.get_property("local-description") is not None and \
                    pc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
                break
            time.sleep(0.005)
        try:
            offer = pc.get_property("local-description").sdp.as_text()
            extra = {"lagebild-prerecord-s": str(args.declare)} if args.declare else {}
            status, body, headers = request("POST", args.url, offer, "application/sdp", extra)
            emit(event="answer", status=status, location=headers.get("location"))
            if status != 201:
                GLib.idle_add(loop.quit)
                return
            st["location"] = headers.get("location")
            set_answer(body)
        except Exception as e:  # noqa: BLE001 - reported to the caller
            emit(event="error", message=f"WHIP exchange failed: {e!r}")
            GLib.idle_add(loop.quit)

    def on_offer(promise, _):
        reply = promise.get_reply()
        pc.emit("set-local-description", reply.get_value("offer"), None)
        threading.Thread(target=post_when_ready, daemon=True).start()

    def on_conn_state(_el, _pspec):
        s = pc.get_property("connection-state")
        if s == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            emit(event="connected", wallMs=now_ms())
            GLib.idle_add(start_sending)
        elif s == GstWebRTC.WebRTCPeerConnectionState.FAILED and not st.get("stopped"):
            emit(event="error", message="connection failed")
            GLib.idle_add(loop.quit)

    pc.connect("on-negotiation-needed", lambda _el: pc.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None)))
    pc.connect("notify::connection-state", on_conn_state)

    def press():
        with lock:
            st["pressed"] = True
            buffered = (frames[-1][0] - frames[0][0]) / 1000 if len(frames) > 1 else 0
        emit(event="pressed", wallMs=now_ms(), bufferedS=buffered)
        # Running time starts an hour "ago": every buffered frame keeps its capture time as its
        # timestamp (so the RTP timestamps carry it) and is late, never early, for the sink, which
        # would otherwise pace the ring out in real time, a delayed-live stream nobody could tell.
        clock = Gst.SystemClock.obtain()
        send.use_clock(clock)
        send.set_start_time(Gst.CLOCK_TIME_NONE)
        st["rt_offset_ns"] = 3600 * Gst.SECOND
        st["wall_at_base"] = now_ms()
        send.set_base_time(clock.get_time() - st["rt_offset_ns"])
        send.set_state(Gst.State.READY)
        t = pc.emit("get-transceiver", 0)
        if t is not None:
            t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        send.set_state(Gst.State.PLAYING)
        return False

    for p in (capture, send):
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", lambda _b, m: (m.type == Gst.MessageType.ERROR) and (
            emit(event="error", message=m.parse_error()[0].message), loop.quit()))

    capture.set_state(Gst.State.PLAYING)
    GLib.timeout_add(int(args.press_after_s * 1000), press)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_ERR, lambda *_: (loop.quit(), False)[1])
    loop.run()
    send.set_state(Gst.State.NULL)
    capture.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
