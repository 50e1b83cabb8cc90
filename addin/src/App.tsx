import { FluentProvider, MessageBar, MessageBarBody, Title3, webLightTheme, Button } from '@fluentui/react-components';
import { useCallback, useEffect, useRef, useState } from 'react';
import { testConnection, type Connection } from './api.ts';
import { refresh, refreshesOnOpen, refreshSummary } from './workbook.ts';
import { KEY_KEY, LAST_COMMAND_KEY, URL_KEY } from './connection.ts';
import { CancelledError } from './excel/tables.ts';
import { ConnectForm } from './pane/ConnectForm.tsx';
import { PaneTabs } from './pane/PaneTabs.tsx';
import { ProgressPanel, type Progress } from './pane/ProgressPanel.tsx';
import { messageOf, when, type Message } from './pane/shared.ts';

/**
 * The task pane: connect (server URL and API key, kept in the add-in's storage, never in the workbook),
 * then insert a warehouse table or a query's result, and refresh what the workbook holds. The parts are
 * in ./pane; all Excel work is in ./excel and ./workbook.ts.
 */

export function App() {
  const [connection, setConnection] = useState<Connection>(() => ({
    serverUrl: localStorage.getItem(URL_KEY) ?? window.location.origin,
    apiKey: localStorage.getItem(KEY_KEY) ?? '',
  }));
  const [connected, setConnected] = useState(false);
  const { message, setMessage, progress, write, control, cancel } = useWrites();

  const connect = useCallback(
    async (c: Connection) => {
      setMessage(undefined);
      try {
        await testConnection(c);
        localStorage.setItem(URL_KEY, c.serverUrl);
        localStorage.setItem(KEY_KEY, c.apiKey);
        setConnected(true);
        setMessage({ intent: 'success', text: `Connected to ${new URL(c.serverUrl).host}.` });
        return true;
      } catch (err) {
        setConnected(false);
        setMessage({ intent: 'error', text: messageOf(err) });
        return false;
      }
    },
    [setMessage],
  );
  // Only on opening: a saved connection is tried once; a workbook set to refresh on open then refreshes.
  const opened = useRef(connection);
  useEffect(() => {
    if (!opened.current.apiKey) return;
    void connect(opened.current).then(async (ok) => {
      if (ok && (await refreshesOnOpen().catch(() => false)))
        await write(async () => `On open: ${refreshSummary(await refresh(opened.current, undefined, control))}`);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connect]);

  const paneStyle = { padding: 12, display: 'flex', flexDirection: 'column', gap: 10, minHeight: '100vh' } as const;

  return (
    <FluentProvider theme={webLightTheme} style={{ ...paneStyle, boxSizing: 'border-box' }}>
      <Title3 as="h1">exact-sync</Title3>
      {!connected ? (
        <ConnectForm
          initial={connection}
          onConnect={(c) => {
            setConnection(c);
            void connect(c);
          }}
        />
      ) : null}
      <LastCommand />
      {message ? (
        <MessageBar intent={message.intent} data-message={message.intent}>
          <MessageBarBody>{message.text}</MessageBarBody>
        </MessageBar>
      ) : null}
      {progress ? <ProgressPanel progress={progress} onCancel={() => (cancel.current = true)} /> : null}
      {connected ? (
        <>
          <PaneTabs connection={connection} busy={!!progress} write={write} control={control} />
          <Button appearance="subtle" size="small" onClick={() => setConnected(false)}>
            Change server or key
          </Button>
        </>
      ) : null}
    </FluentProvider>
  );
}

/** What the ribbon's Refresh all did while the pane was closed (a function command has no UI): shown once. */
function LastCommand() {
  const [text] = useState<string | undefined>(() => {
    const stored = localStorage.getItem(LAST_COMMAND_KEY);
    localStorage.removeItem(LAST_COMMAND_KEY);
    if (!stored) return undefined;
    const { at, text } = JSON.parse(stored) as { at: string; text: string };
    return `${text} (${when(at)}, from the ribbon)`;
  });
  if (!text) return null;
  return (
    <MessageBar intent="info" data-message="last-command">
      <MessageBarBody>{text}</MessageBarBody>
    </MessageBar>
  );
}

/** The message bar, and writes run with the progress bar and the cancel button; a write's outcome goes to the message bar. */
function useWrites() {
  const [message, setMessage] = useState<Message | undefined>();
  const [progress, setProgress] = useState<Progress | undefined>();
  const cancel = useRef(false);
  const write = async (what: () => Promise<string>) => {
    cancel.current = false;
    setMessage(undefined);
    setProgress({ done: 0, total: 1 });
    try {
      setMessage({ intent: 'success', text: await what() });
    } catch (err) {
      setMessage(
        err instanceof CancelledError
          ? { intent: 'warning', text: 'Cancelled: nothing was changed.' }
          : { intent: 'error', text: messageOf(err) },
      );
    } finally {
      setProgress(undefined);
    }
  };
  const control = {
    onProgress: (done: number, total: number) => setProgress({ done, total }),
    cancelled: () => cancel.current,
  };
  return { message, setMessage, progress, write, control, cancel };
}
