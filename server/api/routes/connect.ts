import express, { Router, type Request, type Response } from 'express';
import { consumeOAuthState, createOAuthState, type ConnectChoice, type StateCheck } from '../../auth/oauthStates.ts';
import { cookieValue, readSession, SESSION_COOKIE } from '../../auth/sessions.ts';
import { COUNTRIES, isCountry, type Country } from '../../exact/hosts.ts';
import { isAppError } from '../../lib/errors.ts';
import { TABLE_BY_NAME } from '../../catalog/tables.ts';
import { authorizeUrl } from '../../exact/oauth.ts';
import { finishConnect } from '../../sync/connect.ts';
import { resultPage } from '../pages.ts';
import { redirectUri, type Services } from '../services.ts';

/**
 * `POST /connect/exact` (a form from the console: country, start_year, tables and the session's CSRF
 * token) sends a signed-in admin to Exact's consent page; `GET /connect/exact/callback` is where Exact
 * sends them back. A GET of /connect/exact (an old bookmark, a link from elsewhere) changes nothing: it
 * opens the console's connect page, where the admin confirms with the button; a link from another site
 * used to set the connection's tables and starting year behind Exact's normal consent. Every way the round trip can fail
 * ends on a page that says what happened and offers to start again; nothing is stored unless it worked.
 */

export const FIRST_START_YEAR = 2000;

const STATE_PROBLEMS: Record<Exclude<StateCheck, { ok: true }>['reason'], string> = {
  missing:
    'Exact sent the browser back without the check value (state) this server gave it, so the answer cannot be trusted.',
  unknown:
    'The check value (state) in this link was not issued by this server. The link may have been forged or altered.',
  used: 'This sign-in link was already used. Each one works once.',
  expired: 'This sign-in took longer than 15 minutes and expired.',
  other_session:
    'This sign-in was started in another browser or at another address of this server, or you signed out meanwhile.',
};

function page(res: Response, status: number, title: string, message: string, detail?: string): void {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      resultPage({
        title,
        message,
        ...(detail ? { detail } : {}),
        actions: [
          { label: 'Try again', href: '/connections/new', primary: true },
          { label: 'Back to the console', href: '/' },
        ],
      }),
    );
}

export function connectRoutes(s: Services): Router {
  const router = Router();
  router.get('/connect/exact', (req, res) => {
    const q = new URLSearchParams(req.query as Record<string, string>).toString();
    res.redirect(303, `/connections/new${q ? `?${q}` : ''}`);
  });
  router.post('/connect/exact', express.urlencoded({ extended: false, limit: '16kb' }), startConnect(s));
  router.get('/connect/exact/callback', connectCallback(s));
  return router;
}

type Choice = Omit<ConnectChoice, 'baseUrl'> & { country: Country };

/**
 * What the admin chose on the console's connect page (`country`, `start_year`, `tables`), or the page
 * that says what is wrong with it. A pure decision, table-tested.
 */
export function parseConnectChoice(
  q: Record<string, unknown>,
  thisYear: number,
): { ok: true; choice: Choice } | { ok: false; title: string; message: string } {
  const country = typeof q.country === 'string' ? q.country : 'nl';
  if (!isCountry(country))
    return {
      ok: false,
      title: 'Unknown country',
      message: `exact-sync does not know Exact Online for country "${country}". Choose one of: ${COUNTRIES.join(', ')}.`,
    };
  let startYear: number | null = null;
  if (typeof q.start_year === 'string' && q.start_year !== '') {
    const y = Number(q.start_year);
    if (!Number.isInteger(y) || y < FIRST_START_YEAR || y > thisYear)
      return {
        ok: false,
        title: 'Invalid starting year',
        message: `The starting year must be a year from ${FIRST_START_YEAR} to ${thisYear} (got "${q.start_year}").`,
      };
    startYear = y;
  }
  let tables: string[] | null = null;
  if (typeof q.tables === 'string' && q.tables.trim() !== '') {
    tables = q.tables
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = tables.filter((t) => !TABLE_BY_NAME.has(t));
    if (unknown.length)
      return {
        ok: false,
        title: 'Unknown tables',
        message: `exact-sync has no table ${unknown.join(', ')}. Known: ${[...TABLE_BY_NAME.keys()].join(', ')}.`,
      };
  }
  return { ok: true, choice: { country, startYear, tables } };
}

/** POST /connect/exact: checks the token and the choice, keeps it with a fresh OAuth state, and sends the admin to Exact. */
function startConnect(s: Services) {
  const origin = new URL(s.publicUrl).origin;
  return async (req: Request, res: Response) => {
    // The session cookie belongs to one address: start where Exact will send the browser back.
    const here = `${req.protocol}://${req.get('host') ?? ''}`;
    const form = (req.body ?? {}) as Record<string, unknown>;
    const choice = new URLSearchParams(
      Object.entries(form).filter((e): e is [string, string] => e[0] !== 'csrf' && typeof e[1] === 'string'),
    ).toString();
    if (here !== origin) {
      res.redirect(303, `${s.publicUrl}/connections/new${choice ? `?${choice}` : ''}`);
      return;
    }
    const session = await readSession(s.pool, cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (!session) {
      res.redirect(303, `/login?next=${encodeURIComponent(`/connections/new${choice ? `?${choice}` : ''}`)}`);
      return;
    }
    if (form.csrf !== session.csrfToken) {
      page(
        res,
        403,
        'Start from the console',
        'This request to connect Exact Online did not come from the console (its check value is missing or old), so nothing was started.',
        "Open the console's Connect page and choose Connect Exact Online there.",
      );
      return;
    }
    const parsed = parseConnectChoice(form, new Date().getUTCFullYear());
    if (!parsed.ok) {
      page(res, 400, parsed.title, parsed.message);
      return;
    }
    const { country, startYear, tables } = parsed.choice;
    const baseUrl = s.app.baseUrlFor(country);
    const state = await createOAuthState(s.pool, session.idHash, { country, baseUrl, startYear, tables });
    req.log.info(
      { country, startYear, tables: tables?.length ?? 'all' },
      'sending the admin to Exact Online to connect',
    );
    res.redirect(302, authorizeUrl(s.app, baseUrl, redirectUri(s), state));
  };
}

/** GET /connect/exact/callback: Exact sends the admin back with a code (or a refusal). */
function connectCallback(s: Services) {
  return async (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const session = await readSession(s.pool, cookieValue(req.headers.cookie, SESSION_COOKIE));
    const check = await consumeOAuthState(s.pool, text(q.state), session?.idHash);
    if (!check.ok) {
      req.log.warn({ reason: check.reason }, 'OAuth callback refused: bad state');
      page(
        res,
        400,
        'This sign-in cannot be used',
        STATE_PROBLEMS[check.reason],
        'Nothing was changed. Start the connection again from the console.',
      );
      return;
    }
    const error = text(q.error);
    if (error !== undefined) {
      const description = text(q.error_description);
      if (error === 'access_denied') {
        page(
          res,
          400,
          'Access was not granted',
          'Exact Online says access was refused, so exact-sync cannot read this administration. Nothing was changed.',
          "To connect, start again and choose Authorize (or Allow) on Exact's page; the Exact user needs access to the administrations to sync.",
        );
      } else {
        page(
          res,
          400,
          'Exact Online did not finish the sign-in',
          `Exact Online answered: ${description ?? error}. Nothing was changed.`,
        );
      }
      return;
    }
    const code = text(q.code);
    if (!code) {
      page(
        res,
        400,
        'Exact Online did not finish the sign-in',
        'The answer from Exact Online has no authorization code. Nothing was changed.',
      );
      return;
    }
    try {
      const result = await finishConnect(s, check.choice, code, redirectUri(s));
      res.redirect(
        303,
        `/connections/${result.connectionId}/divisions?${result.reconnected ? 'reconnected' : 'connected'}=1`,
      );
    } catch (err) {
      if (
        (isAppError(err) && err.status < 500) ||
        (isAppError(err) && ['exact_unreachable', 'exact_failed', 'app_rejected'].includes(err.code))
      ) {
        req.log.warn({ err }, 'connecting Exact Online failed');
        page(res, err.status, 'Connecting Exact Online failed', err.message, 'Nothing was stored.');
        return;
      }
      req.log.error({ err }, 'connecting Exact Online failed');
      page(
        res,
        500,
        'Connecting Exact Online failed',
        `Something went wrong on this server; its log has the details (request id ${String(req.id)}). Nothing was stored.`,
      );
    }
  };
}
