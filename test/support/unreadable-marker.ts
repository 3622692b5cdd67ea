/** A record holding this makes its snappy batch unreadable to a worker preloaded with unreadable-snappy-batches.ts. */
export const UNREADABLE_MARKER = 'UNREADABLE-BATCH-MARKER';
