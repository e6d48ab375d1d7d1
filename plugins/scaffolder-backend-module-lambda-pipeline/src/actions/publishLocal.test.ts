import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPublishLocalAction } from './publishLocal';

// Real git, real directories: only os.tmpdir() points into the mock directory
// so the test can see that the temporary repository is removed.
const mockDir = createMockDirectory({ mockOsTmpDir: true });
const repos = mockDir.resolve('repos');
const workspacePath = mockDir.resolve('workspace');

const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args],
    { cwd, encoding: 'utf8', stdio: 'pipe' },
  ).trim();

const outputs = (ctx: ReturnType<typeof createMockActionContext>) =>
  Object.fromEntries((ctx.output as jest.Mock).mock.calls);

/** `null`: no `lambdaPipelines` config at all. */
function makeAction(
  local: Record<string, string> | null = { directory: repos },
) {
  return createPublishLocalAction({
    config: mockServices.rootConfig({
      data: local ? { lambdaPipelines: { publish: { local } } } : {},
    }),
  });
}

function makeContext(input: Record<string, unknown>) {
  return createMockActionContext({
    workspacePath,
    input: { sourcePath: 'platform', repoName: 'orders-platform', ...input },
  });
}

describe('lambda:publish:local', () => {
  beforeEach(() => {
    mockDir.setContent({
      workspace: {
        platform: {
          'catalog-info.yaml': 'kind: System\n',
          'README.md': '# Orders platform\n',
          'deploy/overlays/kind/kustomization.yaml': 'resources: []\n',
        },
      },
    });
  });

  it('creates a bare repository with the commit, and a working checkout', async () => {
    const ctx = makeContext({ description: 'Platform of orders' });
    await makeAction().handler(ctx);

    const bare = path.join(repos, 'orders-platform.git');
    const checkout = path.join(repos, 'checkouts', 'orders-platform');
    const { remoteUrl, repoContentsUrl, checkoutPath, commitHash } =
      outputs(ctx);
    expect(remoteUrl).toBe(pathToFileURL(bare).href);
    expect(repoContentsUrl).toBe(remoteUrl);
    expect(checkoutPath).toBe(checkout);
    expect(commitHash).toMatch(/^[0-9a-f]{40}$/);

    expect(gitIn(bare, 'log', '--format=%H %an <%ae> %s', 'main')).toBe(
      `${commitHash} Lambda pipelines <scaffolder@lambda-pipelines.local> Create orders-platform`,
    );
    expect(
      gitIn(bare, 'ls-tree', '-r', '--name-only', 'main').split('\n'),
    ).toEqual([
      'README.md',
      'catalog-info.yaml',
      'deploy/overlays/kind/kustomization.yaml',
    ]);
    expect(gitIn(bare, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(fs.readFileSync(path.join(bare, 'description'), 'utf8')).toBe(
      'Platform of orders\n',
    );
    expect(
      fs.readFileSync(path.join(checkout, 'catalog-info.yaml'), 'utf8'),
    ).toBe('kind: System\n');
    // Nothing lands in the workspace, and the temporary repository is gone.
    expect(fs.existsSync(path.join(workspacePath, 'platform', '.git'))).toBe(
      false,
    );
    expect(
      fs.readdirSync(mockDir.path).filter(f => f.startsWith('lp-publish-')),
    ).toEqual([]);
  });

  it('keeps the checkout at the latest push through the post-receive hook', async () => {
    const ctx = makeContext({});
    await makeAction().handler(ctx);
    const { remoteUrl, checkoutPath } = outputs(ctx);

    const clone = mockDir.resolve('clone');
    gitIn(mockDir.path, 'clone', '--quiet', remoteUrl, clone);
    fs.writeFileSync(path.join(clone, 'README.md'), '# Orders, v2\n');
    fs.rmSync(path.join(clone, 'catalog-info.yaml'));
    fs.writeFileSync(path.join(clone, 'NEW.md'), 'new\n');
    gitIn(clone, 'add', '--all');
    gitIn(clone, 'commit', '--quiet', '-m', 'Second push');
    gitIn(clone, 'push', '--quiet', 'origin', 'main');

    expect(fs.readFileSync(path.join(checkoutPath, 'README.md'), 'utf8')).toBe(
      '# Orders, v2\n',
    );
    expect(fs.existsSync(path.join(checkoutPath, 'NEW.md'))).toBe(true);
    expect(fs.existsSync(path.join(checkoutPath, 'catalog-info.yaml'))).toBe(
      false,
    );
  });

  it('honours the branch and author from the input, then from config', async () => {
    const ctx = makeContext({
      repoName: 'orders-dags',
      defaultBranch: 'trunk',
      gitAuthorName: 'Ada',
      gitAuthorEmail: 'ada@example.com',
    });
    await makeAction().handler(ctx);
    const bare = path.join(repos, 'orders-dags.git');
    expect(gitIn(bare, 'log', '--format=%an <%ae>', 'trunk')).toBe(
      'Ada <ada@example.com>',
    );
    expect(gitIn(bare, 'symbolic-ref', 'HEAD')).toBe('refs/heads/trunk');

    const fromConfig = makeContext({});
    await makeAction({
      directory: repos,
      authorName: 'Platform bot',
      authorEmail: 'bot@example.com',
    }).handler(fromConfig);
    expect(
      gitIn(
        path.join(repos, 'orders-platform.git'),
        'log',
        '--format=%an <%ae>',
      ),
    ).toBe('Platform bot <bot@example.com>');
  });

  it('resolves a relative directory against the working directory', async () => {
    jest.spyOn(process, 'cwd').mockReturnValue(mockDir.resolve('backend'));
    try {
      const ctx = makeContext({});
      await makeAction({ directory: '../lp-repos' }).handler(ctx);
      expect(outputs(ctx).checkoutPath).toBe(
        mockDir.resolve('lp-repos', 'checkouts', 'orders-platform'),
      );
      expect(
        fs.existsSync(mockDir.resolve('lp-repos/orders-platform.git')),
      ).toBe(true);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('refuses an existing repository, names its path and leaves it untouched', async () => {
    mockDir.addContent({ 'repos/orders-platform.git/HEAD': 'theirs\n' });
    const ctx = makeContext({});
    const error = await makeAction()
      .handler(ctx)
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(path.join(repos, 'orders-platform.git'));
    expect(error.message).toMatch(/already exists .* Choose another repoName/);
    expect(mockDir.content({ path: 'repos', shouldReadAsText: true })).toEqual({
      'orders-platform.git': { HEAD: 'theirs\n' },
    });
  });

  it('refuses a leftover checkout of the same name', async () => {
    mockDir.addContent({ 'repos/checkouts/orders-platform/file.txt': 'x' });
    const error = await makeAction()
      .handler(makeContext({}))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      path.join(repos, 'checkouts', 'orders-platform'),
    );
    expect(fs.existsSync(path.join(repos, 'orders-platform.git'))).toBe(false);
  });

  it.each([
    ['Orders_Platform'],
    ['-orders'],
    ['orders-'],
    ['a'.repeat(101)],
    ['../orders'],
  ])('refuses repoName %j naming the field', async repoName => {
    const error = await makeAction()
      .handler(makeContext({ repoName }))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^repoName '.*' is not a DNS-safe name/);
    expect(fs.existsSync(repos)).toBe(false);
  });

  it('refuses a branch name that git would read as an option', async () => {
    const error = await makeAction()
      .handler(makeContext({ defaultBranch: '--upload-pack=x' }))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^defaultBranch .* is not a valid branch/);
  });

  it.each([['missing'], ['../outside'], ['platform/README.md']])(
    'refuses sourcePath %j before creating anything',
    async sourcePath => {
      const error = await makeAction()
        .handler(makeContext({ sourcePath }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^sourcePath '/);
      expect(fs.existsSync(repos)).toBe(false);
    },
  );

  it('removes the bare repository and checkout it created when a later step fails', async () => {
    // A file where the checkouts directory belongs: the repository is created
    // and pushed, then the checkout cannot be made.
    mockDir.addContent({ 'repos/checkouts': 'not a directory' });
    const ctx = makeContext({});
    const error = await makeAction()
      .handler(ctx)
      .catch(e => e);
    expect(error.message).toMatch(
      /^Publishing orders-platform to .* failed and what this run had created was removed; caused by Error: EEXIST/,
    );
    expect(mockDir.content({ path: 'repos', shouldReadAsText: true })).toEqual({
      checkouts: 'not a directory',
    });
    expect(
      fs.readdirSync(mockDir.path).filter(f => f.startsWith('lp-publish-')),
    ).toEqual([]);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('fails on a directory without files, creating nothing', async () => {
    mockDir.addContent({ 'workspace/empty': {} });
    const error = await makeAction()
      .handler(makeContext({ sourcePath: 'empty' }))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^sourcePath 'empty' has no files/);
    expect(fs.existsSync(repos)).toBe(false);
  });

  it('creates nothing in a dry run and outputs the would-be values', async () => {
    const ctx = { ...makeContext({}), isDryRun: true };
    await makeAction().handler(ctx);
    expect(fs.existsSync(repos)).toBe(false);
    expect(outputs(ctx)).toEqual({
      remoteUrl: pathToFileURL(path.join(repos, 'orders-platform.git')).href,
      repoContentsUrl: pathToFileURL(path.join(repos, 'orders-platform.git'))
        .href,
      checkoutPath: path.join(repos, 'checkouts', 'orders-platform'),
      commitHash: '0'.repeat(40),
    });
  });

  it('validates in a dry run too', async () => {
    const ctx = { ...makeContext({ repoName: 'Bad Name' }), isDryRun: true };
    await expect(makeAction().handler(ctx)).rejects.toThrow(
      /^repoName 'Bad Name'/,
    );
  });

  it('fails naming the config key when no directory is configured', async () => {
    await expect(makeAction(null).handler(makeContext({}))).rejects.toThrow(
      /set lambdaPipelines\.publish\.local\.directory/,
    );
    await expect(
      makeAction(null).handler({ ...makeContext({}), isDryRun: true }),
    ).rejects.toThrow(/lambdaPipelines\.publish\.local\.directory/);
  });

  it('does not publish again when task recovery replays a finished checkpoint', async () => {
    const previous = {
      remoteUrl: 'file:///elsewhere/orders-platform.git',
      checkoutPath: '/elsewhere/checkouts/orders-platform',
      commitHash: 'a'.repeat(40),
    };
    const ctx = makeContext({});
    const checkpoint = jest.fn().mockResolvedValue(previous);
    await makeAction().handler({ ...ctx, checkpoint });
    expect(checkpoint).toHaveBeenCalledWith(
      expect.objectContaining({ key: 'lambda:publish:local:orders-platform' }),
    );
    expect(fs.existsSync(repos)).toBe(false);
    expect(outputs(ctx).commitHash).toBe(previous.commitHash);
  });
});
