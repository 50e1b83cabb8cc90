import {
  Button,
  Card,
  Checkbox,
  Field,
  Input,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import type { ApiKeyCreated, ApiKeysResponse } from '../../../server/api/types.ts';
import { del, get, post } from '../api.ts';
import { ErrorBar, Loading, Notice, PageTitle, RevokeCell, stack } from '../components.tsx';
import { when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/** API keys for the Excel add-in, Google Sheets, scripts: made here, shown once, revocable. */
export function ApiKeysPage() {
  const list = useLoad(() => get<ApiKeysResponse>('/api/v1/api-keys'), []);
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | undefined>(undefined);
  const { run, error } = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setCreated(await post<ApiKeyCreated>('/api/v1/api-keys', { name, admin }));
      setName('');
      setAdmin(false);
      await list.reload();
    });
  };
  const revoke = (id: number) => {
    if (!confirm('Revoke this key? Everything using it stops working at once.')) return;
    void run(async () => {
      await del(`/api/v1/api-keys/${id}`);
      await list.reload();
    });
  };
  return (
    <div style={stack}>
      <PageTitle>API keys</PageTitle>
      <Card style={{ padding: 16, maxWidth: 640 }}>
        <form onSubmit={create} style={stack}>
          <Field label="Name" hint='Who or what uses the key, e.g. "Excel — finance team".' required>
            <Input value={name} onChange={(_e, d) => setName(d.value)} name="key-name" />
          </Field>
          <Checkbox
            checked={admin}
            onChange={(_e, d) => setAdmin(d.checked === true)}
            label="Admin: may also change connections, settings and keys (not needed for Excel or Sheets)"
          />
          <div>
            <Button appearance="primary" type="submit" disabled={name.trim() === ''}>
              Create key
            </Button>
          </div>
        </form>
      </Card>
      {created ? (
        <Notice intent="success" title={`Key "${created.name}" created`}>
          Copy it now: it is shown only this once.{' '}
          <code data-api-key style={{ userSelect: 'all', wordBreak: 'break-all' }}>
            {created.key}
          </code>{' '}
          <Button size="small" onClick={() => void navigator.clipboard?.writeText(created.key)}>
            Copy
          </Button>
        </Notice>
      ) : null}
      <ErrorBar error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? <ApiKeysTable keys={list.data.apiKeys} onRevoke={revoke} /> : null}
      {list.data && list.data.apiKeys.length === 0 ? <Text>No API keys yet.</Text> : null}
    </div>
  );
}

function ApiKeysTable({ keys, onRevoke }: { keys: ApiKeysResponse['apiKeys']; onRevoke: (id: number) => void }) {
  return (
    <Table aria-label="API keys" size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Name</TableHeaderCell>
          <TableHeaderCell>Key starts with</TableHeaderCell>
          <TableHeaderCell>Scopes</TableHeaderCell>
          <TableHeaderCell>Created</TableHeaderCell>
          <TableHeaderCell>Last used</TableHeaderCell>
          <TableHeaderCell />
        </TableRow>
      </TableHeader>
      <TableBody>
        {keys.map((k) => (
          <TableRow key={k.id}>
            <TableCell>{k.name}</TableCell>
            <TableCell>
              <code>{k.prefix}…</code>
            </TableCell>
            <TableCell>{k.scopes.join(', ')}</TableCell>
            <TableCell>{when(k.createdAt)}</TableCell>
            <TableCell>{when(k.lastUsedAt)}</TableCell>
            <TableCell>
              <RevokeCell revokedAt={k.revokedAt} onRevoke={() => onRevoke(k.id)} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
