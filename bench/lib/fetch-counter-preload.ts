import { installFetchCounter, writeFetchCounts } from './fetch-counter.js';

// Preloaded into the worker processes the bench starts (node --import): see fetch-counter.ts.
installFetchCounter();
const file = process.env.BENCH_FETCH_COUNT_FILE;
if (file) process.on('exit', () => writeFetchCounts(file));
