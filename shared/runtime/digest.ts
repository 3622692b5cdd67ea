import * as crypto from 'node:crypto';

// One-shot digests of short strings, taken per record (idempotent intake) and per output (event
// ids). crypto.hash (Node >= 20.12) is about twice as fast as createHash().update().digest() for
// them; older Node 20 releases get the same bytes the slow way.
type OneShot = { hash(algorithm: string, data: string, encoding: 'buffer'): Buffer };
const oneShot: OneShot | null =
  typeof (crypto as Partial<OneShot>).hash === 'function' ? (crypto as OneShot) : null;

/** The digest of `text` (UTF-8) with `algorithm`. */
export function digestOf(algorithm: 'sha1' | 'sha256', text: string): Buffer {
  return oneShot !== null
    ? oneShot.hash(algorithm, text, 'buffer')
    : crypto.createHash(algorithm).update(text, 'utf8').digest();
}
