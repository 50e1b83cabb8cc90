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
import { ErrorBar, Loading, NavButton, Notice, PageTitle, StatusBadge, stack, FailureText } from '../components.tsx';
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
      <ConnectNotices connected={connected} reconnected={reconnected} />
      <ErrorBar error={list.error ?? connection.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? <DivisionsEditor id={id} data={list.data} reload={list.reload} /> : null}
    </div>
  );
}

/** The selection of divisions (all, or ticked ones), saved with or without a sync, and Sync now per division. */
function DivisionsEditor({
  id,
  data,
  reload,
}: {
  id: number;
  data: DivisionsResponse;
  reload: () => Promise<unknown>;
}) {
  const selection = useSelection(data);
  const { mode, active, isOn, change } = selection;
  const [search, setSearch] = useState('');

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q ? active.filter((d) => d.name.toLowerCase().includes(q) || String(d.division).includes(q)) : active;
  }, [active, search]);

  const { save, syncOne, busy, error, message } = useDivisionActions(id, selection, reload);
  return (
    <>
      <RadioGroup
        value={mode}
        onChange={(_e, d) => selection.setMode(d.value as 'all' | 'selected')}
        layout="horizontal"
      >
        <Radio value="all" label="All divisions, including ones added later" />
        <Radio value="selected" label="Only the divisions ticked below" />
      </RadioGroup>
      <SelectionBar
        search={search}
        onSearch={setSearch}
        onSelect={() => change((s) => shown.forEach((d) => s.add(d.division)))}
        onClear={() => change((s) => shown.forEach((d) => s.delete(d.division)))}
        selected={selection.count}
        total={active.length}
      />
      <DivisionsTable
        divisions={shown}
        isOn={isOn}
        busy={busy}
        onToggle={(d, checked) =>
          change((s) => {
            if (mode === 'all') active.forEach((x) => s.add(x.division));
            if (checked) s.add(d);
            else s.delete(d);
          })
        }
        onSync={(d) => void syncOne(d)}
      />
      {shown.length === 0 ? <Text>No division matches "{search}".</Text> : null}
      {message ? <Notice intent="success">{message}</Notice> : null}
      <ErrorBar error={error} title="Not saved" />
      <div style={{ display: 'flex', gap: 8 }}>
        <Button appearance="primary" disabled={busy || selection.count === 0} onClick={() => void save(true)}>
          Save and sync now
        </Button>
        <Button disabled={busy} onClick={() => void save(false)}>
          Save
        </Button>
      </div>
    </>
  );
}

/** Saving the selection (and syncing it), and Sync now of one division; what happened, for the page. */
function useDivisionActions(id: number, selection: ReturnType<typeof useSelection>, reload: () => Promise<unknown>) {
  const { run, busy, error } = useAction();
  const [message, setMessage] = useState<string | undefined>(undefined);
  const { mode, chosen } = selection;
  const save = (andSync: boolean) => {
    setMessage(undefined);
    return run(async () => {
      await put(
        `/api/v1/connections/${id}/divisions`,
        mode === 'all' ? { mode: 'all' } : { mode: 'selected', divisions: [...chosen] },
      );
      selection.saved();
      const text = andSync
        ? savedAndSynced(await post<SyncNowResponse>(`/api/v1/connections/${id}/sync`, {}))
        : 'Selection saved.';
      setMessage(text);
      await reload();
    });
  };

  const syncOne = (division: number) => {
    setMessage(undefined);
    return run(async () => {
      await patch(`/api/v1/connections/${id}/divisions/${division}`, { syncNow: true });
      await reload();
    });
  };

  return { save, syncOne, busy, error, message };
}

function savedAndSynced(r: SyncNowResponse): string {
  if (r.status === 'already_running') return 'Selection saved; a sync is already running.';
  return `Selection saved; syncing ${r.started.length} division${r.started.length === 1 ? '' : 's'} now.`;
}

type Division = DivisionsResponse['divisions'][number];

/**
 * The divisions ticked, and whether all of them sync: the saved selection until the admin changes
 * something, then theirs until it is saved.
 */
function useSelection(data: DivisionsResponse | undefined) {
  const [mode, setMode] = useState<'all' | 'selected'>('selected');
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!data || dirty) return;
    setMode(data.mode);
    setChosen(new Set(data.divisions.filter((d) => d.syncEnabled).map((d) => d.division)));
  }, [data, dirty]);
  const active = useMemo(() => data?.divisions.filter((d) => d.active) ?? [], [data]);
  return {
    mode,
    chosen,
    active,
    count: mode === 'all' ? active.length : active.filter((d) => chosen.has(d.division)).length,
    isOn: (d: number) => mode === 'all' || chosen.has(d),
    setMode: (m: 'all' | 'selected') => {
      setMode(m);
      setDirty(true);
    },
    change: (fn: (s: Set<number>) => void) => {
      const next = new Set(chosen);
      fn(next);
      setChosen(next);
      setMode('selected');
      setDirty(true);
    },
    saved: () => setDirty(false),
  };
}

function ConnectNotices({ connected, reconnected }: { connected: boolean; reconnected: boolean }) {
  return (
    <>
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
    </>
  );
}

function SelectionBar(p: {
  search: string;
  onSearch: (q: string) => void;
  onSelect: () => void;
  onClear: () => void;
  selected: number;
  total: number;
}) {
  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
      <Input
        placeholder="Search by name or code"
        value={p.search}
        onChange={(_e, d) => p.onSearch(d.value)}
        style={{ minWidth: 260 }}
        aria-label="Search divisions"
      />
      <Button onClick={p.onSelect}>Select {p.search ? 'shown' : 'all'}</Button>
      <Button onClick={p.onClear}>Clear {p.search ? 'shown' : 'all'}</Button>
      <Text>
        {p.selected} of {p.total} selected
      </Text>
    </div>
  );
}

function DivisionsTable(p: {
  divisions: Division[];
  isOn: (d: number) => boolean;
  busy: boolean;
  onToggle: (division: number, on: boolean) => void;
  onSync: (division: number) => void;
}) {
  return (
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
        {p.divisions.map((d) => (
          <DivisionRow
            key={d.division}
            d={d}
            on={p.isOn(d.division)}
            busy={p.busy}
            onToggle={p.onToggle}
            onSync={p.onSync}
          />
        ))}
      </TableBody>
    </Table>
  );
}

function DivisionRow(p: {
  d: Division;
  on: boolean;
  busy: boolean;
  onToggle: (division: number, on: boolean) => void;
  onSync: (division: number) => void;
}) {
  const { d } = p;
  return (
    <TableRow data-division={d.division}>
      <TableCell>
        <Checkbox
          aria-label={`Sync ${d.name}`}
          checked={p.on}
          onChange={(_e, v) => p.onToggle(d.division, !!v.checked)}
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
      <DivisionStatus d={d} />
      <TableCell>{d.apiCallsLeftToday === null ? '—' : count(d.apiCallsLeftToday)}</TableCell>
      <TableCell>
        <Button
          size="small"
          appearance="subtle"
          disabled={p.busy || d.syncing || d.queued}
          onClick={() => p.onSync(d.division)}
          aria-label={`Sync ${d.name} now`}
        >
          Sync now
        </Button>
      </TableCell>
    </TableRow>
  );
}

function DivisionStatus({ d }: { d: Division }) {
  return (
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
      <FailureText>{d.syncing ? null : d.lastRun?.errorMessage}</FailureText>
      {d.pausedUntil ? (
        <Text size={200} block>
          Exact's daily limit is spent; scheduled syncs wait until {new Date(d.pausedUntil).toLocaleString()}.
        </Text>
      ) : null}
    </TableCell>
  );
}
