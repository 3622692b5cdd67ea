import { Random } from '../../services/pos-simulator/random.js';

/** A seeded uniform [0, 1) source for tests (the simulator's PRNG), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}
