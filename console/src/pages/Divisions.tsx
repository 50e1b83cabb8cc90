import {
  Button,
  Checkbox,
  Input,
  Radio,
  RadioGroup,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import { useEffect, useMemo, useState } from 'react';
import type { ConnectionInfo, DivisionsResponse, Json, SyncNowResponse } from '../../../server/api/types.ts';
import { get, patch, post, put } from '../api.ts';
import { ErrorBar, Loading, NavButton, Notice, PageTitle, StatusBadge, stack } from '../components.tsx';
import { count, upcoming, when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/** Which divisions a connection syncs: all (new ones too) or a selection, with search and bulk select. */
export function DivisionsPage({
  id,
  connected,
  reconnected,
}: {
  id: number;
  connected: boolean;
  reconnected: boolean;
}) {
  const connection = useLoad(() => get<Json<ConnectionInfo>>(`/api/v1/connections/${id}`), [id]);
  const list = useLoad(() => get<DivisionsResponse>(`/api/v1/connections/${id}/divisions`), [id], {
    poll: (d) => d.divisions.some((x) => x.syncing || x.queued),
    pollMs: 1500,
  });
  const [mode, setMode] = useState<'all' | 'selected'>('selected');
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [dirty, setDirty] = useState(false);
  const [search, setSearch] = useState('');
  const { run, busy, error } = useAction();
  const [message, setMessage] = useState<string | undefined>(undefined);

  // The saved selection, until the admin changes something.
  useEffect(() => {
    if (!list.data || dirty) return;
    setMode(list.data.mode);
    setChosen(new Set(list.data.divisions.filter((d) => d.syncEnabled).map((d) => d.division)));
  }, [list.data, dirty]);

  const active = useMemo(() => list.data?.divisions.filter((d) => d.active) ?? [], [list.data]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q ? active.filter((d) => d.name.toLowerCase().includes(q) || String(d.division).includes(q)) : active;
  }, [active, search]);
  const isOn = (d: number) => mode === 'all' || chosen.has(d);
  const change = (fn: (s: Set<number>) => void) => {
    const next = new Set(chosen);
    fn(next);
    setChosen(next);
    setMode('selected');
    setDirty(true);
  };

  const save = (andSync: boolean) => {
    setMessage(undefined);
    return run(async () => {
      await put(
        `/api/v1/connections/${id}/divisions`,
        mode === 'all' ? { mode: 'all' } : { mode: 'selected', divisions: [...chosen] },
      );
      setDirty(false);
      let text = 'Selection saved.';
      if (andSync) {
        const r = await post<SyncNowResponse>(`/api/v1/connections/${id}/sync`, {});
        text =
          r.status === 'already_running'
            ? 'Selection saved; a sync is already running.'
            : `Selection saved; syncing ${r.started.length} division${r.started.length === 1 ? '' : 's'} now.`;
      }
      setMessage(text);
      await list.reload();
    });
  };

  const syncOne = (division: number) => {
    setMessage(undefined);
    return run(async () => {
      await patch(`/api/v1/connections/${id}/divisions/${division}`, { syncNow: true });
      await list.reload();
    });
  };

  const selectedCount = mode === 'all' ? active.length : active.filter((d) => chosen.has(d.division)).length;
  return (
    <div style={stack}>
      <PageTitle
        actions={
          <>
            <NavButton to={`/connections/${id}/tables`}>Tables</NavButton>
            <NavButton to="/connections">All connections</NavButton>
          </>
        }
      >
        Divisions{connection.data ? ` — ${connection.data.exactUserName ?? ''}` : ''}
      </PageTitle>
      {connected ? (
        <Notice intent="success" title="Exact Online is connected">
          Choose the divisions (administrations) to sync, then "Save and sync now".
        </Notice>
      ) : null}
      {reconnected ? (
        <Notice intent="success" title="Reconnected">
          This Exact user was already connected, so that connection got the new tokens (Exact keeps one live connection
          per user and app). Its settings and synced data are kept.
        </Notice>
      ) : null}
      <ErrorBar error={list.error ?? connection.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          <RadioGroup
            value={mode}
            onChange={(_e, d) => {
              setMode(d.value as 'all' | 'selected');
              setDirty(true);
            }}
            layout="horizontal"
          >
            <Radio value="all" label="All divisions, including ones added later" />
            <Radio value="selected" label="Only the divisions ticked below" />
          </RadioGroup>
          <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
            <Input
              placeholder="Search by name or code"
              value={search}
              onChange={(_e, d) => setSearch(d.value)}
              style={{ minWidth: 260 }}
              aria-label="Search divisions"
            />
            <Button onClick={() => change((s) => shown.forEach((d) => s.add(d.division)))}>
              Select {search ? 'shown' : 'all'}
            </Button>
            <Button onClick={() => change((s) => shown.forEach((d) => s.delete(d.division)))}>
              Clear {search ? 'shown' : 'all'}
            </Button>
            <Text>
              {selectedCount} of {active.length} selected
            </Text>
          </div>
          <Table aria-label="Divisions" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell style={{ width: 60 }}>Sync</TableHeaderCell>
                <TableHeaderCell>Division</TableHeaderCell>
                <TableHeaderCell style={{ width: 90 }}>Code</TableHeaderCell>
                <TableHeaderCell>Last sync</TableHeaderCell>
                <TableHeaderCell>Next sync</TableHeaderCell>
                <TableHeaderCell>Status</TableHeaderCell>
                <TableHeaderCell>API calls left today</TableHeaderCell>
                <TableHeaderCell style={{ width: 110 }} />
              </TableRow>
            </TableHeader>
            <TableBody>
              {shown.map((d) => (
                <TableRow key={d.division} data-division={d.division}>
                  <TableCell>
                    <Checkbox
                      aria-label={`Sync ${d.name}`}
                      checked={isOn(d.division)}
                      onChange={(_e, v) =>
                        change((s) => {
                          if (mode === 'all') active.forEach((x) => s.add(x.division));
                          if (v.checked) s.add(d.division);
                          else s.delete(d.division);
                        })
                      }
                    />
                  </TableCell>
                  <TableCell>
                    {d.name}
                    {d.isCurrent ? (
                      <Text size={200} style={{ color: '#616161' }}>
                        {' '}
                        (current)
                      </Text>
                    ) : null}
                  </TableCell>
                  <TableCell>{d.division}</TableCell>
                  <TableCell>{when(d.lastSyncAt)}</TableCell>
                  <TableCell data-next-sync={d.nextSyncAt ?? ''}>
                    {d.syncEnabled && !d.syncing && !d.queued ? upcoming(d.nextSyncAt) : '—'}
                  </TableCell>
                  <TableCell>
                    {d.syncing ? (
                      <StatusBadge status="running" />
                    ) : d.queued ? (
                      <StatusBadge status="queued" />
                    ) : d.lastRun ? (
                      <StatusBadge status={d.lastRun.status} />
                    ) : (
                      <Text size={200}>not synced</Text>
                    )}
                    {d.lastRun?.errorMessage && !d.syncing ? (
                      <Text size={200} block style={{ color: '#a4262c' }}>
                        {d.lastRun.errorMessage}
                      </Text>
                    ) : null}
                    {d.pausedUntil ? (
                      <Text size={200} block>
                        Exact's daily limit is spent; scheduled syncs wait until{' '}
                        {new Date(d.pausedUntil).toLocaleString()}.
                      </Text>
                    ) : null}
                  </TableCell>
                  <TableCell>{d.apiCallsLeftToday === null ? '—' : count(d.apiCallsLeftToday)}</TableCell>
                  <TableCell>
                    <Button
                      size="small"
                      appearance="subtle"
                      disabled={busy || d.syncing || d.queued}
                      onClick={() => void syncOne(d.division)}
                      aria-label={`Sync ${d.name} now`}
                    >
                      Sync now
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {shown.length === 0 ? <Text>No division matches "{search}".</Text> : null}
          {message ? <Notice intent="success">{message}</Notice> : null}
          <ErrorBar error={error} title="Not saved" />
          <div style={{ display: 'flex', gap: 8 }}>
            <Button appearance="primary" disabled={busy || selectedCount === 0} onClick={() => void save(true)}>
              Save and sync now
            </Button>
            <Button disabled={busy} onClick={() => void save(false)}>
              Save
            </Button>
          </div>
        </>
      ) : null}
    </div>
  );
}
