import { Button, Text } from '@fluentui/react-components';
import { navigate } from './router.ts';
import { SECTIONS } from './sections.ts';

/** The section a path belongs to, for the menu. */
export function sectionOf(path: string): (typeof SECTIONS)[number][0] {
  return SECTIONS.find(([to]) => path.startsWith(`/${to}`))?.[0] ?? 'connections';
}

/** The console's top bar: the menu, the version, and Sign out. */
export function Header({ path, version, onSignOut }: { path: string; version: string; onSignOut: () => void }) {
  const section = sectionOf(path);
  return (
    <header
      style={{
        background: '#0f6cbd',
        color: 'white',
        display: 'flex',
        alignItems: 'center',
        gap: 24,
        padding: '0 24px',
        height: 48,
      }}
    >
      <Text weight="semibold" size={400} style={{ color: 'white' }}>
        exact-sync
      </Text>
      <nav style={{ display: 'flex', gap: 4, height: '100%' }}>
        {SECTIONS.map(([to, label]) => (
          <a
            key={to}
            href={`/${to}`}
            aria-current={section === to ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/${to}`);
            }}
            style={{
              color: 'white',
              textDecoration: 'none',
              padding: '0 12px',
              display: 'flex',
              alignItems: 'center',
              fontWeight: section === to ? 600 : 400,
              borderBottom: section === to ? '3px solid white' : '3px solid transparent',
              opacity: section === to ? 1 : 0.85,
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      <div style={{ flex: 1 }} />
      <Text size={200} style={{ color: '#e0e0e0' }}>
        v{version}
      </Text>
      <Button appearance="transparent" style={{ color: 'white' }} onClick={onSignOut}>
        Sign out
      </Button>
    </header>
  );
}
