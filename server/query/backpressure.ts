import type { Writable } from 'node:stream';

/**
 * Writes `chunk`, and when the stream asks to wait, waits for it to drain or to close, whichever comes
 * first: a client that goes away never drains, and waiting for that alone held the query's connection
 * (and its transaction) forever.
 */
export async function writeOrWait(
  out: Writable,
  chunk: string | Uint8Array,
  /** Called once `out` has written the chunk (so a buffer can be used again). */
  written?: () => void,
): Promise<void> {
  if (out.destroyed) throw new Error('the client went away');
  if (written ? out.write(chunk, written) : out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (gone: boolean) => {
      out.off('drain', drained);
      out.off('close', closed);
      if (gone) reject(new Error('the client went away'));
      else resolve();
    };
    const drained = () => done(false);
    const closed = () => done(true);
    out.on('drain', drained);
    out.on('close', closed);
  });
}
