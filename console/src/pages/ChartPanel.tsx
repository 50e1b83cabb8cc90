import { Field, Select, Text } from '@fluentui/react-components';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { ChartType, QueryResult, SavedChart } from '../../../server/api/types.ts';
import { chartData, pieSlices, suggestChart, type ChartData } from '../chart.ts';
import { Notice } from '../components.tsx';
import { DataTable } from '../DataTable.tsx';

/**
 * A result as a chart. ECharts (Apache): bar, line, area and pie/donut from one library that is kept up,
 * with tooltips, legends and an accessible description built in, and tree-shaken to the charts used here.
 * Drawn as SVG: sharp at any zoom, and the browser test can count what was drawn. The pivot is a table.
 */
echarts.use([
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  AriaComponent,
  SVGRenderer,
]);

const TYPES: { value: ChartType; label: string }[] = [
  { value: 'bar', label: 'Bar' },
  { value: 'line', label: 'Line' },
  { value: 'area', label: 'Area' },
  { value: 'pie', label: 'Pie' },
  { value: 'donut', label: 'Donut' },
  { value: 'pivot', label: 'Pivot table' },
];

export default function ChartPanel({
  result,
  chart,
  onChange,
}: {
  result: QueryResult;
  chart: SavedChart | undefined;
  onChange: (chart: SavedChart | undefined) => void;
}) {
  const shown = chart ?? suggestChart(result.columns);
  if (!shown)
    return (
      <Notice title="Nothing to chart">
        A chart needs a column to go along (a date, a period or a name) and a numeric column to sum.
      </Notice>
    );
  const data = chartData(result.columns, result.rows, shown);
  const numeric = result.columns.filter((c) => c.kind === 'integer' || c.kind === 'number');
  const set = (change: Partial<SavedChart>) => {
    const next = { ...shown, ...change };
    if (next.series === '') delete next.series;
    onChange(next);
  };
  return (
    <div style={{ marginTop: 8 }}>
      <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap', marginBottom: 8 }}>
        <Field label="Chart">
          <Select value={shown.type} onChange={(_e, d) => set({ type: d.value as ChartType })}>
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          label={
            shown.type === 'pivot' ? 'Rows' : shown.type === 'pie' || shown.type === 'donut' ? 'Slices' : 'Along (x)'
          }
        >
          <Select value={shown.x} onChange={(_e, d) => set({ x: d.value })}>
            {result.columns.map((c, i) => (
              <option key={i}>{c.name}</option>
            ))}
          </Select>
        </Field>
        <Field label="Sum of">
          <Select value={shown.y} onChange={(_e, d) => set({ y: d.value })}>
            {numeric.map((c, i) => (
              <option key={i}>{c.name}</option>
            ))}
          </Select>
        </Field>
        {shown.type !== 'pie' && shown.type !== 'donut' ? (
          <Field label={shown.type === 'pivot' ? 'Columns' : 'Split by'}>
            <Select value={shown.series ?? ''} onChange={(_e, d) => set({ series: d.value })}>
              <option value="">(none)</option>
              {result.columns.map((c, i) => (
                <option key={i}>{c.name}</option>
              ))}
            </Select>
          </Field>
        ) : null}
      </div>
      {'error' in data ? (
        <Notice intent="warning">{data.error}</Notice>
      ) : shown.type === 'pivot' ? (
        <Pivot data={data} chart={shown} />
      ) : (
        <Drawn data={data} chart={shown} />
      )}
      {'error' in data || data.skipped === 0 ? null : (
        <Text size={200}>
          {data.skipped} rows without a number in {shown.y} are left out.
        </Text>
      )}
    </div>
  );
}

function Drawn({ data, chart }: { data: ChartData; chart: SavedChart }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const instance = echarts.init(host.current!, undefined, { renderer: 'svg' });
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(host.current!);
    return () => {
      resize.disconnect();
      instance.dispose();
    };
  }, []);
  useEffect(() => {
    echarts.getInstanceByDom(host.current!)?.setOption(optionOf(data, chart), true);
  }, [data, chart]);
  return <div ref={host} data-chart={chart.type} style={{ width: '100%', height: 420 }} />;
}

/** ECharts' option for the sums: one series per split value, stacked for areas; a ring for a donut. */
function optionOf(data: ChartData, chart: SavedChart): echarts.EChartsCoreOption {
  // No animation: a data tool redraws on every choice, and should show the figures at once.
  const base = {
    animation: false,
    aria: { enabled: true },
    tooltip: { trigger: chart.type === 'pie' || chart.type === 'donut' ? 'item' : 'axis' },
  };
  if (chart.type === 'pie' || chart.type === 'donut')
    return {
      ...base,
      legend: { type: 'scroll', bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: chart.type === 'donut' ? ['45%', '70%'] : '70%',
          data: pieSlices(data),
          label: { formatter: '{b}: {d}%' },
        },
      ],
    };
  return {
    ...base,
    legend: data.series.length > 1 ? { type: 'scroll', top: 0 } : undefined,
    grid: { left: 16, right: 16, top: data.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: data.categories },
    yAxis: { type: 'value' },
    series: data.series.map((s) => ({
      name: s.name,
      type: chart.type === 'bar' ? 'bar' : 'line',
      data: s.values,
      ...(chart.type === 'area' ? { areaStyle: {}, stack: 'total' } : {}),
    })),
  };
}

/** Rows × columns of sums, with a total per row and per column. */
function Pivot({ data, chart }: { data: ChartData; chart: SavedChart }) {
  const columns = [
    { name: chart.x, kind: 'text' as const },
    ...data.series.map((s) => ({ name: s.name, kind: 'number' as const })),
    { name: 'Total', kind: 'number' as const },
  ];
  const round = (n: number) => Math.round(n * 100) / 100;
  const rows = data.categories.map((c, i) => {
    const values = data.series.map((s) => s.values[i]!);
    return [c, ...values.map(round), round(values.reduce((a, b) => a + b, 0))];
  });
  const totals = data.series.map((s) => s.values.reduce((a, b) => a + b, 0));
  rows.push(['Total', ...totals.map(round), round(totals.reduce((a, b) => a + b, 0))]);
  return <DataTable label="Pivot" columns={columns} resultColumns={columns} rows={rows} />;
}
