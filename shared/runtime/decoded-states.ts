/**
 * Customer states decoded earlier, each kept with the exact text it was decoded from or encoded
 * to: a state read again as the same text is the same state, so it is not decoded again (a JSON
 * state of next best offer costs tens of microseconds to parse, at every step that touches its
 * customer). The text read from Redis stays the truth: a state another owner wrote, or one a step
 * that was never applied would have written, has other text and is decoded afresh, so the cache
 * needs no fencing of its own. States are never written to (Segment.merge), which is what makes
 * sharing one decoded object between steps safe.
 *
 * Bounded by the length of the texts kept; the least recently used go first.
 */
export class DecodedStates<S> {
  private readonly entries = new Map<string, { readonly text: string; readonly state: S }>();
  private textLength = 0;

  constructor(
    private readonly decode: (text: string) => S,
    /** Characters of state text kept; 0 keeps nothing. */
    private readonly capacity: number,
  ) {}

  /** The customer's state decoded from `text`, from the cache when it holds that very text. */
  decodeOf(customerId: string, text: string): S {
    const kept = this.entries.get(customerId);
    if (kept !== undefined && kept.text === text) {
      // Most recently used last: the map's first entry is the one to evict.
      this.entries.delete(customerId);
      this.entries.set(customerId, kept);
      return kept.state;
    }
    const state = this.decode(text);
    this.remember(customerId, text, state);
    return state;
  }

  /** Keeps `state` as what `text` decodes to (a state this process encoded and Redis applied). */
  remember(customerId: string, text: string, state: S): void {
    this.forget(customerId);
    if (text.length > this.capacity) return;
    this.entries.set(customerId, { text, state });
    this.textLength += text.length;
    while (this.textLength > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
    }
  }

  forget(customerId: string): void {
    const kept = this.entries.get(customerId);
    if (kept === undefined) return;
    this.entries.delete(customerId);
    this.textLength -= kept.text.length;
  }

  get size(): number {
    return this.entries.size;
  }
}
