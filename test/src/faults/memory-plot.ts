/** An SVG line chart of memory over time, one line per process, for the soak's report. */
export interface Series {
  name: string;
  points: Array<{ tS: number; mb: number }>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

export function memoryPlot(title: string, series: readonly Series[]): string {
  const W = 980;
  const H = 420;
  const m = { l: 60, r: 250, t: 40, b: 45 };
  const all = series.flatMap((s) => s.points);
  const maxT = Math.max(1, ...all.map((p) => p.tS));
  const maxMb = Math.max(1, ...all.map((p) => p.mb)) * 1.1;
  const x = (t: number) => m.l + (t / maxT) * (W - m.l - m.r);
  const y = (mb: number) => H - m.b - (mb / maxMb) * (H - m.t - m.b);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const ticks = Array.from({ length: 5 }, (_, i) => (maxMb * i) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="24" font-size="15">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    ...ticks.map(
      (v) =>
        `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text><line x1="${m.l}" y1="${y(v)}" x2="${W - m.r}" y2="${y(v)}" stroke="#ddd"/>`,
    ),
    `<text x="${(W - m.r + m.l) / 2}" y="${H - 10}" text-anchor="middle">seconds</text>`,
    `<text x="16" y="${(H - m.b + m.t) / 2}" transform="rotate(-90 16 ${(H - m.b + m.t) / 2})" text-anchor="middle">RSS (MB)</text>`,
    `<text x="${W - m.r}" y="${H - m.b + 16}" text-anchor="end">${Math.round(maxT)}</text>`,
  ];
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    parts.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${x(p.tS).toFixed(1)},${y(p.mb).toFixed(1)}`).join(' ')}"/>`,
      `<text x="${W - m.r + 10}" y="${m.t + 18 * i + 10}" fill="${c}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
