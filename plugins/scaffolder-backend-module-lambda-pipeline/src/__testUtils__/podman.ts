import { spawn } from 'child_process';

/**
 * Runs the stack's podman (`LP_PODMAN`, with the stack's storage and
 * settings), resolving with its stdout and rejecting with the end of its
 * output. Asynchronous, so that servers in the test's process (a Maven
 * mirror) answer a build meanwhile.
 */
export function podman(
  env: Record<string, string>,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(env.LP_PODMAN, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', chunk => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', chunk => (output += chunk));
    child.on('error', reject);
    child.on('exit', status =>
      status === 0
        ? resolve(stdout)
        : reject(
            new Error(
              `podman ${args
                .slice(0, 2)
                .join(' ')} exited with ${status}:\n${output.slice(-6000)}`,
            ),
          ),
    );
  });
}

/**
 * Builds a generated Dockerfile as scripts/up.sh does (the repository's root
 * as context), with the stand-in base images passed through its ARGs and the
 * host's network (the stack's services, PyPI).
 */
export function buildImage(
  env: Record<string, string>,
  {
    dockerfile,
    context,
    tag,
    buildArgs,
  }: {
    dockerfile: string;
    context: string;
    tag: string;
    buildArgs: Record<string, string>;
  },
): Promise<string> {
  return podman(env, [
    'build',
    '--pull=never',
    '--network=host',
    ...Object.entries(buildArgs).flatMap(([k, v]) => [
      '--build-arg',
      `${k}=${v}`,
    ]),
    '-f',
    dockerfile,
    '-t',
    tag,
    context,
  ]);
}
