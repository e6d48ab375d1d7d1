module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // Benchmarks (bench/render-pipeline.sh) are test code: they may use the test utilities.
      files: ['src/**/*.bench.ts'],
      rules: { 'no-restricted-imports': 'off' },
    },
  ],
});
