import { Button, Text } from '@fluentui/react-components';
import type { ConnectionWebhooksResponse } from '../../../server/api/types.ts';
import { get, put } from '../api.ts';
import { ErrorBar } from '../components.tsx';
import { count, when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/**
 * Near-real-time for a connection: Exact's webhooks on or off, what is subscribed, what arrived. With it
 * on, a change in Exact is in the warehouse within seconds, and the schedule only checks once a day.
 */
export function NearRealTime({ connection }: { connection: number }) {
  const state = useLoad(
    () => get<ConnectionWebhooksResponse>(`/api/v1/connections/${connection}/webhooks`),
    [connection],
  );
  const { run, busy, error } = useAction();
  const s = state.data;
  if (!s) return null;
  const toggle = () =>
    void run(async () => {
      await put(`/api/v1/connections/${connection}/webhooks`, { enabled: !s.enabled });
      await state.reload();
    });
  const topics = [...new Set(s.subscriptions.map((x) => x.topic))];
  return (
    <div
      data-near-real-time={s.enabled ? 'on' : 'off'}
      style={{ display: 'flex', flexDirection: 'column', gap: 4, margin: '8px 0' }}
    >
      <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
        <Text weight="semibold">Near-real-time (Exact webhooks): {s.enabled ? 'on' : 'off'}</Text>
        <Button size="small" disabled={busy} onClick={toggle}>
          {s.enabled ? 'Turn off' : 'Turn on'}
        </Button>
        {s.enabled ? (
          <Text size={200}>
            {count(s.subscriptions.length)} subscriptions ({topics.join(', ')}) · {count(s.events.lastDay)} events in
            the last day · latest {when(s.events.lastAt)}
          </Text>
        ) : (
          <Text size={200}>
            On: changes arrive within seconds, and the tables they cover are polled only once a day as a safety net.
          </Text>
        )}
      </div>
      <ErrorBar error={error} title="Near-real-time not changed" />
    </div>
  );
}
