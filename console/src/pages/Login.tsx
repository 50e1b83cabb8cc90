import { Button, Card, Field, Input, Text, Title2 } from '@fluentui/react-components';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { SessionResponse } from '../../../server/api/types.ts';
import { post } from '../api.ts';
import { ErrorBar, stack } from '../components.tsx';
import { useAction } from '../useAction.ts';

function Centered({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div style={{ display: 'grid', placeItems: 'center', minHeight: '100vh' }}>
      <Card style={{ width: 'min(28rem, 92vw)', padding: 24 }}>
        <Title2 as="h1">{title}</Title2>
        {children}
      </Card>
    </div>
  );
}

export function LoginPage({ onDone, demo }: { onDone: (s: SessionResponse) => void; demo: boolean }) {
  const [secret, setSecret] = useState('');
  const { run, busy, error } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => onDone(await post<SessionResponse>('/auth/login', { secret })));
  };
  return (
    <Centered title="Sign in to exact-sync">
      <form onSubmit={submit} style={stack}>
        <Text>Enter the admin password, or an admin API key.{demo ? ' (Demo mode.)' : ''}</Text>
        <Field label="Password or admin API key" required>
          <Input
            type="password"
            name="secret"
            value={secret}
            onChange={(_e, d) => setSecret(d.value)}
            autoFocus
            autoComplete="current-password"
          />
        </Field>
        <ErrorBar error={error} title="Not signed in" />
        <Button appearance="primary" type="submit" disabled={busy || secret === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
        <Text size={200}>
          Forgot it? Set a new one on the server with <code>npx exact-sync admin</code>.
        </Text>
      </form>
    </Centered>
  );
}

export function SetupPage({ onDone }: { onDone: (s: SessionResponse) => void }) {
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const { run, busy, error } = useAction();
  const mismatch = again !== '' && again !== password;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => onDone(await post<SessionResponse>('/auth/setup', { code, password })));
  };
  return (
    <Centered title="Welcome to exact-sync">
      <form onSubmit={submit} style={stack}>
        <Text>
          Choose the admin password for this server. To prove this is your server, enter the setup code it printed when
          it started (in the terminal running <code>npm start</code>).
        </Text>
        <Field label="Setup code" required>
          <Input
            name="code"
            value={code}
            onChange={(_e, d) => setCode(d.value)}
            placeholder="ABCD-EFGH"
            autoFocus
            autoComplete="off"
          />
        </Field>
        <Field label="Admin password" hint="At least 10 characters." required>
          <Input
            type="password"
            name="password"
            value={password}
            onChange={(_e, d) => setPassword(d.value)}
            autoComplete="new-password"
          />
        </Field>
        <Field
          label="Admin password again"
          required
          validationState={mismatch ? 'error' : 'none'}
          validationMessage={mismatch ? 'The two passwords differ.' : undefined}
        >
          <Input
            type="password"
            name="password-again"
            value={again}
            onChange={(_e, d) => setAgain(d.value)}
            autoComplete="new-password"
          />
        </Field>
        <ErrorBar error={error} title="The password was not set" />
        <Button
          appearance="primary"
          type="submit"
          disabled={busy || code === '' || password === '' || again !== password}
        >
          {busy ? 'Saving…' : 'Set password and sign in'}
        </Button>
      </form>
    </Centered>
  );
}
