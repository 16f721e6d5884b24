import { defineConfig } from 'vitest/config';

// Heavy suites (large pcapgen captures, long mutation runs) run only with EXFIL_HEAVY=1.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The JSON report feeds the plain "vitest: N passed, N failed" closing line of .ci/run.
    reporters: ['default', ['json', { outputFile: 'test/.artifacts/vitest.json' }]],
  },
});
