// A time-series chart (uPlot) sized to its box and coloured from the page's theme, with the latest
// values written beside the title so that the numbers are readable without the plot.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: ReadonlyArray<number | null>;
}

export interface ChartProps {
  title: string;
  /** Seconds since the epoch, ascending. */
  times: readonly number[];
  series: ChartSeries[];
  format: (value: number) => string;
}

const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6'];

function cssColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function lastValue(values: ReadonlyArray<number | null>): number | undefined {
  for (let index = values.length - 1; index >= 0; index--) {
    const value = values[index];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}

export function Chart({ title, times, series, format }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = series.map((entry) => entry.label).join('|');

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const axisColour = cssColour('--muted');
    const gridColour = cssColour('--grid');
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max <= 0 ? 1 : max * 1.1] } },
      axes: [
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour } },
        {
          stroke: axisColour,
          grid: { stroke: gridColour, width: 1 },
          ticks: { stroke: gridColour },
          values: (_u, ticks) => ticks.map((tick) => format(tick)),
          // Wide enough for the longest label ("226.9 KiB/s").
          size: (_u, values) => 18 + 7 * Math.max(3, ...(values ?? []).map((value) => String(value).length)),
        },
      ],
      series: [
        {},
        ...series.map((entry, index) => ({
          label: entry.label,
          stroke: cssColour(PALETTE[index % PALETTE.length]!),
          width: 2,
          points: { show: false },
          value: (_u: uPlot, value: number | null) => (value === null ? '–' : format(value)),
        })),
      ],
    };
    plot.current = new uPlot(options, [[...times], ...series.map((entry) => [...entry.values])] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, element.clientWidth), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
    // Rebuilt when the series change (or the theme, which remounts the page); data updates go through setData.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([[...times], ...series.map((entry) => [...entry.values])] as uPlot.AlignedData);
  }, [times, series]);

  const latest = series.map((entry) => ({ label: entry.label, value: lastValue(entry.values) }));
  return (
    <figure class="chart" data-samples={times.length}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-latest">
          {latest.map((entry) => (
            <span key={entry.label} data-series={entry.label} data-value={entry.value ?? ''}>
              {entry.label} <strong>{entry.value === undefined ? '–' : format(entry.value)}</strong>
            </span>
          ))}
        </span>
      </figcaption>
      <div ref={box} class="chart-plot" role="img" aria-label={`${title}: ${latest.map((entry) => `${entry.label} ${entry.value === undefined ? 'no data' : format(entry.value)}`).join(', ')}`} />
    </figure>
  );
}
