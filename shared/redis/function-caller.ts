import { RedisUnavailableError } from '../errors.js';
import { primariesOf, type RedisClient } from './connection.js';
import { buildFunctionLibrary, type FunctionLibrary, type FunctionName, functionFiles } from './functions.js';

/**
 * Calls the library's functions with FCALL. The library is loaded once at start-up; when
 * Redis answers that a function is missing (restart without persistence, FUNCTION FLUSH,
 * failover to a replica without it), it is loaded again and the call repeated once. The same
 * happens on a Redis that holds only an older version of the library (its names carry another
 * hash): the new version is loaded next to it, never calling the old one's functions.
 */
export class FunctionCaller {
  readonly library: FunctionLibrary;
  /** How many times the library had to be loaded again after it went missing. */
  reloads = 0;

  constructor(
    private readonly redis: RedisClient,
    /** Told each time the library had to be loaded again (for a metric and a log line). */
    private readonly onReload: (library: string) => void = () => undefined,
    /** The library of this code base (tests pass another version). */
    library: FunctionLibrary = buildFunctionLibrary(),
  ) {
    this.library = library;
  }

  /**
   * On every primary of a Cluster: an FCALL runs on the primary of its keys' slot. A replica
   * promoted by a failover holds the library already (FUNCTION LOAD replicates); a primary added
   * by resharding gets it when a call there finds it missing.
   */
  async load(): Promise<void> {
    await Promise.all(
      primariesOf(this.redis).map((node) => node.call('FUNCTION', 'LOAD', 'REPLACE', this.library.code)),
    );
  }

  async call(name: FunctionName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const expected = functionFiles[name].keys;
    if (expected !== 'any' && keys.length !== expected) {
      throw new Error(`${name} takes ${expected} keys, got ${keys.length}`);
    }
    // One array, never spread into the call: V8 throws a RangeError (maximum call stack size)
    // at about 125,000 spread arguments, and a large segment carries more.
    const command = [this.library.functionNames[name], String(keys.length)].concat(keys, args);
    const fcall = () => this.redis.call('FCALL', command);
    try {
      return await fcall();
    } catch (error) {
      if (!isFunctionMissing(error)) throw wrapRedisError(error);
      this.reloads += 1;
      await this.load().catch((loadError: unknown) => {
        throw wrapRedisError(loadError);
      });
      this.onReload(this.library.name);
      try {
        return await fcall();
      } catch (retryError) {
        throw wrapRedisError(retryError);
      }
    }
  }
}

function isFunctionMissing(error: unknown): boolean {
  return error instanceof Error && /function not found/i.test(error.message);
}

/** Errors a reply of Redis itself reports (wrong type, OOM) stay as they are; the rest are "outcome unknown". */
function wrapRedisError(error: unknown): unknown {
  if (error instanceof Error && error.name === 'ReplyError') return error;
  return new RedisUnavailableError(`redis call failed: ${(error as Error)?.message ?? String(error)}`, error);
}
