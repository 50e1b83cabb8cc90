import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { checkPasswordRules, needsSetup, setAdminPassword, verifyAdminPassword } from '../../auth/adminPassword.ts';
import { verifyApiKey } from '../../auth/apiKeys.ts';
import {
  cookieValue,
  createSession,
  endSession,
  readSession,
  SESSION_COOKIE,
  SESSION_HOURS,
} from '../../auth/sessions.ts';
import { AppError } from '../../lib/errors.ts';
import { clearSessionCookie, setSessionCookie } from '../auth.ts';
import { parseInput } from '../route.ts';
import { secureCookies, type Services } from '../services.ts';
import type { LoginRequest, SessionResponse, SetupRequest } from '../types.ts';

/**
 * The console's sign-in, outside /api/v1 (it is how a browser gets in, not an API call):
 * `GET /auth/session` (am I signed in, must the password be set first), `POST /auth/login` (the admin
 * password or an admin API key), `POST /auth/logout`, and `POST /auth/setup` (first start: the setup
 * code printed by the server, and the new password).
 */

const loginBody: z.ZodType<LoginRequest> = z.object({
  secret: z.string().min(1, 'enter the admin password or an admin API key'),
});
const setupBody: z.ZodType<SetupRequest> = z.object({
  code: z.string().min(1, "enter the setup code from the server's output"),
  password: z.string(),
});

/**
 * At most 10 failed sign-ins per address in 10 minutes. An attempt counts from before its check (it is
 * taken back when it succeeds): 40 wrong passwords sent at once all used to be checked, since none had
 * failed yet when the others arrived.
 */
export class Throttle {
  private readonly attempts = new Map<string, number[]>();
  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }
  /** Counts an attempt, or refuses it when the address has used up its ten. Answers its ticket. */
  take(key: string): number {
    const recent = (this.attempts.get(key) ?? []).filter((t) => this.now() - t < 600_000);
    if (recent.length >= 10) {
      this.attempts.set(key, recent);
      throw new AppError(
        'too_many_attempts',
        'Too many failed sign-ins from this address; wait ten minutes and try again.',
        { status: 429 },
      );
    }
    const ticket = this.now();
    this.attempts.set(key, [...recent, ticket]);
    return ticket;
  }
  /** The attempt succeeded: it does not count. */
  succeeded(key: string, ticket: number): void {
    const list = this.attempts.get(key) ?? [];
    const i = list.indexOf(ticket);
    if (i >= 0) list.splice(i, 1);
  }
}

/** Who a console sign-in is: the admin password or an admin API key; else the error that says why not. */
async function credentialOf(s: Services, secret: string): Promise<string | AppError> {
  if (await verifyAdminPassword(s.pool, secret)) return 'password';
  const key = secret.startsWith('esk_') ? await verifyApiKey(s.pool, secret.trim()) : undefined;
  if (key?.scopes.includes('admin')) return `api_key:${key.id}`;
  if (key)
    return new AppError(
      'forbidden',
      'This API key has only the read scope; the console needs the admin password or an admin key.',
      { status: 403 },
    );
  return new AppError('wrong_credentials', 'That is not the admin password or an admin API key.', { status: 401 });
}

export function sessionRoutes(s: Services, version: string): Router {
  const router = Router();
  const throttle = new Throttle();
  const cookieOptions = { secure: secureCookies(s), maxAgeMs: SESSION_HOURS * 3_600_000 };
  const setupRequired = () => needsSetup(s.pool);
  const signIn = async (res: Parameters<typeof setSessionCookie>[0], via: string): Promise<SessionResponse> => {
    const { cookie, session } = await createSession(s.pool, via);
    setSessionCookie(res, cookie, cookieOptions);
    return {
      signedIn: true,
      csrfToken: session.csrfToken,
      via,
      setupRequired: false,
      demo: s.demo,
      version,
      publicUrl: s.publicUrl,
    };
  };
  const client = (req: Request) => req.ip ?? 'unknown';

  router.get('/auth/session', async (req, res) => {
    const session = await readSession(s.pool, cookieValue(req.headers.cookie, SESSION_COOKIE));
    const body: SessionResponse = {
      signedIn: session !== undefined,
      csrfToken: session?.csrfToken ?? null,
      via: session?.via ?? null,
      setupRequired: session === undefined && (await setupRequired()),
      demo: s.demo,
      version,
      publicUrl: s.publicUrl,
    };
    res.set('Cache-Control', 'no-store').json(body);
  });

  router.post('/auth/login', async (req, res) => {
    const ticket = throttle.take(client(req));
    const { secret } = parseInput(loginBody, req.body, 'body');
    const via = await credentialOf(s, secret);
    if (typeof via === 'string') {
      throttle.succeeded(client(req), ticket);
      res.json(await signIn(res, via));
      return;
    }
    throw via;
  });

  // Signing out is a change like any other: it carries the session's CSRF token (a page elsewhere must not
  // be able to sign the admin out).
  router.post('/auth/logout', async (req, res) => {
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const session = await readSession(s.pool, cookie);
    if (session && req.get('x-csrf-token') !== session.csrfToken)
      throw new AppError('csrf_failed', "Signing out did not carry the console's CSRF token; reload the console.", {
        status: 403,
      });
    await endSession(s.pool, cookie);
    clearSessionCookie(res, cookieOptions);
    res.status(204).end();
  });

  router.post(
    '/auth/setup',
    setupHandler(s, throttle, client, (res) => signIn(res, 'password')),
  );

  return router;
}

/** POST /auth/setup: the first start's setup code and the new password. Only a wrong code counts as an attempt. */
function setupHandler(
  s: Services,
  throttle: Throttle,
  client: (req: Request) => string,
  signIn: (res: Response) => Promise<SessionResponse>,
) {
  const setupRequired = () => needsSetup(s.pool);
  return async (req: Request, res: Response) => {
    const ticket = throttle.take(client(req));
    const { code, password } = parseInput(setupBody, req.body, 'body');
    const giveBack = () => throttle.succeeded(client(req), ticket);
    if (!s.setup || !(await setupRequired())) {
      giveBack();
      throw new AppError(
        'setup_done',
        'The admin password is already set: sign in with it (or change it with: npx exact-sync admin).',
        { status: 409 },
      );
    }
    // A weak password is refused before the code is spent: the admin tries again with a better one.
    try {
      checkPasswordRules(password);
    } catch (err) {
      giveBack();
      throw err;
    }
    if (!s.setup.redeem(code)) {
      throw new AppError(
        'wrong_setup_code',
        "That is not the setup code. It is printed in the server's output (the terminal running npm start).",
        { status: 401 },
      );
    }
    giveBack();
    await setAdminPassword(s.pool, password);
    res.json(await signIn(res));
  };
}
