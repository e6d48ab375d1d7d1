// Guards the "one Backstage release line" rule: every @backstage package is
// pinned in the root `resolutions`, every workspace asks for exactly that
// version, and yarn.lock holds exactly one version of each.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
);
const read = file => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const problems = [];

const pinned = read('package.json').resolutions ?? {};
const workspaces = ['package.json'];
for (const dir of ['packages', 'plugins']) {
  for (const name of fs.readdirSync(path.join(root, dir))) {
    if (fs.existsSync(path.join(root, dir, name, 'package.json'))) {
      workspaces.push(path.join(dir, name, 'package.json'));
    }
  }
}
for (const file of workspaces) {
  const manifest = read(file);
  for (const section of [
    'dependencies',
    'devDependencies',
    'peerDependencies',
  ]) {
    for (const [name, range] of Object.entries(manifest[section] ?? {})) {
      if (!name.startsWith('@backstage/')) continue;
      if (!pinned[name]) {
        problems.push(
          `${file}: ${name} is not pinned in the root resolutions; add the version of the release line in backstage.json`,
        );
      } else if (range !== pinned[name]) {
        problems.push(
          `${file}: ${name}@${range} differs from the pinned ${pinned[name]}`,
        );
      }
    }
  }
}

const versions = new Map();
const lock = fs.readFileSync(path.join(root, 'yarn.lock'), 'utf8');
for (const match of lock.matchAll(
  /^"(@backstage\/[^@"]+)@[^\n]*\n  version: ([^\n]+)/gm,
)) {
  const set = versions.get(match[1]) ?? new Set();
  set.add(match[2]);
  versions.set(match[1], set);
}
for (const [name, set] of versions) {
  if (set.size > 1) {
    problems.push(
      `yarn.lock: ${name} is installed in ${set.size} versions (${[...set].join(
        ', ',
      )}); pin it in the root resolutions`,
    );
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `Backstage ${read('backstage.json').version}: ${
    versions.size
  } @backstage packages, one version each; ${
    workspaces.length
  } manifests agree with the pins`,
);
