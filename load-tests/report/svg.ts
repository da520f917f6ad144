/** Small self-contained SVG charts for the report: lines over time, and stacked bars over time. */

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { top: 36, right: 180, bottom: 40, left: 64 };
const COLORS = ['#1f77b4', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function frame(title: string, xLabel: string, yLabel: string, xMax: number, yMax: number, body: string, legend: string[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = MARGIN.top + plotH - (plotH * i) / 4;
    const value = (yMax * i) / 4;
    ticks.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ddd"/>`);
    ticks.push(`<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${Number(value.toPrecision(3))}</text>`);
    const x = MARGIN.left + (plotW * i) / 4;
    ticks.push(`<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${Math.round((xMax * i) / 4)}</text>`);
  }
  const legendItems = legend.map(
    (name, i) =>
      `<rect x="${WIDTH - MARGIN.right + 12}" y="${MARGIN.top + i * 18}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${WIDTH - MARGIN.right + 30}" y="${MARGIN.top + i * 18 + 10}">${escapeXml(name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...ticks,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    body,
    ...legendItems,
    '</svg>',
    '',
  ].join('\n');
}

export function lineChart(options: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const xMax = Math.max(1, ...options.series.flatMap((s) => s.points.map(([x]) => x)));
  const yMax = niceMax(Math.max(0, ...options.series.flatMap((s) => s.points.map(([, y]) => y))));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const lines = options.series.map((series, i) => {
    const d = series.points
      .map(
        ([x, y], j) =>
          `${j === 0 ? 'M' : 'L'}${(MARGIN.left + (plotW * x) / xMax).toFixed(1)},${(MARGIN.top + plotH - (plotH * y) / yMax).toFixed(1)}`,
      )
      .join(' ');
    return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>`;
  });
  return frame(
    options.title,
    options.xLabel,
    options.yLabel,
    xMax,
    yMax,
    lines.join('\n'),
    options.series.map((s) => s.name),
  );
}

export function stackedBars(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  stacks: Array<{ name: string; values: number[] }>;
}): string {
  const xMax = Math.max(1, ...options.x) + 1;
  const totals = options.x.map((_, i) => options.stacks.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const yMax = niceMax(Math.max(0, ...totals));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const barW = Math.max(1, plotW / xMax - 0.5);
  const rects: string[] = [];
  options.x.forEach((x, i) => {
    let base = 0;
    options.stacks.forEach((stack, s) => {
      const value = stack.values[i] ?? 0;
      if (value <= 0) return;
      const h = (plotH * value) / yMax;
      const y = MARGIN.top + plotH - (plotH * base) / yMax - h;
      rects.push(
        `<rect x="${(MARGIN.left + (plotW * x) / xMax).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[s % COLORS.length]}"/>`,
      );
      base += value;
    });
  });
  return frame(
    options.title,
    options.xLabel,
    options.yLabel,
    xMax,
    yMax,
    rects.join('\n'),
    options.stacks.map((s) => s.name),
  );
}
