import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // Set-up hooks build dist/ and start real processes: on a busy 2-core machine that alone can take minutes.
    hookTimeout: 240_000,
    pool: 'forks',
    // Two cores: end-to-end files start real processes, so keep file parallelism modest.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The JSON report lets .ci/run print one plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
