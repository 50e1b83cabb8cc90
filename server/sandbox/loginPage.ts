/** The sandbox's stand-in for Exact's sign-in and consent page: one form, user and password, "Authorize". */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(options: { query?: Record<string, string | undefined>; error?: string }): string {
  const hidden = Object.entries(options.query ?? {})
    .filter(
      ([k, v]) => ['client_id', 'redirect_uri', 'response_type', 'state', 'force_login'].includes(k) && v !== undefined,
    )
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v!)}">`)
    .join('');
  const form = options.query
    ? `<form method="post" action="/api/oauth2/auth">${hidden}
        <label>User name <input name="username" autocomplete="username" value="demo" required></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <p class="hint">Sandbox user: <b>demo</b> / <b>demo</b></p>
        <button type="submit" name="decision" value="allow">Authorize</button>
        <button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Cancel</button>
      </form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Exact Online sandbox — sign in</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f3f5f8; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 2px 12px #0002; width: min(24rem, 90vw); }
  h1 { font-size: 1.25rem; color: #e1261c; margin: 0 0 .25rem; } p.sub { margin: 0 0 1.5rem; color: #555; }
  label { display: block; margin: 0 0 1rem; font-size: .9rem; } input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font-size: 1rem; }
  button.secondary { background: #fff; color: #333; border: 1px solid #bbb; margin-left: .5rem; }
  button { background: #e1261c; color: #fff; border: 0; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 4px; cursor: pointer; }
  .error { background: #fde7e9; color: #a4262c; padding: .6rem .8rem; border-radius: 4px; margin-bottom: 1rem; } .hint { color: #777; font-size: .85rem; }
</style></head>
<body><main>
  <h1>Exact Online sandbox</h1>
  <p class="sub">Sign in to allow the app access to your administrations.</p>
  ${options.error ? `<div class="error" role="alert">${escape(options.error)}</div>` : ''}
  ${form}
</main></body></html>`;
}
