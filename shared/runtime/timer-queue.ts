import type { DueTimer } from './state-store.js';

/**
 * In-memory timers of one segment: every timer due up to the segment's horizon, in firing
 * order (due time, then customer id, then kind). A binary heap with lazy deletion: `current`
 * holds the live due time of each member; heap entries that disagree with it are stale.
 */
export class TimerQueue {
  private readonly heap: DueTimer[] = [];
  private readonly current = new Map<string, number>();

  static member(kind: string, customerId: string): string {
    return `${kind}|${customerId}`;
  }

  set(timer: DueTimer): void {
    this.current.set(TimerQueue.member(timer.kind, timer.customerId), timer.dueAt);
    this.push(timer);
  }

  cancel(kind: string, customerId: string): void {
    this.current.delete(TimerQueue.member(kind, customerId));
  }

  /** Removes and returns the next live timer due at or before `time`, if any. */
  popDue(time: number): DueTimer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      const live = this.current.get(TimerQueue.member(top.kind, top.customerId));
      if (live !== top.dueAt) {
        this.pop();
        continue;
      }
      if (top.dueAt > time) return undefined;
      this.pop();
      this.current.delete(TimerQueue.member(top.kind, top.customerId));
      return top;
    }
    return undefined;
  }

  private static before(a: DueTimer, b: DueTimer): boolean {
    if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt;
    if (a.customerId !== b.customerId) return a.customerId < b.customerId;
    return a.kind < b.kind;
  }

  private push(timer: DueTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!TimerQueue.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < h.length && TimerQueue.before(h[l]!, h[smallest]!)) smallest = l;
      if (r < h.length && TimerQueue.before(h[r]!, h[smallest]!)) smallest = r;
      if (smallest === i) return;
      [h[i], h[smallest]] = [h[smallest]!, h[i]!];
      i = smallest;
    }
  }
}
