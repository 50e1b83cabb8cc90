import { Text } from '@fluentui/react-components';
import type { ConnectionInfo, DivisionsResponse, Json, SyncHealthResponse } from '../../../server/api/types.ts';
import { get } from '../api.ts';
import { NavLink } from '../components.tsx';
import { count, when } from '../format.ts';
import { callDays, changedTables, DAILY_CALLS, type HealthDay } from '../health.ts';
import { useLoad } from '../useLoad.ts';

const DAYS = 14;

/**
 * What an admin checks each morning, on the home page: Exact API calls per day against the 5,000 a
 * division may make (14 days), tables whose last attempt failed, paused divisions, fields Exact stopped
 * serving, and the tables that changed most.
 */
export function HealthPanel({ c, divisions }: { c: Json<ConnectionInfo>; divisions: DivisionsResponse | undefined }) {
  const health = useLoad(
    () => get<SyncHealthResponse>(`/api/v1/connections/${c.id}/health`),
    [c.id, c.lastSyncAt, c.running],
  );
  const h = health.data;
  if (!h) return null;
  const days = callDays(h.callsPerDay, DAYS, new Date().toISOString().slice(0, 10));
  const paused = (divisions?.divisions ?? []).filter((d) => d.pausedUntil && Date.parse(d.pausedUntil) > Date.now());
  const busiest = changedTables(h.rowsPerDay).slice(0, 5);
  return (
    <div
      data-health={c.id}
      style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))', gap: 16, margin: '8px 0' }}
    >
      <div>
        <Text size={200} style={{ color: '#616161', display: 'block' }}>
          Exact API calls per day, busiest division (of {count(DAILY_CALLS)}), last {DAYS} days
        </Text>
        <CallsChart days={days} />
      </div>
      <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
        {h.failingTables.length === 0 && paused.length === 0 && c.droppedFields.length === 0 ? (
          <Text data-health-ok>No failing tables, no paused divisions.</Text>
        ) : null}
        {h.failingTables.map((f) => (
          <Text key={`${f.division}/${f.table}`} data-failing={`${f.division}/${f.table}`} style={{ color: '#a4262c' }}>
            {f.table} (division {f.division}) failed {when(f.failedAt)}: {f.errorMessage ?? f.errorCode}{' '}
            <NavLink to={`/runs/${f.runId}`}>run {f.runId}</NavLink>
          </Text>
        ))}
        {paused.map((d) => (
          <Text key={d.division} style={{ color: '#8a5300' }}>
            Division {d.division} ({d.name}) has used Exact&apos;s calls for today; it syncs again {when(d.pausedUntil)}
            .
          </Text>
        ))}
        {c.droppedFields.length ? (
          <Text style={{ color: '#8a5300' }}>
            Exact stopped serving {c.droppedFields.length} field{c.droppedFields.length === 1 ? '' : 's'}; the sync goes
            on without {c.droppedFields.length === 1 ? 'it' : 'them'}.{' '}
            <NavLink to={`/connections/${c.id}/tables`}>See Tables</NavLink>
          </Text>
        ) : null}
        {busiest.length ? (
          <Text size={200}>
            Most changed ({DAYS} days): {busiest.map((b) => `${b.table} ${count(b.changed)}`).join(' · ')}
          </Text>
        ) : null}
      </div>
    </div>
  );
}

/** Bars of the busiest division's calls per day, the daily limit as a dashed line. */
function CallsChart({ days }: { days: HealthDay[] }) {
  const width = 280;
  const height = 60;
  // Scaled to the days shown (at least 1,000 calls high), so a quiet fortnight is still readable; the
  // 5,000 line appears when a day comes near it.
  const top = Math.max(1000, ...days.map((d) => d.busiest * 1.2));
  const bar = width / days.length;
  const y = (n: number) => height - (n / top) * height;
  return (
    <svg
      width={width}
      height={height + 14}
      role="img"
      aria-label="API calls per day"
      data-calls-chart
      style={{ marginTop: 6, overflow: 'visible' }}
    >
      {days.map((d, i) => (
        <rect
          key={d.day}
          x={i * bar + 1}
          y={y(d.busiest)}
          width={bar - 2}
          height={height - y(d.busiest)}
          fill={d.busiest > DAILY_CALLS * 0.8 ? '#c50f1f' : '#0f6cbd'}
        >
          <title>{`${d.day}: ${count(d.busiest)} calls in the busiest division, ${count(d.total)} in all`}</title>
        </rect>
      ))}
      {top >= DAILY_CALLS ? (
        <line x1={0} x2={width} y1={y(DAILY_CALLS)} y2={y(DAILY_CALLS)} stroke="#a4262c" strokeDasharray="4 3" />
      ) : null}
      <line x1={0} x2={width} y1={height} y2={height} stroke="#d1d1d1" />
      <text x={0} y={height + 12} fontSize={10} fill="#616161">
        {days[0]?.day.slice(5)}
      </text>
      <text x={width} y={height + 12} fontSize={10} fill="#616161" textAnchor="end">
        today: {count(days.at(-1)?.busiest ?? 0)} of {count(DAILY_CALLS)}
      </text>
    </svg>
  );
}
