module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // Benchmarks (bench/*.sh) are test code: they may use the test
      // utilities and the development dependencies (kafkajs, pg...).
      files: ['src/**/*.bench.ts'],
      rules: {
        'no-restricted-imports': 'off',
        '@backstage/no-undeclared-imports': 'off',
      },
    },
  ],
});
