import {
  Badge,
  Button,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  Title2,
} from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { ApiError } from './api.ts';
import { STATUS_TEXT, statusColor, when } from './format.ts';
import { navigate } from './router.ts';

/** Small pieces every page uses. */

export function ErrorBar({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <MessageBar intent="error" layout="multiline" data-error-code={code}>
      <MessageBarBody>
        <MessageBarTitle>{title ?? 'Something went wrong'}</MessageBarTitle>
        {message}
        {onRetry ? (
          <>
            {' '}
            <Link onClick={onRetry}>Try again</Link>
          </>
        ) : null}
      </MessageBarBody>
    </MessageBar>
  );
}

export function Notice({
  intent = 'info',
  title,
  children,
}: {
  intent?: 'info' | 'success' | 'warning';
  title?: string;
  children: ReactNode;
}) {
  return (
    <MessageBar intent={intent} layout="multiline">
      <MessageBarBody>
        {title ? <MessageBarTitle>{title}</MessageBarTitle> : null}
        {children}
      </MessageBarBody>
    </MessageBar>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge
      appearance="tint"
      color={statusColor(status)}
      data-status={status}
      icon={status === 'running' ? <Spinner size="extra-tiny" /> : undefined}
    >
      {STATUS_TEXT[status] ?? status}
    </Badge>
  );
}

/** Why something failed, in small red text under its status (nothing when there is no message). */
export function FailureText({ children }: { children: string | null | undefined }) {
  if (!children) return null;
  return (
    <Text size={200} block style={{ color: '#a4262c' }}>
      {children}
    </Text>
  );
}

/** A credential's last cell: when it was revoked, or the button that revokes it. */
export function RevokeCell({ revokedAt, onRevoke }: { revokedAt: string | null; onRevoke: () => void }) {
  return revokedAt ? (
    <>
      <StatusBadge status="disabled" /> <Text size={200}>revoked {when(revokedAt)}</Text>
    </>
  ) : (
    <Button size="small" onClick={onRevoke}>
      Revoke
    </Button>
  );
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div
      style={{
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'space-between',
        gap: 12,
        margin: '4px 0 16px',
        flexWrap: 'wrap',
      }}
    >
      <Title2 as="h1">{children}</Title2>
      <div style={{ display: 'flex', gap: 8 }}>{actions}</div>
    </div>
  );
}

/** A link that moves within the console without reloading it. */
export function NavLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link
      href={to}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </Link>
  );
}

export function NavButton({
  to,
  children,
  appearance,
}: {
  to: string;
  children: ReactNode;
  appearance?: 'primary' | 'secondary' | 'subtle';
}) {
  return (
    <Button appearance={appearance ?? 'secondary'} onClick={() => navigate(to)}>
      {children}
    </Button>
  );
}

export function Loading({ label }: { label?: string }) {
  return (
    <Spinner
      label={label ?? 'Loading…'}
      labelPosition="after"
      style={{ justifyContent: 'flex-start', margin: '16px 0' }}
    />
  );
}

export const stack = { display: 'flex', flexDirection: 'column', gap: 16 } as const;
