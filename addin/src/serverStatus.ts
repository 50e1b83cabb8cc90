/** What the task pane learns from a server's /healthz: reachable and healthy, or why not, in words. */
export type ServerStatus = { ok: true; version: string } | { ok: false; message: string };

export async function checkServer(serverUrl: string, fetchImpl: typeof fetch = fetch): Promise<ServerStatus> {
  let url: URL;
  try {
    url = new URL('/healthz', serverUrl);
  } catch {
    return { ok: false, message: `"${serverUrl}" is not a URL. Enter the address of your exact-sync server, e.g. https://exact-sync.example.com` };
  }
  try {
    const res = await fetchImpl(url, { headers: { Accept: 'application/json' } });
    const body = (await res.json().catch(() => undefined)) as { status?: string; version?: string } | undefined;
    if (res.ok && body?.status === 'ok') return { ok: true, version: body.version ?? 'unknown' };
    return { ok: false, message: `The server answered ${res.status}${body?.status ? ` (${body.status})` : ''}: it is running but not healthy. Ask your admin to check its log.` };
  } catch {
    return { ok: false, message: `Cannot reach ${url.origin}. Check the address, and that the server allows this add-in (HTTPS, CORS).` };
  }
}
