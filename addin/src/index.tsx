import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

/* React is mounted only once Office.js has initialised, as Office requires. */
Office.onReady(() => {
  const container = document.getElementById('root');
  if (container) createRoot(container).render(<App />);
});
