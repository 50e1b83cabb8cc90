import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { unsupportedHost } from './host.ts';

/* React is mounted only once Office.js has initialised, as Office requires; on an Excel without the API
   the add-in needs, the pane says so instead. */
Office.onReady(() => {
  const container = document.getElementById('root');
  if (!container) return;
  const problem = unsupportedHost((set, version) => Office.context.requirements.isSetSupported(set, version));
  createRoot(container).render(
    problem ? (
      <div role="alert" style={{ fontFamily: '"Segoe UI", system-ui, sans-serif', padding: 20, lineHeight: 1.45 }}>
        <h1 style={{ fontSize: 22, fontWeight: 600, margin: '12px 0 20px' }}>exact-sync</h1>
        <p style={{ background: '#fdf3f4', border: '1px solid #eeacb2', borderRadius: 4, padding: 12 }}>{problem}</p>
      </div>
    ) : (
      <App />
    ),
  );
});
