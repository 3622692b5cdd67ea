// Where a population snapshot came from. A partition passing many instants in one step (hourly
// refresh over a year of history) builds a new snapshot object whenever a counter moved, from the
// one before it and the fields that moved since. A merge that saw the earlier object can then
// move its sums by those fields alone instead of reading every field of the new one: the runtime
// records each link here, a worker's merge asks for the fields changed between two objects.
// Weak both ways: a snapshot nobody holds any more takes its link with it, and a link does not
// keep the snapshot before it alive (a chain of strong links kept every snapshot of a step, a
// year of hourly ones, and doubled the time spent collecting garbage).

type Snapshot = Readonly<Record<string, number>>;

const links = new WeakMap<
  Snapshot,
  { readonly previous: WeakRef<Snapshot>; readonly touched: ReadonlySet<string> }
>();

/** `next` is `previous` with only the fields in `touched` changed (added, moved or gone). */
export function linkSnapshot(next: Snapshot, previous: Snapshot, touched: ReadonlySet<string>): void {
  if (next !== previous) links.set(next, { previous: new WeakRef(previous), touched });
}

/**
 * The fields that may differ between `before` and `now` (a superset of those that do), when `now`
 * descends from `before` through at most `maxHops` links whose snapshots are still held; null when
 * that is not known.
 */
export function fieldsChangedSince(
  now: Snapshot,
  before: Snapshot,
  maxHops = 256,
): ReadonlySet<string> | null {
  if (now === before) return new Set();
  const first = links.get(now);
  if (!first) return null;
  let at = first.previous.deref();
  if (at === before) return first.touched;
  const fields = new Set(first.touched);
  for (let hop = 1; hop < maxHops && at !== undefined; hop++) {
    const link = links.get(at);
    if (!link) return null;
    for (const field of link.touched) fields.add(field);
    at = link.previous.deref();
    if (at === before) return fields;
  }
  return null;
}
