import express, { type RequestHandler, type Router } from 'express';
import { verifyWebhook } from '../../exact/webhookSignature.ts';
import { recordWebhookEvent } from '../../state/webhookEvents.ts';
import { WEBHOOK_PATH } from '../../sync/webhookSubscriptions.ts';
import { errorBody } from '../errors.ts';
import type { Services } from '../services.ts';

/**
 * POST /webhooks/exact: where Exact delivers webhook events. Public by design (Exact sends no key), so
 * it trusts nothing before the HashCode (docs/exact-webhooks.md §1, §4, §5):
 * - an empty body is Exact checking the callback before it subscribes: 200, nothing else;
 * - a body of at most 64 KB (an event is a few hundred bytes) is verified against its raw bytes with the
 *   app's webhook secret; a wrong or missing HashCode is 401, logged without the body;
 * - a verified event is stored (a repeat counts a delivery) before the 200, and nothing is fetched from
 *   Exact while it waits: acting on events is the workers' job.
 */

const MAX_BODY = '64kb';

export function webhookRoutes(s: Services): Router {
  const router = express.Router();
  router.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: MAX_BODY }), receive(s));
  return router;
}

function receive(s: Services): RequestHandler {
  return async (req, res, next) => {
    try {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      if (body.trim() === '') {
        res.status(200).json({ ok: true });
        return;
      }
      const secret = s.app.webhookSecret;
      if (secret === undefined) {
        // Not 200: Exact retries, and the events are not lost while the secret is being set.
        res
          .status(503)
          .json(
            errorBody(
              'webhooks_off',
              "This server has no EXACT_WEBHOOK_SECRET: it cannot tell Exact's deliveries from forgeries.",
            ),
          );
        return;
      }
      const verified = verifyWebhook(body, secret);
      if (!verified.ok) {
        req.log.warn({ why: verified.why, bytes: Buffer.byteLength(body) }, 'webhook delivery refused');
        res.status(401).json(errorBody('webhook_unverified', `Refused: ${verified.why}.`));
        return;
      }
      const fresh = await recordWebhookEvent(s.pool, verified.event);
      res.status(200).json({ ok: true, duplicate: !fresh });
      if (fresh) s.sync.webhookArrived(verified.event.division);
    } catch (err) {
      next(err);
    }
  };
}
