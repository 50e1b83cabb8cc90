import { Button, Card, CardHeader, Text } from '@fluentui/react-components';
import { useState } from 'react';
import type {
  ConnectionsResponse,
  DivisionsResponse,
  Json,
  ConnectionInfo,
  SyncNowResponse,
} from '../../../server/api/types.ts';
import { get, patch, post } from '../api.ts';
import { ErrorBar, Loading, NavButton, NavLink, Notice, PageTitle, StatusBadge, stack } from '../components.tsx';
import { count, upcoming, when } from '../format.ts';
import { navigate } from '../router.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';
import { HealthPanel } from './HealthPanel.tsx';
import { NearRealTime } from './NearRealTime.tsx';

export function ConnectionsPage() {
  const list = useLoad(() => get<ConnectionsResponse>('/api/v1/connections'), [], {
    poll: (d) => d.connections.some((c) => c.running > 0 || c.queued > 0),
    pollMs: 2000,
  });
  return (
    <div style={stack}>
      <PageTitle
        actions={
          <NavButton to="/connections/new" appearance="primary">
            Connect Exact Online
          </NavButton>
        }
      >
        Connections
      </PageTitle>
      <ErrorBar error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.connections.length === 0 ? (
        <Notice title="No Exact Online connection yet">
          Choose "Connect Exact Online" to sign in at Exact and pick the administrations to sync.
        </Notice>
      ) : null}
      {list.data?.connections.map((c) => (
        <ConnectionCard key={c.id} c={c} onChange={() => void list.reload()} />
      ))}
    </div>
  );
}

function ConnectionCard({ c, onChange }: { c: Json<ConnectionInfo>; onChange: () => void }) {
  const { run, error } = useAction();
  const [message, setMessage] = useState<string | undefined>(undefined);
  const divisions = useLoad(
    () => get<DivisionsResponse>(`/api/v1/connections/${c.id}/divisions`),
    [c.id, c.running, c.queued, c.lastSyncAt],
  );
  const act = (fn: () => Promise<unknown>) => {
    setMessage(undefined);
    return run(async () => {
      await fn();
      onChange();
    });
  };
  const syncNow = () =>
    act(async () => {
      const r = await post<SyncNowResponse>(`/api/v1/connections/${c.id}/sync`, {});
      setMessage(
        r.status === 'already_running'
          ? `Already running (${r.alreadyRunning.map((a) => `division ${a.division}${a.runId ? `, run ${a.runId}` : ''}`).join('; ')}).`
          : `Sync started for ${r.started.length} division${r.started.length === 1 ? '' : 's'}.`,
      );
    });
  const enabled = divisions.data?.divisions.filter((d) => d.syncEnabled) ?? [];
  const left = enabled.map((d) => d.apiCallsLeftToday).filter((n): n is number => n !== null);
  const state = c.running > 0 ? 'running' : c.queued > 0 ? 'queued' : c.state;
  return (
    <Card style={{ padding: 16 }} data-connection={c.id}>
      <CardHeader
        header={
          <Text weight="semibold" size={500}>
            {c.exactUserName ?? 'Exact user'} — exactonline.{c.country}
          </Text>
        }
        description={
          <Text size={200}>
            Connection {c.id} · warehouse schema <code>{c.warehouseSchema}</code> · from {c.startYear ?? 'all years'}
          </Text>
        }
        action={<StatusBadge status={state} />}
      />
      {c.state === 'reauth_required' ? (
        <Notice intent="warning" title="Reconnect needed">
          {c.stateMessage ?? "Exact no longer accepts this connection's consent."} Syncing is stopped until you
          reconnect.
        </Notice>
      ) : null}
      {c.state === 'active' && c.stateMessage ? (
        <Notice intent="info" title="Note">
          {c.stateMessage}
        </Notice>
      ) : null}
      {c.divisions > 0 && c.divisionsEnabled === 0 ? (
        <Notice intent="warning" title="No division selected">
          Nothing syncs until you choose divisions.
        </Notice>
      ) : null}
      <ConnectionFacts c={c} left={left} />
      <HealthPanel c={c} divisions={divisions.data} />
      <NearRealTime connection={c.id} />
      {message ? <Notice intent="success">{message}</Notice> : null}
      <ErrorBar error={error} />
      <ConnectionActions c={c} onSync={() => void syncNow()} act={act} />
    </Card>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size={200} style={{ color: '#616161', display: 'block' }}>
        {label}
      </Text>
      <Text>{children}</Text>
    </div>
  );
}

function ConnectionFacts({ c, left }: { c: Json<ConnectionInfo>; left: number[] }) {
  return (
    <div
      style={{
        display: 'grid',
        gridTemplateColumns: 'repeat(auto-fit, minmax(180px, 1fr))',
        gap: 12,
        margin: '8px 0',
      }}
    >
      <Fact label="Divisions syncing">
        {c.divisionsMode === 'all' ? `all ${c.divisions}` : `${c.divisionsEnabled} of ${c.divisions}`}
      </Fact>
      <Fact label="Last successful sync">{when(c.lastSyncAt)}</Fact>
      <Fact label="API calls left today">
        {left.length ? `${count(Math.min(...left))}${left.length > 1 ? ' (lowest division)' : ''}` : 'not known yet'}
      </Fact>
      <Fact label="Running now">
        {c.running || c.queued
          ? [
              c.running ? `${c.running} division${c.running === 1 ? '' : 's'}` : '',
              c.queued ? `${c.queued} waiting` : '',
            ]
              .filter(Boolean)
              .join(', ')
          : 'nothing'}
      </Fact>
      <Fact label="Next scheduled sync">
        {c.state !== 'active' || c.divisionsEnabled === 0 ? '—' : upcoming(c.nextSyncAt)}
      </Fact>
    </div>
  );
}

function ConnectionActions({
  c,
  onSync,
  act,
}: {
  c: Json<ConnectionInfo>;
  onSync: () => void;
  act: (fn: () => Promise<unknown>) => Promise<unknown>;
}) {
  return (
    <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
      {c.state === 'reauth_required' ? (
        <Button appearance="primary" onClick={() => navigate(`/connections/new?reconnect=${c.id}`)}>
          Reconnect
        </Button>
      ) : null}
      <Button
        appearance={c.state === 'reauth_required' ? 'secondary' : 'primary'}
        disabled={c.state !== 'active'}
        onClick={onSync}
      >
        Sync now
      </Button>
      <NavButton to={`/connections/${c.id}/divisions`}>Divisions</NavButton>
      <NavButton to={`/connections/${c.id}/tables`}>Tables</NavButton>
      <NavLink to={`/runs?connection=${c.id}`}>Runs</NavLink>
      <div style={{ flex: 1 }} />
      {c.state === 'active' ? (
        <Button
          appearance="subtle"
          onClick={() => void act(() => patch(`/api/v1/connections/${c.id}`, { enabled: false }))}
        >
          Pause
        </Button>
      ) : null}
      {c.state === 'disabled' ? (
        <Button
          appearance="subtle"
          onClick={() => void act(() => patch(`/api/v1/connections/${c.id}`, { enabled: true }))}
        >
          Resume
        </Button>
      ) : null}
    </div>
  );
}
