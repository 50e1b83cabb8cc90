import { Router, type Response } from 'express';
import type { FaultRule } from './faults.ts';
import type { Row } from './model.ts';
import type { Sandbox } from './sandbox.ts';

/**
 * `/_sandbox/…`: what tests, benchmarks and demos use to steer the sandbox over HTTP (real Exact has no
 * such routes). The same operations are methods of Sandbox for in-process use.
 */
export function controlRoutes(sandbox: Sandbox): Router {
  const r = Router();
  const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: message });

  r.get('/divisions', (_req, res) => {
    res.json(
      sandbox.divisions.map((d) => ({
        code: d.code,
        description: d.description,
        readOnly: d.readOnly,
        counts: Object.fromEntries([...d.tables.entries()].map(([name, t]) => [name, t.size])),
      })),
    );
  });
  r.post('/clock', (req, res) => {
    const { advanceMs, set } = req.body as { advanceMs?: number; set?: number };
    if (typeof advanceMs === 'number') sandbox.clock.advance(advanceMs);
    else if (typeof set === 'number') sandbox.clock.set(set);
    else return fail(res, 400, 'send {"advanceMs": n} or {"set": epochMs}');
    res.json({ now: sandbox.clock.now() });
  });
  r.get('/calls', (req, res) => {
    const since = Number(req.query.since ?? 0);
    res.json(sandbox.calls.filter((c) => c.at >= since));
  });
  r.delete('/calls', (_req, res) => {
    sandbox.calls.length = 0;
    res.status(204).end();
  });
  r.post('/faults', (req, res) => {
    try {
      res.status(201).json({ id: sandbox.faults.add(req.body as FaultRule) });
    } catch (err) {
      fail(res, 400, (err as Error).message);
    }
  });
  r.delete('/faults', (_req, res) => {
    sandbox.faults.clear();
    res.status(204).end();
  });
  dataRoutes(r, sandbox, fail);
  return r;
}

/** Changing the sandbox's data and endpoints: rows, Timestamps, read-only divisions, dropped fields, revoked users. */
function dataRoutes(r: Router, sandbox: Sandbox, fail: (res: Response, status: number, message: string) => void): void {
  const guarded = (res: Response, fn: () => unknown) => {
    try {
      return fn();
    } catch (err) {
      fail(res, 404, (err as Error).message);
      return undefined;
    }
  };
  r.post('/divisions/:code/regenerate-timestamps', (req, res) => {
    if (guarded(res, () => sandbox.regenerateTimestamps(Number(req.params.code))) === undefined && res.headersSent)
      return;
    res.status(204).end();
  });
  r.post('/divisions/:code/read-only', (req, res) => {
    const d = sandbox.division(Number(req.params.code));
    if (!d) return fail(res, 404, 'no such division');
    d.readOnly = (req.body as { readOnly?: boolean }).readOnly !== false;
    res.json({ code: d.code, readOnly: d.readOnly });
  });
  r.post('/divisions/:code/:entity', (req, res) => {
    const row = guarded(res, () => sandbox.insert(Number(req.params.code), req.params.entity, req.body as Row)) as
      Row | undefined;
    if (row) res.status(201).json(row);
  });
  r.patch('/divisions/:code/:entity/:id', (req, res) => {
    const row = guarded(res, () =>
      sandbox.update(Number(req.params.code), req.params.entity, req.params.id, req.body as Row),
    ) as Row | undefined;
    if (row) res.json(row);
  });
  r.delete('/divisions/:code/:entity/:id', (req, res) => {
    const done = guarded(res, () => sandbox.remove(Number(req.params.code), req.params.entity, req.params.id));
    if (done === false) fail(res, 404, 'no such row');
    else if (done) res.status(204).end();
  });
  // Exact adds and drops fields without notice (docs/exact-online.md 13): tests drop one from an endpoint.
  r.post('/endpoints/drop-field', (req, res) => {
    const { path, field, restore } = req.body as { path?: unknown; field?: unknown; restore?: unknown };
    if (typeof path !== 'string' || typeof field !== 'string')
      return fail(res, 400, 'send {"path": "sync/Financial/TransactionLines", "field": "Notes"}');
    try {
      if (restore === true) sandbox.drift.restore(path, field);
      else sandbox.drift.drop(path, field);
    } catch (err) {
      return fail(res, 404, (err as Error).message);
    }
    res.status(204).end();
  });
  r.post('/users/:user/revoke', (req, res) => {
    sandbox.oauth.revoke(req.params.user);
    res.status(204).end();
  });
}
