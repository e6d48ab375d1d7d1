// Containers on this machine, for building and running the generated
// repository's images: Debian's podman (rootful) with runc, with a
// configuration of the stack's own, so nothing outside the stack's state
// directory changes (images, layers, containers, events, temporary files all
// live under it) and no network is created (builds and containers use the
// host's). The settings are the ones these hosts need (hybrid cgroup v1, no
// CAP_SYS_RESOURCE); see ../README.md.
//
// The install also keeps a minimal Debian rootfs (debootstrap), from which
// `base-images` builds the stand-ins for the upstream base images that
// cannot be pulled here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { installDebianPackages, run } from '../lib/context.mjs';

/** Debian packages, by a binary each brings. */
const PACKAGES = {
  podman: '/usr/bin/podman',
  runc: '/usr/sbin/runc',
  debootstrap: '/usr/sbin/debootstrap',
};
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
/** The host's CA bundle: the only way HTTPS leaves these machines. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** The CAs the host added to Debian's (update-ca-certificates reads them). */
const HOST_LOCAL_CAS = '/usr/local/share/ca-certificates';
const VERSION = `4.3.1-${SUITE}-2`;
/** The rootfs as an image, named by the install that made it. */
export const DEBIAN_IMAGE = `localhost/lp-debian:${VERSION}`;

/**
 * The cgroup under which this checkout's containers run (in every v1
 * controller), so cleanup finds exactly them; podman's default,
 * libpod_parent, would be shared with any other podman on the host.
 */
const cgroupParent = ctx =>
  `lp-stack-podman-${crypto
    .createHash('sha256')
    .update(ctx.dataDir)
    .digest('hex')
    .slice(0, 8)}`;
const CGROUP_ROOT = '/sys/fs/cgroup';

const rootfsArchive = ctx => path.join(ctx.installDir, `debian-${SUITE}.tar`);
const confDir = ctx => path.join(ctx.dataDir, 'conf');
export const podmanWrapper = ctx => path.join(ctx.dataDir, 'podman');

/**
 * Writes the stack's containers.conf, storage.conf and registries.conf, and
 * a `podman` wrapper that uses them; idempotent.
 */
export function writePodmanConfig(ctx) {
  const state = ctx.dataDir;
  fs.mkdirSync(confDir(ctx), { recursive: true });
  const file = (name, text) =>
    fs.writeFileSync(path.join(confDir(ctx), name), text);
  file(
    'containers.conf',
    `# The local stack's podman (stack/components/podman.mjs).
[containers]
# Without CAP_SYS_RESOURCE, higher limits fail with setrlimit: EPERM.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
# The host's network: no bridge, no firewall rules to clean up.
netns = "host"

[engine]
# crun 1.8 refuses hybrid cgroups; runc runs.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${state}/events.log"
tmp_dir = "${state}/tmp"

[network]
network_config_dir = "${state}/networks"
`,
  );
  file(
    'storage.conf',
    `[storage]
driver = "overlay"
graphroot = "${state}/storage"
runroot = "${state}/run"
`,
  );
  // Images are named in full; the stack's registry is plain HTTP on loopback.
  file(
    'registries.conf',
    `unqualified-search-registries = []

[[registry]]
location = "${ctx.host}:${ctx.port('registry')}"
insecure = true
`,
  );
  fs.writeFileSync(
    podmanWrapper(ctx),
    `#!/bin/sh
# podman with the local stack's configuration (stack/components/podman.mjs).
export CONTAINERS_CONF='${confDir(ctx)}/containers.conf'
export CONTAINERS_STORAGE_CONF='${confDir(ctx)}/storage.conf'
export CONTAINERS_REGISTRIES_CONF='${confDir(ctx)}/registries.conf'
# Containers go under the stack's own cgroup, which \`lp-stack down\` removes.
case "$1" in
  run | create)
    command=$1
    shift
    set -- "$command" --cgroup-parent=/${cgroupParent(ctx)} "$@"
    ;;
esac
exec /usr/bin/podman "$@"
`,
    { mode: 0o755 },
  );
}

/** Runs the stack's podman; returns stdout. */
export function podman(ctx, args, options = {}) {
  return run(podmanWrapper(ctx), args, { timeout: 30 * 60_000, ...options });
}

/**
 * Builds `image` from `context` on the stack's Debian rootfs (the
 * Containerfile's `ARG DEBIAN_IMAGE`) and saves it to `archive` (a Docker
 * archive, which the install caches).
 */
export function buildImageArchive(ctx, image, context, archive) {
  podman(ctx, [
    'build',
    '--pull=never',
    '--network=host',
    '--build-arg',
    `DEBIAN_IMAGE=${DEBIAN_IMAGE}`,
    '-t',
    image,
    context,
  ]);
  // podman refuses to write over an archive (a retried install has one).
  fs.rmSync(archive, { force: true });
  podman(ctx, ['save', '--format', 'docker-archive', '-o', archive, image]);
}

export function imageExists(ctx, image) {
  try {
    podman(ctx, ['image', 'exists', image]);
    return true;
  } catch {
    return false;
  }
}

/** Removes this checkout's (empty) container cgroups from every controller. */
export function removeCgroups(ctx) {
  if (!fs.existsSync(CGROUP_ROOT)) return;
  const removeTree = dir => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
    fs.rmdirSync(dir);
  };
  for (const controller of fs.readdirSync(CGROUP_ROOT)) {
    const dir = path.join(CGROUP_ROOT, controller, cgroupParent(ctx));
    if (fs.existsSync(dir)) removeTree(dir);
  }
}

export default {
  name: 'podman',
  version: VERSION,
  description: `podman (Debian's, rootful, runc) with the stack's own storage, and a Debian ${SUITE} rootfs for base images`,
  dependsOn: [],
  runtime: true,

  async install(ctx) {
    installDebianPackages(ctx, 'podman', PACKAGES);
    const rootfs = path.join(ctx.installDir, 'rootfs');
    fs.rmSync(rootfs, { recursive: true, force: true });
    ctx.log(`debootstrap --variant=minbase ${SUITE} (about 30 s)`);
    run('debootstrap', ['--variant=minbase', SUITE, rootfs, MIRROR], {
      timeout: 15 * 60_000,
    });
    // HTTPS from these machines goes through an egress proxy whose CA only
    // the host trusts: images built here trust what the host trusts. The
    // host's bundle serves until an image installs ca-certificates, which
    // rebuilds the bundle from the system's CAs plus the local ones copied
    // here (as a company's CA gets into its images).
    fs.mkdirSync(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
    fs.copyFileSync(
      HOST_CA_BUNDLE,
      path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'),
    );
    if (fs.existsSync(HOST_LOCAL_CAS))
      fs.cpSync(HOST_LOCAL_CAS, path.join(rootfs, HOST_LOCAL_CAS), {
        recursive: true,
      });
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists'])
      for (const entry of fs.readdirSync(path.join(rootfs, dir)))
        if (entry !== 'partial' && entry !== 'lock')
          fs.rmSync(path.join(rootfs, dir, entry), {
            recursive: true,
            force: true,
          });
    run('tar', ['-C', rootfs, '-cf', rootfsArchive(ctx), '.']);
    fs.rmSync(rootfs, { recursive: true, force: true });
  },

  /** Configures this checkout's podman and imports the Debian rootfs once. */
  async check(ctx) {
    writePodmanConfig(ctx);
    podman(ctx, ['info', '--format', '{{.Host.OCIRuntime.Name}}']);
    if (!imageExists(ctx, DEBIAN_IMAGE)) {
      ctx.log(`importing ${DEBIAN_IMAGE}`);
      podman(ctx, ['import', rootfsArchive(ctx), DEBIAN_IMAGE]);
    }
  },

  /** `down`: this checkout's containers go, and the cgroups they ran in. */
  async cleanup(ctx) {
    if (fs.existsSync(podmanWrapper(ctx))) {
      const ids = podman(ctx, ['ps', '-aq']).trim();
      if (ids) {
        ctx.log("removing the stack's containers");
        podman(ctx, ['rm', '-f', '-t', '5', ...ids.split('\n')]);
      }
    }
    removeCgroups(ctx);
  },

  env(ctx) {
    return fs.existsSync(podmanWrapper(ctx))
      ? { LP_PODMAN: podmanWrapper(ctx), LP_DEBIAN_IMAGE: DEBIAN_IMAGE }
      : {};
  },
};
