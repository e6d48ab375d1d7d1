// What the stack's node changes on the host, and how `down` puts it back.
//
// containerd, the kubelet, kube-proxy, kube-router and the CNI plugins
// write outside the stack's state directory in a few places that cannot be
// moved: kernel settings (the kubelet sets kernel.panic, kernel.panic_on_oops
// and vm.overcommit_memory; the bridge plugin turns on IP forwarding),
// iptables chains (KUBE-* of kube-proxy, the kubelet and kube-router, CNI-*
// of the bridge and portmap plugins), kube-router's ipsets, the bridge and
// its veths, cgroups, mounts (network namespaces, volumes), containerd's
// shim sockets under /run/containerd and the kubelet's links under
// /var/log/containers. Before the node first
// starts, `snapshot` records the host as it is; `sweep` removes what the
// node made and `restore` puts the recorded values back. Both are
// idempotent and run on every stop, also after a crash (`lp-stack down`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BRIDGE, CNI_NETWORK } from './network.mjs';

/**
 * Kernel settings the node's processes write, by /proc/sys path: the
 * kubelet's tunables, the bridge plugin's forwarding, and what kube-proxy
 * would change if its configuration did not tell it not to.
 */
export const SYSCTLS = [
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/netfilter/nf_conntrack_max',
];
/** Host directories the node may create; removed again if they were absent. */
const HOST_DIRS = [
  '/run/containerd/s',
  '/run/containerd',
  '/var/lib/cni/results',
  '/var/lib/cni',
  '/var/log/containers',
];
const CGROUP_ROOT = '/sys/fs/cgroup';

const sh = (command, args) =>
  spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });

/** nftables tables as `family name` (iptables-nft makes them on first use). */
function nftTables() {
  const result = sh('nft', ['list', 'tables']);
  if (result.status !== 0) return [];
  return result.stdout
    .split('\n')
    .map(line => line.replace(/^table /, '').trim())
    .filter(Boolean);
}

/** Whether an nftables table holds any rule. */
function nftTableHasRules(table) {
  const result = sh('nft', ['-j', 'list', 'table', ...table.split(' ')]);
  if (result.status !== 0) return true;
  return JSON.parse(result.stdout).nftables.some(item => 'rule' in item);
}

/** The host's state before the node's first start; kept until `restore`. */
export function snapshot(file) {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const state = {
    sysctls: Object.fromEntries(
      SYSCTLS.map(key => [
        key,
        fs.readFileSync(path.join('/proc/sys', key), 'utf8').trim(),
      ]),
    ),
    absentDirs: HOST_DIRS.filter(dir => !fs.existsSync(dir)),
    nftTables: nftTables(),
  };
  fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** The cgroup every pod of the node runs under, in each v1 controller. */
export function cgroupDirs(cgroupName) {
  if (!fs.existsSync(CGROUP_ROOT)) return [];
  return fs
    .readdirSync(CGROUP_ROOT, { withFileTypes: true })
    .filter(entry => entry.isDirectory() || entry.isSymbolicLink())
    .map(entry => path.join(CGROUP_ROOT, entry.name))
    .filter(dir => fs.existsSync(path.join(dir, 'cgroup.procs')))
    .filter(dir => !fs.lstatSync(dir).isSymbolicLink())
    .map(dir => path.join(dir, cgroupName));
}

/** Processes still in the node's cgroups (a crashed node's containers). */
function killCgroupProcesses(cgroupName) {
  const pids = new Set();
  const walk = dir => {
    if (!fs.existsSync(dir)) return;
    for (const pid of fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean))
      pids.add(Number(pid));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
  };
  cgroupDirs(cgroupName).forEach(walk);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return pids.size;
}

function removeCgroupTree(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (error) {
      // A killed process leaves its cgroup a moment later.
      if (attempt >= 50 || error.code !== 'EBUSY') throw error;
      sh('sleep', ['0.1']);
    }
  }
}

/**
 * The node's own processes left running (its supervisor was killed): the
 * containerd shims (by their containerd's socket address) and containerd,
 * the kubelet and kube-proxy (by an argument in the node's state
 * directory). Never the calling process.
 */
function killNodeProcesses(dataDir, containerdSocket) {
  let killed = 0;
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    const program = path.basename(args[0] ?? '');
    const shim =
      /containerd-shim/.test(program) && args.includes(containerdSocket);
    const daemon =
      ['containerd', 'kubelet', 'kube-proxy', 'kube-router'].includes(
        program,
      ) && args.some(arg => arg.includes(`${dataDir}/`));
    if (shim || daemon) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        // gone
      }
    }
  }
  return killed;
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir) {
  const prefix = `${dir.replace(/\/$/, '')}/`;
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line =>
      line
        .split(' ')[4]
        .replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))),
    )
    .filter(mount => mount === dir || mount.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

const OWN_CHAIN = /^(KUBE-|CNI-)/;

/**
 * Removes the KUBE-* and CNI-* chains (kube-proxy's, the kubelet's and the
 * CNI plugins') and every rule that jumps to them, in every table, for IPv4
 * and IPv6. Only those names: other rules of the host stay.
 */
function removeChains() {
  const removed = [];
  for (const tool of ['iptables', 'ip6tables']) {
    const save = sh(`${tool}-save`, []);
    if (save.status !== 0) continue; // not installed: nothing was made
    let table;
    const script = new Map();
    for (const line of save.stdout.split('\n')) {
      if (line.startsWith('*')) {
        table = line.slice(1);
        script.set(table, { deletes: [], chains: [] });
      } else if (line.startsWith(':') && table) {
        const chain = line.slice(1).split(' ')[0];
        if (OWN_CHAIN.test(chain)) script.get(table).chains.push(chain);
      } else if (line.startsWith('-A ') && table) {
        const [, chain] = line.split(' ');
        const target = / -[jg] (\S+)/.exec(line)?.[1] ?? '';
        if (!OWN_CHAIN.test(chain) && OWN_CHAIN.test(target))
          script.get(table).deletes.push(`-D ${line.slice(3)}`);
      }
    }
    const lines = [];
    for (const [name, { deletes, chains }] of script) {
      if (deletes.length === 0 && chains.length === 0) continue;
      lines.push(
        `*${name}`,
        ...deletes,
        ...chains.map(c => `-F ${c}`),
        ...chains.map(c => `-X ${c}`),
        'COMMIT',
      );
      removed.push(...chains.map(c => `${tool} ${name} ${c}`));
    }
    if (lines.length === 0) continue;
    const restore = spawnSync(`${tool}-restore`, ['--noflush'], {
      input: `${lines.join('\n')}\n`,
      encoding: 'utf8',
    });
    if (restore.status !== 0)
      throw new Error(
        `${tool}-restore could not remove the node's chains: ${restore.stderr.trim()}`,
      );
  }
  return removed;
}

/** kube-router's ipsets (no rule refers to them once the chains are gone). */
function destroySets() {
  const list = sh('ipset', ['list', '-n']);
  if (list.status !== 0) return [];
  const sets = list.stdout
    .split('\n')
    .filter(name => /^(KUBE-|kube-router-)/.test(name));
  for (const set of sets) sh('ipset', ['destroy', set]);
  return sets;
}

/**
 * Removes everything the node made outside its state directory (and the
 * mounts inside it). `paths`: { dataDir, containerdDir, containerdSocket,
 * podLogsDir, cgroupName, ipamDir }. Returns what it found, for the log.
 */
export function sweep({
  dataDir,
  containerdDir,
  containerdSocket,
  podLogsDir,
  cgroupName,
  ipamDir,
}) {
  const found = [];
  const processes = killNodeProcesses(dataDir, containerdSocket);
  if (processes) found.push(`${processes} process(es) of the node`);
  const killed = killCgroupProcesses(cgroupName);
  if (killed) found.push(`${killed} process(es) in the node's cgroups`);
  for (const mount of mountsUnder(dataDir)) {
    // Lazy: a namespace file or a volume still open somewhere goes when freed.
    const result = sh('umount', ['-l', mount]);
    if (result.status === 0) found.push(`mount ${mount}`);
  }
  if (sh('ip', ['link', 'show', BRIDGE]).status === 0) {
    sh('ip', ['link', 'delete', BRIDGE]);
    found.push(`bridge ${BRIDGE}`);
  }
  found.push(...removeChains().map(c => `chain ${c}`));
  found.push(...destroySets().map(set => `ipset ${set}`));
  for (const dir of cgroupDirs(cgroupName)) {
    if (fs.existsSync(dir)) {
      removeCgroupTree(dir);
      found.push(`cgroup ${dir}`);
    }
  }
  // The kubelet links each container's log here; ours point into podLogsDir.
  const links = '/var/log/containers';
  if (fs.existsSync(links))
    for (const name of fs.readdirSync(links)) {
      const link = path.join(links, name);
      try {
        if (fs.readlinkSync(link).startsWith(podLogsDir)) fs.rmSync(link);
      } catch {
        // not a link
      }
    }
  // The address leases of pods that are gone (nothing runs any more).
  fs.rmSync(ipamDir, { recursive: true, force: true });
  // libcni's cache of results: ours by network name, and the loopback
  // plugin's (which containerd runs for every sandbox) by sandbox id.
  const sandboxes = new Set(
    ['root', 'state'].flatMap(dir => {
      const sandboxDir = path.join(
        containerdDir,
        dir,
        'io.containerd.grpc.v1.cri',
        'sandboxes',
      );
      return fs.existsSync(sandboxDir) ? fs.readdirSync(sandboxDir) : [];
    }),
  );
  const results = '/var/lib/cni/results';
  if (fs.existsSync(results))
    for (const name of fs.readdirSync(results)) {
      const loopback = /^cni-loopback-([0-9a-f]+)-lo$/.exec(name);
      if (
        name.startsWith(`${CNI_NETWORK}-`) ||
        (loopback && sandboxes.has(loopback[1]))
      )
        fs.rmSync(path.join(results, name), { force: true });
    }
  return found;
}

/**
 * The host's node lock: one node per host, because kube-proxy's chains and
 * the bridge are host-wide. It names the supervisor and its state directory.
 */
export function readLock(file) {
  try {
    const [pid, dataDir] = fs.readFileSync(file, 'utf8').split('\n');
    return { pid: Number(pid), dataDir };
  } catch {
    return undefined;
  }
}

/** Removes the lock if `dataDir`'s node holds it. */
export function releaseLock(file, dataDir) {
  if (readLock(file)?.dataDir === dataDir) fs.rmSync(file, { force: true });
}

/** Puts back what `snapshot` recorded and forgets it. */
export function restore(file) {
  if (!fs.existsSync(file)) return [];
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  const restored = [];
  for (const [key, value] of Object.entries(state.sysctls)) {
    const target = path.join('/proc/sys', key);
    if (fs.readFileSync(target, 'utf8').trim() !== value) {
      fs.writeFileSync(target, value);
      restored.push(`${key.replaceAll('/', '.')}=${value}`);
    }
  }
  // Tables iptables made for the node's chains, now empty.
  for (const table of nftTables()) {
    if (state.nftTables.includes(table) || nftTableHasRules(table)) continue;
    if (sh('nft', ['delete', 'table', ...table.split(' ')]).status === 0)
      restored.push(`removed nftables table ${table}`);
  }
  for (const dir of state.absentDirs) {
    // Shims killed by the sweep leave their sockets here; one nothing
    // listens on any more is stale.
    if (dir === '/run/containerd/s' && fs.existsSync(dir)) {
      const bound = new Set(
        fs
          .readFileSync('/proc/net/unix', 'utf8')
          .split('\n')
          .map(line => line.trim().split(/\s+/)[7])
          .filter(Boolean),
      );
      for (const name of fs.readdirSync(dir)) {
        const socket = path.join(dir, name);
        if (fs.lstatSync(socket).isSocket() && !bound.has(socket))
          fs.rmSync(socket);
      }
    }
    // Only if empty: something else may have started using it since.
    try {
      fs.rmdirSync(dir);
      restored.push(`removed ${dir}`);
    } catch {
      // absent already, or in use
    }
  }
  fs.rmSync(file);
  return restored;
}
