import { ValuestreamError } from '../errors.js';
import type { PopulationStore } from './state-store.js';

/** A step decided under a view that another process had stored differently first: it is redone. */
export class PopulationViewConflictError extends ValuestreamError {
  constructor(readonly boundary: number) {
    super(
      'POPULATION_VIEW_CONFLICT',
      `the population view of boundary ${boundary} stored in Redis differs from the one merged here; the step is redone under the stored view`,
      { retriable: true },
    );
  }
}

/**
 * Views merged in this process and the answer Redis gave about them. A view is used as soon as
 * it is merged, and stored (first one wins) only before a step that used it is applied, many
 * views in one call: an hourly refresh over a year merged and stored a view per hour, a round trip
 * at each population instant while every partition waited. Whether the view used is the one
 * stored is checked before the step's writes, so no decision applied ever used another view than
 * the one stored: a replay decides as the first run did.
 */
export class ViewAgreement {
  /** Merged here, not sent yet (boundary -> encoded view). */
  private readonly proposed = new Map<number, string>();
  /** Sent, answer awaited: the view sent and what Redis will say it holds. */
  private readonly sending = new Map<number, { readonly encoded: string; readonly held: Promise<string> }>();
  /** What Redis held after our proposal, for recent boundaries. */
  private readonly agreed = new Map<number, string>();

  constructor(private readonly keepAgreed = 4096) {}

  /** A view merged here: it will be stored with the next agreement. */
  propose(boundary: number, encoded: string): void {
    if (!this.agreed.has(boundary) && !this.sending.has(boundary)) this.proposed.set(boundary, encoded);
  }

  /** The view proposed for the boundary and not yet answered by Redis; undefined when there is none. */
  unsettled(boundary: number): string | undefined {
    if (this.agreed.has(boundary)) return undefined;
    return this.proposed.get(boundary) ?? this.sending.get(boundary)?.encoded;
  }

  /**
   * Makes sure the views a step used are stored, sending with them every view proposed so far
   * (one call for the views of many steps and partitions), and checks that each is the one
   * stored. Throws PopulationViewConflictError, after `onConflict` replaced the cached view, when
   * one is not.
   */
  async settle(
    used: ReadonlyMap<number, string>,
    store: PopulationStore,
    ttlMs: number,
    onConflict: (boundary: number, stored: string) => void,
  ): Promise<void> {
    for (const [boundary, encoded] of used)
      if (!this.agreed.has(boundary) && !this.sending.has(boundary) && !this.proposed.has(boundary))
        this.proposed.set(boundary, encoded);
    if ([...used.keys()].some((b) => this.proposed.has(b))) this.send(store, ttlMs);
    for (const [boundary, encoded] of used) {
      const stored = this.agreed.get(boundary) ?? (await this.sending.get(boundary)?.held);
      if (stored !== undefined && stored !== encoded) {
        onConflict(boundary, stored);
        throw new PopulationViewConflictError(boundary);
      }
    }
  }

  private send(store: PopulationStore, ttlMs: number): void {
    const views = [...this.proposed].map(([boundary, encoded]) => ({ boundary, encoded }));
    this.proposed.clear();
    const answer = store.setViewsIfAbsent(views, ttlMs);
    for (const { boundary, encoded } of views) {
      const held = answer.then((h) => h.get(boundary)!);
      // A failed call leaves nothing agreed: the next step that used these views proposes them again.
      held.catch(() => undefined);
      this.sending.set(boundary, { encoded, held });
    }
    answer.then(
      (held) => {
        for (const [boundary, stored] of held) {
          this.agreed.set(boundary, stored);
          this.sending.delete(boundary);
        }
        while (this.agreed.size > this.keepAgreed) this.agreed.delete(this.agreed.keys().next().value!);
      },
      () => {
        for (const { boundary } of views) this.sending.delete(boundary);
      },
    );
  }
}
