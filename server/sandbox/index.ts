import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp } from './app.ts';
import { Sandbox, type SandboxOptions } from './sandbox.ts';

export {
  Sandbox,
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  SANDBOX_WEBHOOK_SECRET,
  SANDBOX_USER,
  SANDBOX_PASSWORD,
  type SandboxOptions,
} from './sandbox.ts';

export interface RunningSandbox {
  /** Base URL, e.g. http://127.0.0.1:4010: what EXACT_BASE_URL points at. */
  url: string;
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** Starts the Exact Online simulator over HTTP (port 0: any free port). */
export async function startSandbox(
  options: SandboxOptions & { port?: number; host?: string } = {},
): Promise<RunningSandbox> {
  const sandbox = new Sandbox(options);
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer();
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  await listening;
  const { port } = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  sandbox.webhooks.baseUrl = url;
  server.on('request', createSandboxApp(sandbox, { publicUrl: url }));
  return {
    url,
    sandbox,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
