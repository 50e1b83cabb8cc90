import { Button, Field, FluentProvider, Input, MessageBar, MessageBarBody, Title3, webLightTheme } from '@fluentui/react-components';
import { useState } from 'react';
import { checkServer, type ServerStatus } from './serverStatus.ts';

const SERVER_URL_KEY = 'exact-sync.serverUrl';

export function App() {
  const [serverUrl, setServerUrl] = useState(() => localStorage.getItem(SERVER_URL_KEY) ?? window.location.origin);
  const [status, setStatus] = useState<ServerStatus | undefined>();
  const [busy, setBusy] = useState(false);

  const test = async () => {
    setBusy(true);
    localStorage.setItem(SERVER_URL_KEY, serverUrl);
    setStatus(await checkServer(serverUrl));
    setBusy(false);
  };

  return (
    <FluentProvider theme={webLightTheme} style={{ padding: 16, display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Title3 as="h1">exact-sync</Title3>
      <Field label="Server URL">
        <Input value={serverUrl} onChange={(_e, d) => setServerUrl(d.value)} />
      </Field>
      <Button appearance="primary" disabled={busy} onClick={() => void test()}>
        Test connection
      </Button>
      {status && (
        <MessageBar intent={status.ok ? 'success' : 'error'}>
          <MessageBarBody>{status.ok ? `Connected to exact-sync ${status.version}` : status.message}</MessageBarBody>
        </MessageBar>
      )}
    </FluentProvider>
  );
}
