// Jest global setup of the stack's integration tests: brings the stack up (a
// no-op for components that are already up) and exports its connection
// settings to the tests as environment variables. LP_STACK_COMPONENTS limits
// which components are started (comma-separated); default: all.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  const cli = path.resolve(__dirname, '..', 'cli.mjs');
  const wanted = (process.env.LP_STACK_COMPONENTS ?? '')
    .split(',')
    .filter(Boolean);
  process.stderr.write(
    `\n[stack] bringing up ${
      wanted.length ? wanted.join(', ') : 'every component'
    } for the integration tests\n`,
  );
  execFileSync(process.execPath, [cli, 'up', ...wanted], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const env = JSON.parse(
    execFileSync(process.execPath, [cli, 'env', '--json'], {
      encoding: 'utf8',
    }),
  );
  Object.assign(process.env, env);
};
