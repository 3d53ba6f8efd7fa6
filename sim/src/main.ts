/**
 * CLI: drive simulated cameras against a gateway.
 *   node sim/src/main.ts --url http://127.0.0.1:3000 --credentials devices.json [--rate 1]
 *     [--seed 1] [--time-scale 1] [--behaviour realistic] [--transport websocket] [--video on]
 * With `--video on` a camera in 'recording' publishes live video over WHIP (whip-video.ts): it
 * exchanges its secret for a device token at the gateway, which also names the WHIP URL.
 * Prints one JSON `ready` line on stdout (the local runner waits for it), then a stats line every
 * 10 s and a line for each device the gateway refuses. Stops cleanly on SIGINT/SIGTERM.
 */
import { CliError, loadCredentials, parseCliArgs, USAGE } from './cli-args.ts';
import { mulberry32 } from './prng.ts';
import { createReportFiler } from './report-filer.ts';
import { type ShiftRota, startShiftRota } from './shift-rota.ts';
import { startSimulation } from './simulation.ts';
import type { SimEvent, SimStats } from './types.ts';
import type { WhipVideo } from './whip-video.ts';

const STATS_EVERY_MS = 10_000;

function statsLine(s: SimStats): string {
  return (
    `[sim] devices ${s.devices} · connected ${s.connected} · sent ${s.sent} · acked ${s.acked}` +
    ` · duplicates ${s.duplicates} · rejected ${s.rejected} · retries ${s.retries}` +
    ` · buffered ${s.buffered} · dropped ${s.dropped} · stopped ${s.stopped}`
  );
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCliArgs>;
  let devices: Awaited<ReturnType<typeof loadCredentials>>;
  try {
    args = parseCliArgs(process.argv.slice(2));
    if (args === 'help') {
      console.log(USAGE);
      return 0;
    }
    devices = await loadCredentials(args.credentials);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  let connectErrors = 0;
  let lastConnectError = '';
  // officers file their report after each episode, as the device would (issue #8)
  const reports = createReportFiler({
    rng: mulberry32((args.seed ?? 1) ^ 0x5eed),
    send: (deviceId, report) => sim.device(deviceId).fileReport(report),
  });
  // loaded only when asked for: the WebRTC stack is a large native module
  let video: WhipVideo | null = null;
  if (args.video) {
    const { createWhipVideo } = await import('./whip-video.ts');
    video = createWhipVideo({
      gatewayUrl: args.url,
      devices,
      fps: 15,
      onVideoEvent(e) {
        if (e.type === 'failed')
          console.error(
            `[sim] video of ${e.deviceId} not published (${e.status ?? 'network'}): ${e.message}`,
          );
      },
    });
  }
  const onEvent = (e: SimEvent) => {
    reports.onEvent(e);
    video?.onEvent(e);
    if (e.type === 'stopped')
      console.error(`[sim] device ${e.deviceId} stopped by the gateway: ${e.code} (${e.message})`);
    else if (e.type === 'connect_error') {
      connectErrors++;
      lastConnectError = `${e.code ?? 'transport'}: ${e.message}`;
    }
  };
  const sim = startSimulation({
    url: args.url,
    devices,
    rateHz: args.rate,
    seed: args.seed,
    timeScale: args.timeScale,
    behaviour: args.behaviour,
    transport: args.transport,
    onEvent,
  });
  // shift changes on the Dienst API as each city's supervisor (issue 15); the password comes from
  // the environment so it never shows in a process list
  let rota: ShiftRota | null = null;
  const supervisorPassword = process.env.SIM_SUPERVISOR_PASSWORD;
  if (args.shiftEvery !== undefined) {
    if (!supervisorPassword) {
      console.error('[sim] --shift-every needs SIM_SUPERVISOR_PASSWORD in the environment');
      return 2;
    }
    const everyMs = (args.shiftEvery * 1000) / args.timeScale;
    rota = startShiftRota({
      url: args.url,
      logins: [...new Set(devices.map((d) => d.city))].map((city) => ({
        username: `${city}.supervisor`,
        password: supervisorPassword,
      })),
      deviceIds: devices.map((d) => d.deviceId),
      everyMs,
      handoverMs: everyMs / 3,
      rng: mulberry32((args.seed ?? 1) ^ 0x5e1f7),
      onError: (message) => console.error(`[sim] shift change failed: ${message}`),
    });
  }
  console.log(
    JSON.stringify({
      msg: 'ready',
      url: args.url,
      devices: devices.length,
      rateHz: args.rate,
      timeScale: args.timeScale,
      behaviour: args.behaviour,
      video: args.video,
      shiftEvery: args.shiftEvery ?? null,
      seed: sim.seed,
    }),
  );

  return new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      const s = sim.stats();
      let line = statsLine(s);
      if (rota) {
        const r = rota.stats();
        line += ` · shifts ended ${r.ended} started ${r.started} refused ${r.refused}`;
      }
      if (connectErrors > 0) line += ` · connect errors ${connectErrors} (last ${lastConnectError})`;
      console.log(line);
      connectErrors = 0;
      if (s.stopped === s.devices) {
        console.error(
          '[sim] every device was refused by the gateway; check the credentials file and the URL',
        );
        void shutdown(1);
      }
    }, STATS_EVERY_MS);
    let stopping = false;
    async function shutdown(code: number) {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      reports.stop();
      rota?.stop();
      await video?.close();
      await sim.stop();
      console.log(statsLine(sim.stats()).replace('[sim]', '[sim] final:'));
      resolve(code);
    }
    process.once('SIGINT', () => void shutdown(0));
    process.once('SIGTERM', () => void shutdown(0));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[sim] crashed:', err);
    process.exit(1);
  },
);
