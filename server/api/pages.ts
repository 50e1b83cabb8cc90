/**
 * The few pages the server renders itself: where the OAuth round trip ends when it cannot continue to
 * the console. They say what happened and what to do, and offer to try again.
 */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface PageAction {
  label: string;
  href: string;
  primary?: boolean;
}

export function resultPage(options: {
  title: string;
  message: string;
  detail?: string;
  actions: PageAction[];
}): string {
  const actions = options.actions
    .map((a) => `<a class="button${a.primary ? ' primary' : ''}" href="${escape(a.href)}">${escape(a.label)}</a>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(options.title)} — exact-sync</title>
<style>
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f5f5f5; margin: 0; color: #242424; }
  header { background: #0f6cbd; color: #fff; padding: .8rem 1.5rem; font-weight: 600; }
  main { max-width: 40rem; margin: 2.5rem auto; background: #fff; padding: 1.5rem 2rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  p { line-height: 1.5; } .detail { color: #616161; font-size: .9rem; }
  .button { display: inline-block; margin: 1rem .5rem 0 0; padding: .45rem 1rem; border: 1px solid #d1d1d1; border-radius: 4px; color: #242424; text-decoration: none; }
  .button.primary { background: #0f6cbd; border-color: #0f6cbd; color: #fff; }
</style></head>
<body><header>exact-sync</header><main role="alert">
  <h1>${escape(options.title)}</h1>
  <p>${escape(options.message)}</p>
  ${options.detail ? `<p class="detail">${escape(options.detail)}</p>` : ''}
  ${actions}
</main></body></html>`;
}
