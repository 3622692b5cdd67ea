import { defineConfig } from 'vitest/config';

// Three tiers, as the style guide asks: pure unit tests beside the code, integration tests
// against real Kafka and Redis, and one end-to-end test of the whole pipeline; plus the
// fault-injection suite (npm run test:faults), which runs on a Kafka and Redis of its own.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'shared/**/*.test.ts',
            'services/**/*.test.ts',
            'test/oracle/**/*.test.ts',
            'test/support/**/*.test.ts',
            'deploy/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/fault-stack.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          // Scenarios mostly wait (session timeouts, paced load, outages): three at a time keep
          // two cores busy without starving the brokers' and workers' heartbeats.
          maxConcurrency: 3,
        },
      },
    ],
  },
});
