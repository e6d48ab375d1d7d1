import {
  RootConfigService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { ForwardedError, InputError } from '@backstage/errors';
import { isDnsLabel } from '@internal/backstage-plugin-lambda-pipeline-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  PUBLISH_LOCAL_DIRECTORY_KEY,
  PublishLocalConfig,
  requirePublishLocalConfig,
} from '../config';
import { examples } from './publishLocal.examples';

export const PUBLISH_LOCAL_ACTION_ID = 'lambda:publish:local';

const MAX_REPO_NAME_LENGTH = 100;
// A branch name git accepts and that cannot be mistaken for an option.
const BRANCH_NAME =
  /^(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._/-]{0,99}(?<![./])$/;
// What git itself writes for "no commit"; the commit hash of a dry run.
const NULL_COMMIT = '0'.repeat(40);

const execFileAsync = promisify(execFile);

/** Where a published repository lives. */
interface RepoPaths {
  bare: string;
  checkout: string;
  remoteUrl: string;
}

type PublishResult = {
  remoteUrl: string;
  checkoutPath: string;
  commitHash: string;
};

function repoPaths(local: PublishLocalConfig, repoName: string): RepoPaths {
  const bare = path.join(local.directory, `${repoName}.git`);
  return {
    bare,
    checkout: path.join(local.checkoutsDirectory, repoName),
    remoteUrl: pathToFileURL(bare).href,
  };
}

/**
 * Runs the git CLI without a shell. GIT_* variables of the backend's own
 * environment (GIT_DIR, GIT_WORK_TREE, ...) are dropped so they cannot
 * redirect the commands; the environment is never logged.
 */
async function git(args: string[], cwd?: string): Promise<string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')),
  );
  try {
    const { stdout } = await execFileAsync('git', args, {
      cwd,
      env: { ...env, GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 16 * 1024 * 1024,
      windowsHide: true,
    });
    return stdout.trim();
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'The git command line is not installed or not on the PATH of the Backstage backend; install Git and restart the backend.',
      );
    }
    throw new Error(
      `git ${subcommand(args)} failed: ${e.stderr?.trim() || e.message}`,
    );
  }
}

/** `commit` of `git -c user.name=x --git-dir d commit -m ...`, for messages. */
function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (['-c', '--git-dir', '--work-tree'].includes(args[i])) {
      i++;
    } else if (!args[i].startsWith('-')) {
      return args[i];
    }
  }
  return args.join(' ');
}

async function exists(target: string): Promise<boolean> {
  try {
    await fs.lstat(target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return false;
    }
    throw error;
  }
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
const forwardSlashes = (value: string) => value.split(path.sep).join('/');

/**
 * The `post-receive` hook of a published repository: after every push to the
 * default branch it refreshes the working checkout the catalog reads.
 */
function postReceiveHook(paths: RepoPaths, branch: string): string {
  return `#!/bin/sh
# Installed by Backstage (${PUBLISH_LOCAL_ACTION_ID}). After every push to
# '${branch}' this refreshes the working checkout that the software catalog
# reads as a 'file' location, so the catalog always shows the latest push.
# The checkout is overwritten on every push: change the repository by cloning
# it and pushing, never by editing the checkout.
set -eu
branch=${shellQuote(branch)}
checkout=${shellQuote(forwardSlashes(paths.checkout))}
git_dir=${shellQuote(forwardSlashes(paths.bare))}
while read -r old_rev new_rev ref; do
  [ "$ref" = "refs/heads/$branch" ] || continue
  case "$new_rev" in
    *[!0]*) ;;
    *) echo "post-receive: $branch was deleted; $checkout is left as it was" >&2; continue ;;
  esac
  mkdir -p "$checkout"
  git --work-tree="$checkout" --git-dir="$git_dir" checkout -f "$branch"
  echo "post-receive: $checkout now shows $branch at $new_rev"
done
`;
}

/** Fails if the repository or its checkout is already there. */
async function refuseExisting(paths: RepoPaths, repoName: string) {
  for (const [what, target] of [
    ['A Git repository', paths.bare],
    ['A working checkout', paths.checkout],
  ]) {
    if (await exists(target)) {
      throw new InputError(
        `${what} named '${repoName}' already exists at ${target}; it is left untouched. ` +
          `Choose another repoName, or remove ${target} yourself if it is no longer needed.`,
      );
    }
  }
}

/** Validates the inputs and returns the absolute source directory. */
async function validate(options: {
  workspacePath: string;
  sourcePath: string;
  repoName: string;
  defaultBranch: string;
}): Promise<string> {
  const { workspacePath, sourcePath, repoName, defaultBranch } = options;
  if (!isDnsLabel(repoName, MAX_REPO_NAME_LENGTH)) {
    throw new InputError(
      `repoName '${repoName}' is not a DNS-safe name: use lowercase letters, digits and '-', ` +
        `start with a letter, end with a letter or digit, at most ${MAX_REPO_NAME_LENGTH} characters (e.g. 'orders-platform').`,
    );
  }
  if (!BRANCH_NAME.test(defaultBranch)) {
    throw new InputError(
      `defaultBranch '${defaultBranch}' is not a valid branch name: use letters, digits, '.', '_', '-' and '/', starting with a letter or digit (e.g. 'main').`,
    );
  }
  let source: string;
  try {
    source = resolveSafeChildPath(workspacePath, sourcePath);
  } catch {
    throw new InputError(
      `sourcePath '${sourcePath}' must be a directory inside the task workspace (e.g. 'platform').`,
    );
  }
  const stat = await fs.stat(source).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new InputError(
      `sourcePath '${sourcePath}' is not a directory in the task workspace; render the files there (fetch:template with targetPath '${sourcePath}') before publishing.`,
    );
  }
  return source;
}

/**
 * `lambda:publish:local`: publishes a directory of the task workspace as a new
 * bare Git repository in the configured local directory, with a working
 * checkout that a `post-receive` hook keeps at the latest push (for a catalog
 * `file` location). For machines without a Git host.
 */
export function createPublishLocalAction(options: {
  config: RootConfigService;
}) {
  const { config } = options;
  return createTemplateAction({
    id: PUBLISH_LOCAL_ACTION_ID,
    description: `Publishes a workspace directory as a new bare Git repository under ${PUBLISH_LOCAL_DIRECTORY_KEY}, with a working checkout kept at the latest push for the catalog. Refuses to overwrite an existing repository.`,
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        sourcePath: z =>
          z
            .string()
            .describe(
              'Workspace-relative directory to publish, e.g. `platform`',
            ),
        repoName: z =>
          z
            .string()
            .describe(
              "Repository name: lowercase letters, digits and '-', at most 100 characters, e.g. `orders-platform`",
            ),
        defaultBranch: z =>
          z.string().optional().describe('Default branch. Default: `main`'),
        description: z =>
          z
            .string()
            .optional()
            .describe(
              "Repository description (the bare repository's `description` file)",
            ),
        gitAuthorName: z =>
          z
            .string()
            .optional()
            .describe(
              'Commit author name; defaults to lambdaPipelines.publish.local.authorName or `Lambda pipelines`',
            ),
        gitAuthorEmail: z =>
          z
            .string()
            .optional()
            .describe(
              'Commit author email; defaults to lambdaPipelines.publish.local.authorEmail or `scaffolder@lambda-pipelines.local`',
            ),
      },
      output: {
        remoteUrl: z =>
          z.string().describe('file:// URL of the bare repository (clone it)'),
        repoContentsUrl: z => z.string().describe('Same as remoteUrl'),
        checkoutPath: z =>
          z
            .string()
            .describe(
              'Absolute path of the working checkout kept at the latest push',
            ),
        commitHash: z =>
          z.string().describe('The initial commit (40 zeros in a dry run)'),
      },
    },
    async handler(ctx) {
      const { repoName, sourcePath, description } = ctx.input;
      const defaultBranch = ctx.input.defaultBranch ?? 'main';
      const local = requirePublishLocalConfig(config);
      const source = await validate({
        workspacePath: ctx.workspacePath,
        sourcePath,
        repoName,
        defaultBranch,
      });
      const paths = repoPaths(local, repoName);
      const author = {
        name: ctx.input.gitAuthorName || local.authorName,
        email: ctx.input.gitAuthorEmail || local.authorEmail,
      };

      let result: PublishResult;
      if (ctx.isDryRun) {
        await refuseExisting(paths, repoName);
        ctx.logger.info(
          `Would publish ${sourcePath} as ${paths.bare} (branch ${defaultBranch}, author ${author.name}) ` +
            `with a working checkout at ${paths.checkout} (dry run: nothing created)`,
        );
        result = {
          remoteUrl: paths.remoteUrl,
          checkoutPath: paths.checkout,
          commitHash: NULL_COMMIT,
        };
      } else {
        result = await ctx.checkpoint<PublishResult>({
          key: `${PUBLISH_LOCAL_ACTION_ID}:${repoName}`,
          fn: () =>
            publish({
              source,
              sourcePath,
              paths,
              repoName,
              branch: defaultBranch,
              description,
              author,
              message: `Create ${repoName}${
                ctx.templateInfo?.entityRef
                  ? ` from ${ctx.templateInfo.entityRef}`
                  : ''
              }`,
              log: line => ctx.logger.info(line),
              warn: line => ctx.logger.warn(line),
            }),
        });
      }
      ctx.output('remoteUrl', result.remoteUrl);
      ctx.output('repoContentsUrl', result.remoteUrl);
      ctx.output('checkoutPath', result.checkoutPath);
      ctx.output('commitHash', result.commitHash);
    },
  });
}

/**
 * Commits `source` in a temporary repository, creates the bare repository,
 * pushes, installs the hook and makes the first checkout. On failure removes
 * what it created and rethrows.
 */
async function publish(options: {
  source: string;
  sourcePath: string;
  paths: RepoPaths;
  repoName: string;
  branch: string;
  description?: string;
  author: { name: string; email: string };
  message: string;
  log: (line: string) => void;
  warn: (line: string) => void;
}): Promise<PublishResult> {
  const { source, paths, repoName, branch, author, log } = options;
  await refuseExisting(paths, repoName);

  const created: string[] = [];
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'lp-publish-'));
  try {
    // Commit the rendered files from a throwaway repository whose work tree
    // is the workspace directory: nothing is copied, nothing lands in it.
    await git(['init', '--quiet', `--initial-branch=${branch}`, temp]);
    const tempGit = path.join(temp, '.git');
    const inTemp = ['--git-dir', tempGit, '--work-tree', source];
    await git([...inTemp, 'add', '--all'], source);
    const files = (await git([...inTemp, 'ls-files'], source))
      .split('\n')
      .filter(Boolean);
    if (files.length === 0) {
      throw new InputError(
        `sourcePath '${options.sourcePath}' has no files to publish (or all of them are ignored by .gitignore).`,
      );
    }
    await git(
      [
        '-c',
        `user.name=${author.name}`,
        '-c',
        `user.email=${author.email}`,
        '-c',
        'commit.gpgsign=false',
        ...inTemp,
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        options.message,
        ...(options.description ? ['-m', options.description] : []),
      ],
      source,
    );
    const commitHash = await git(['--git-dir', tempGit, 'rev-parse', 'HEAD']);

    // Claim the name: mkdir without `recursive` fails if another run got there first.
    await fs.mkdir(path.dirname(paths.bare), { recursive: true });
    try {
      await fs.mkdir(paths.bare);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        await refuseExisting(paths, repoName);
      }
      throw error;
    }
    created.push(paths.bare);
    await git([
      'init',
      '--quiet',
      '--bare',
      `--initial-branch=${branch}`,
      paths.bare,
    ]);
    // The repository's own hooks run even if a global core.hooksPath is set.
    await git([
      '--git-dir',
      paths.bare,
      'config',
      'core.hooksPath',
      path.join(paths.bare, 'hooks'),
    ]);
    if (options.description) {
      await fs.writeFile(
        path.join(paths.bare, 'description'),
        `${options.description}\n`,
      );
    }
    await git([
      '--git-dir',
      tempGit,
      'push',
      '--quiet',
      '--no-verify',
      paths.bare,
      `HEAD:refs/heads/${branch}`,
    ]);
    log(
      `Pushed ${files.length} file(s) as ${commitHash} to ${paths.bare} (branch ${branch})`,
    );

    const hook = path.join(paths.bare, 'hooks', 'post-receive');
    await fs.mkdir(path.dirname(hook), { recursive: true });
    await fs.writeFile(hook, postReceiveHook(paths, branch), { mode: 0o755 });
    // What the hook does on every later push, once for this first push.
    await fs.mkdir(path.dirname(paths.checkout), { recursive: true });
    await fs.mkdir(paths.checkout);
    created.push(paths.checkout);
    await git([
      '--work-tree',
      paths.checkout,
      '--git-dir',
      paths.bare,
      'checkout',
      '--quiet',
      '-f',
      branch,
    ]);
    log(
      `Working checkout at ${paths.checkout}; a post-receive hook keeps it at the latest push to ${branch}`,
    );
    return {
      remoteUrl: paths.remoteUrl,
      checkoutPath: paths.checkout,
      commitHash,
    };
  } catch (error) {
    for (const target of created.reverse()) {
      await fs
        .rm(target, { recursive: true, force: true })
        .catch(e =>
          options.warn(
            `Could not remove ${target} after the failure; remove it by hand: ${e}`,
          ),
        );
    }
    if (created.length) {
      options.warn(
        `Publishing ${repoName} failed; removed what this run created: ${created.join(
          ', ',
        )}`,
      );
    }
    if (error instanceof InputError) {
      throw error;
    }
    throw new ForwardedError(
      `Publishing ${repoName} to ${paths.bare} failed${
        created.length ? ' and what this run had created was removed' : ''
      }`,
      error,
    );
  } finally {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => {});
  }
}
