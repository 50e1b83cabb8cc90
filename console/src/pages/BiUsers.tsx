import {
  Button,
  Card,
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
import type { BiUserCreated, BiUsersResponse } from '../../../server/api/types.ts';
import { del, get, post } from '../api.ts';
import { ErrorBar, Loading, Notice, PageTitle, RevokeCell, stack } from '../components.tsx';
import { when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/** Read-only PostgreSQL logins for Power BI, Metabase, psql: made here, password shown once, revocable. */
export function BiUsersPage() {
  const list = useLoad(() => get<BiUsersResponse>('/api/v1/bi-users'), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<BiUserCreated | undefined>(undefined);
  const { run, error } = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setCreated(await post<BiUserCreated>('/api/v1/bi-users', { name: name.trim() }));
      setName('');
      await list.reload();
    });
  };
  const revoke = (id: number) => {
    if (!confirm('Revoke this BI user? Its login is dropped and open BI sessions end at once.')) return;
    void run(async () => {
      await del(`/api/v1/bi-users/${id}`);
      await list.reload();
    });
  };
  return (
    <div style={stack}>
      <PageTitle>BI users</PageTitle>
      <Text>
        PostgreSQL logins for Power BI, Metabase, psql and other BI tools. They read the warehouse (every connection's
        schema, tables added later too) and nothing else, and cannot change anything.
      </Text>
      <Card style={{ padding: 16, maxWidth: 640 }}>
        <form onSubmit={create} style={stack}>
          <Field label="Name" hint="Lower-case letters, digits and _, e.g. powerbi. The login is bi_<name>." required>
            <Input value={name} onChange={(_e, d) => setName(d.value)} name="bi-name" />
          </Field>
          <div>
            <Button appearance="primary" type="submit" disabled={name.trim() === ''}>
              Create BI user
            </Button>
          </div>
        </form>
      </Card>
      {created ? <BiLogin created={created} /> : null}
      <ErrorBar error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.biUsers.length ? (
        <Table aria-label="BI users" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Login</TableHeaderCell>
              <TableHeaderCell>Created</TableHeaderCell>
              <TableHeaderCell />
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.data.biUsers.map((u) => (
              <TableRow key={u.id} data-bi-user={u.roleName}>
                <TableCell>
                  <code>{u.roleName}</code>
                </TableCell>
                <TableCell>{when(u.createdAt)}</TableCell>
                <TableCell>
                  <RevokeCell revokedAt={u.revokedAt} onRevoke={() => revoke(u.id)} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {list.data && list.data.biUsers.length === 0 ? <Text>No BI users yet.</Text> : null}
    </div>
  );
}

function BiLogin({ created }: { created: BiUserCreated }) {
  const facts: [string, string][] = [
    ['Host', created.host],
    ['Port', String(created.port)],
    ['Database', created.database],
    ['User', created.roleName],
    ['Password', created.password],
    ['URL', created.url],
  ];
  return (
    <Notice intent="success" title={`BI user ${created.roleName} created`}>
      <Text block>Enter these in the BI tool now: the password is shown only this once.</Text>
      <table data-bi-login style={{ marginTop: 8, borderSpacing: '12px 2px' }}>
        <tbody>
          {facts.map(([k, v]) => (
            <tr key={k}>
              <th style={{ textAlign: 'left', fontWeight: 600 }}>{k}</th>
              <td>
                <code style={{ userSelect: 'all', wordBreak: 'break-all' }} data-field={k.toLowerCase()}>
                  {v}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {created.note ? (
        <Text size={200} block data-bi-note>
          {created.note}
        </Text>
      ) : null}
    </Notice>
  );
}
