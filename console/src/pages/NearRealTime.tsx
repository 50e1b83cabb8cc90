import { Button, Select, Text } from '@fluentui/react-components';
import type { ConnectionWebhooksResponse } from '../../../server/api/types.ts';
import { get, put } from '../api.ts';
import { ErrorBar } from '../components.tsx';
import { count, counted, when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/** Safety-net intervals offered (hours); the API takes any whole number from 1 to 168. */
const SAFETY_NETS = [6, 12, 24, 48, 168];

/**
 * Near-real-time for a connection: Exact's webhooks on or off, what is subscribed, what arrived, how soon
 * it was in the warehouse, and what it saves of Exact's daily calls. With it on, a change in Exact is in
 * the warehouse within a minute, and the schedule polls the tables webhooks cover only as a safety net.
 */
export function NearRealTime({ connection }: { connection: number }) {
  const state = useLoad(
    () => get<ConnectionWebhooksResponse>(`/api/v1/connections/${connection}/webhooks`),
    [connection],
  );
  const { run, busy, error } = useAction();
  const s = state.data;
  if (!s) return null;
  const change = (body: { enabled: boolean; safetyNetHours?: number }) =>
    void run(async () => {
      await put(`/api/v1/connections/${connection}/webhooks`, body);
      await state.reload();
    });
  const topics = [...new Set(s.subscriptions.map((x) => x.topic))];
  const nets = SAFETY_NETS.includes(s.safetyNetHours) ? SAFETY_NETS : [...SAFETY_NETS, s.safetyNetHours];
  return (
    <div
      data-near-real-time={s.enabled ? 'on' : 'off'}
      style={{ display: 'flex', flexDirection: 'column', gap: 4, margin: '8px 0' }}
    >
      <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
        <Text weight="semibold">Near-real-time (Exact webhooks): {s.enabled ? 'on' : 'off'}</Text>
        <Button size="small" disabled={busy} onClick={() => change({ enabled: !s.enabled })}>
          {s.enabled ? 'Turn off' : 'Turn on'}
        </Button>
        {s.enabled ? (
          <Text size={200}>
            {counted(s.subscriptions.length, 'subscription')} ({topics.join(', ')}) ·{' '}
            {counted(s.events.lastDay, 'event')} in the last day · latest {when(s.events.lastAt)}
            {s.events.lagSeconds
              ? ` · in the warehouse ${s.events.lagSeconds.median.toFixed(0)} s after arriving (median), ${s.events.lagSeconds.p95.toFixed(0)} s (p95)`
              : ''}
          </Text>
        ) : (
          <Text size={200}>
            On: a change in Exact is in the warehouse within a minute, and the tables webhooks cover are polled only as
            a safety net.
          </Text>
        )}
      </div>
      {s.enabled && (
        <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
          <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
            <Text size={200}>Safety net: poll covered tables every</Text>
            <Select
              size="small"
              aria-label="Safety-net interval"
              value={String(s.safetyNetHours)}
              disabled={busy}
              onChange={(_, d) => change({ enabled: true, safetyNetHours: Number(d.value) })}
            >
              {nets.map((h) => (
                <option key={h} value={h}>
                  {h % 24 === 0 ? `${h / 24} day${h === 24 ? '' : 's'}` : `${h} hours`}
                </option>
              ))}
            </Select>
          </label>
          <Text size={200} data-calls-saved={s.calls.savedPerDay}>
            API calls a day: the schedule needs {count(s.calls.safetyNetPerDay)} instead of{' '}
            {count(s.calls.pollingPerDay)}; webhook runs made {counted(s.calls.webhookRunsLastDay, 'call')} in the last
            day ·{' '}
            {s.calls.savedPerDay >= 0
              ? `saves about ${count(s.calls.savedPerDay)}`
              : `costs about ${count(-s.calls.savedPerDay)} more than polling`}
          </Text>
        </div>
      )}
      <ErrorBar error={error} title="Near-real-time not changed" />
    </div>
  );
}
