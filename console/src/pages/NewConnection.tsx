import {
  Accordion,
  AccordionHeader,
  AccordionItem,
  AccordionPanel,
  Button,
  Card,
  Checkbox,
  Field,
  Select,
  Text,
} from '@fluentui/react-components';
import { useState } from 'react';
import type { CatalogResponse, ConnectionsResponse } from '../../../server/api/types.ts';
import { currentCsrfToken, get } from '../api.ts';
import { ErrorBar, Notice, PageTitle, stack } from '../components.tsx';
import { COUNTRIES } from '../format.ts';
import { useLoad } from '../useLoad.ts';

export function NewConnectionPage({ reconnect }: { reconnect: string | null }) {
  const existing = useLoad(() => get<ConnectionsResponse>('/api/v1/connections'), []);
  const catalog = useLoad(() => get<CatalogResponse>('/api/v1/catalog'), []);
  const TABLES = (catalog.data?.tables ?? []).filter((t) => !t.required).map((t) => ({ name: t.name, label: t.title }));
  const again = existing.data?.connections.find((c) => String(c.id) === reconnect);
  const thisYear = new Date().getFullYear();
  const [country, setCountry] = useState<string | undefined>(undefined);
  const [startYear, setStartYear] = useState<string | undefined>(undefined);
  // undefined: all tables (the default); a set once the admin unticks one.
  const [picked, setPicked] = useState<Set<string> | undefined>(undefined);
  const tables = picked ?? new Set(TABLES.map((t) => t.name));
  // A link to /connect/exact?country=…&start_year=… lands here with its choice filled in, to be confirmed.
  const linked = new URLSearchParams(location.search);
  const chosenCountry = country ?? linked.get('country') ?? again?.country ?? 'nl';
  const chosenYear =
    startYear ?? linked.get('start_year') ?? (again ? String(again.startYear ?? '') : String(thisYear - 2));

  // A form POST with the session's CSRF token: the server starts a connection only from the console.
  const connect = () => {
    const fields: Record<string, string> = { country: chosenCountry, csrf: currentCsrfToken() ?? '' };
    if (chosenYear) fields.start_year = chosenYear;
    if (picked && tables.size < TABLES.length) fields.tables = [...tables].join(',');
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/connect/exact';
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  };
  const toggle = (name: string, on: boolean) => {
    const next = new Set(tables);
    if (on) next.add(name);
    else next.delete(name);
    setPicked(next);
  };

  return (
    <div style={stack}>
      <ErrorBar
        error={catalog.error ?? existing.error}
        onRetry={() => {
          void catalog.reload();
          void existing.reload();
        }}
      />
      <PageTitle>{again ? `Reconnect connection ${again.id}` : 'Connect Exact Online'}</PageTitle>
      <ReconnectNotice again={again} />
      <Card style={{ padding: 20, maxWidth: 640 }}>
        <div style={stack}>
          <Field
            label="Country of your Exact Online"
            hint="Each country has its own Exact Online; choose the one you sign in to."
          >
            <Select name="country" value={chosenCountry} onChange={(_e, d) => setCountry(d.value)}>
              {COUNTRIES.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </Select>
          </Field>
          <StartYearField value={chosenYear} thisYear={thisYear} onChange={setStartYear} />
          <TablePicker all={TABLES} tables={tables} onToggle={toggle} />
          <Text>
            You will sign in at Exact Online and allow exact-sync to read your administrations. Then you come back here
            and choose which divisions to sync.
          </Text>
          <div>
            <Button appearance="primary" size="large" disabled={tables.size === 0} onClick={connect}>
              Connect Exact Online
            </Button>
          </div>
        </div>
      </Card>
    </div>
  );
}

function TablePicker({
  all,
  tables,
  onToggle,
}: {
  all: { name: string; label: string }[];
  tables: Set<string>;
  onToggle: (name: string, on: boolean) => void;
}) {
  return (
    <Accordion collapsible>
      <AccordionItem value="advanced">
        <AccordionHeader>
          Advanced: tables to sync ({tables.size} of {all.length})
        </AccordionHeader>
        <AccordionPanel>
          <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))' }}>
            {all.map((t) => (
              <Checkbox
                key={t.name}
                label={t.label}
                checked={tables.has(t.name)}
                onChange={(_e, d) => onToggle(t.name, d.checked === true)}
              />
            ))}
          </div>
          <Text size={200}>
            Deletes are always synced. Tables can be changed later on the connection's Tables page.
          </Text>
        </AccordionPanel>
      </AccordionItem>
    </Accordion>
  );
}

function ReconnectNotice({ again }: { again: ConnectionsResponse['connections'][number] | undefined }) {
  if (!again) return null;
  return (
    <Notice intent="warning" title="Reconnecting">
      Sign in at Exact as the same user ({again.exactUserName ?? 'the user who connected it'}). This connection keeps
      its settings and data and gets new tokens. Exact keeps one live connection per user and app, so signing in as this
      user replaces the tokens of this connection instead of adding a second one.
    </Notice>
  );
}

function StartYearField({
  value,
  thisYear,
  onChange,
}: {
  value: string;
  thisYear: number;
  onChange: (v: string) => void;
}) {
  return (
    <Field
      label="Starting year"
      hint="Transaction lines, invoices, orders and purchases from January 1 of this year on. Earlier years cost more API calls on the first sync."
    >
      <Select name="start_year" value={value} onChange={(_e, d) => onChange(d.value)}>
        {Array.from({ length: thisYear - 1999 }, (_, i) => thisYear - i).map((y) => (
          <option key={y} value={String(y)}>
            {y}
          </option>
        ))}
        <option value="">All years</option>
      </Select>
    </Field>
  );
}
