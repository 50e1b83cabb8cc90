import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../server/sandbox/index.ts';
import { api, authorize, REDIRECT, sandboxForFile, tokenCall, type TokenBody } from '../helpers/sandbox.ts';

const sb = await sandboxForFile({ scale: 100 });
const MINUTE = 60_000;

async function refresh(refreshToken: string) {
  const res = await tokenCall(sb, { grant_type: 'refresh_token', refresh_token: refreshToken });
  return { status: res.status, body: (await res.json()) as TokenBody & { error?: string; error_description?: string } };
}

describe('sandbox OAuth2', () => {
  it('issues tokens for an authorization code, shaped as Exact does', async () => {
    const t = await authorize(sb);
    expect(t.token_type).toBe('bearer');
    expect(t.expires_in).toBe('600');
    expect(typeof t.access_token).toBe('string');
    expect(typeof t.refresh_token).toBe('string');
    expect((await api(sb, t.access_token, '/api/v1/current/Me')).status).toBe(200);
  });

  it('shows a login page, refuses a wrong password, and redirects with code and state', async () => {
    const manual = await startSandbox({ scale: 50 });
    try {
      const query = new URLSearchParams({
        client_id: 'sandbox-client',
        redirect_uri: REDIRECT,
        response_type: 'code',
        state: 'abc',
      });
      const page = await fetch(`${manual.url}/api/oauth2/auth?${query}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/api/oauth2/auth">');
      expect(html).toContain(`value="${REDIRECT}"`);
      const post = (password: string) =>
        fetch(`${manual.url}/api/oauth2/auth`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams({
            client_id: 'sandbox-client',
            redirect_uri: REDIRECT,
            response_type: 'code',
            state: 'abc',
            username: 'demo',
            password,
          }),
        });
      const wrong = await post('nope');
      expect(wrong.status).toBe(200);
      expect(await wrong.text()).toContain('The user name or password is incorrect.');
      const ok = await post('demo');
      expect(ok.status).toBe(302);
      const location = new URL(ok.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('state')).toBe('abc');
      expect(location.searchParams.get('code')).toBeTruthy();
    } finally {
      await manual.close();
    }
  });

  it.each([
    [{ client_id: 'other' }, 'Unknown client_id'],
    [{ redirect_uri: 'https://evil.example/cb' }, 'is not registered'],
    [{ response_type: 'token' }, 'response_type must be code'],
  ])('refuses a bad authorization request %j', async (override, message) => {
    const q = new URLSearchParams({
      client_id: 'sandbox-client',
      redirect_uri: REDIRECT,
      response_type: 'code',
      ...override,
    });
    const res = await fetch(`${sb.url}/api/oauth2/auth?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
  });

  it('accepts an authorization code once', async () => {
    const auth = await fetch(
      `${sb.url}/api/oauth2/auth?${new URLSearchParams({ client_id: 'sandbox-client', redirect_uri: REDIRECT, response_type: 'code' })}`,
      { redirect: 'manual' },
    );
    const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
    expect((await tokenCall(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).status).toBe(200);
    const again = await tokenCall(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('refuses a wrong client secret', async () => {
    const res = await fetch(`${sb.url}/api/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: 'sandbox-client',
        client_secret: 'wrong',
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request' });
  });

  it('refuses a refresh before 570 s, rotates the refresh token after, and kills the old one', async () => {
    const first = await authorize(sb);
    const early = await refresh(first.refresh_token);
    expect(early.status).toBe(400);
    expect(early.body.error_description).toBe('Rate limit exceeded: access_token not expired');

    sb.sandbox.clock.advance(571_000);
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.access_token).not.toBe(first.access_token);
    expect(second.body.expires_in).toBe('600');

    const reused = await refresh(first.refresh_token);
    expect(reused.status).toBe(401);
    expect(reused.body).toEqual({ error: 'unauthorized_client', error_description: 'Old refresh token used.' });
    // The new chain goes on.
    sb.sandbox.clock.advance(571_000);
    expect((await refresh(second.body.refresh_token)).status).toBe(200);
  });

  it('lets an access token expire after 600 s', async () => {
    const t = await authorize(sb);
    sb.sandbox.clock.advance(599_000);
    expect((await api(sb, t.access_token, '/api/v1/current/Me')).status).toBe(200);
    sb.sandbox.clock.advance(2_000);
    const expired = await api(sb, t.access_token, '/api/v1/current/Me');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('kills the first token chain when the same user consents again', async () => {
    const first = await authorize(sb);
    const second = await authorize(sb);
    sb.sandbox.clock.advance(571_000);
    const old = await refresh(first.refresh_token);
    expect(old.status).toBe(400);
    expect(old.body.error).toBe('invalid_grant');
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it('expires a refresh token unused for 30 days', async () => {
    const t = await authorize(sb);
    sb.sandbox.clock.advance(30 * 86_400_000 + MINUTE);
    const res = await refresh(t.refresh_token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(
      /^The refresh token expired at \d+\/\d+\/\d{4} \d+:\d{2}:\d{2} [AP]M and it is now .+\.$/,
    );
  });

  it('allows 200 token calls per user per day', async () => {
    const own = await startSandbox({ scale: 50, autoApprove: true });
    try {
      // The start of a UTC day, so the calls cannot straddle midnight.
      own.sandbox.clock.set(Math.ceil(own.sandbox.clock.now() / 86_400_000) * 86_400_000 + 1000);
      const exchange = async () => {
        const auth = await fetch(
          `${own.url}/api/oauth2/auth?${new URLSearchParams({ client_id: 'sandbox-client', redirect_uri: REDIRECT, response_type: 'code' })}`,
          { redirect: 'manual' },
        );
        const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
        return tokenCall(own, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
      };
      for (let i = 1; i <= 200; i++) expect((await exchange()).status, `call ${i}`).toBe(200);
      const refused = await exchange();
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error_description: string }).error_description).toContain(
        '200 token requests per day',
      );
      own.sandbox.clock.advance(86_400_000);
      expect((await exchange()).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
