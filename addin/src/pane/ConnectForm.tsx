import { Button, Field, Input } from '@fluentui/react-components';
import { useState } from 'react';
import type { Connection } from '../api.ts';

/** The server URL and API key, asked for until they work. */
export function ConnectForm({ initial, onConnect }: { initial: Connection; onConnect: (c: Connection) => void }) {
  const [serverUrl, setServerUrl] = useState(initial.serverUrl);
  const [apiKey, setApiKey] = useState(initial.apiKey);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onConnect({ serverUrl: serverUrl.trim(), apiKey: apiKey.trim() });
      }}
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
    >
      <Field label="Server URL">
        <Input name="server-url" value={serverUrl} onChange={(_e, d) => setServerUrl(d.value)} />
      </Field>
      <Field
        label="API key"
        hint="Made in the exact-sync console under API keys. Kept in this add-in, never in the workbook."
      >
        <Input name="api-key" type="password" value={apiKey} onChange={(_e, d) => setApiKey(d.value)} />
      </Field>
      <Button appearance="primary" type="submit">
        Connect
      </Button>
    </form>
  );
}
