// A NAT topology made only of network namespaces this process creates:
//
//   ns c (browser)            ns r (router, MASQUERADE)              ns s (server)
//   eth0 10.231.1.2/24 ----- vin 10.231.1.1/24
//   default via 10.231.1.1    vout 198.51.100.1/24 ------------------ eth0 198.51.100.2/24
//
// s has no route back to 10.231.1.0/24: every packet from c reaches s with the router's outside
// address as its source, which is what makes the srflx candidate differ from the host candidate.
// No namespace has a link to the root namespace or a default route towards it, so test traffic
// cannot leave these namespaces. Deleting the namespaces removes the veths and the NAT rule.
//
// Names are ferry-e2e-<pid>-<n>-{c,r,s}: parallel runs do not collide, and namespaces left by a
// process that is gone (SIGKILL, power cut) are recognised and removed by removeLeftovers().
import { execFileSync } from 'node:child_process';
import { run, succeeds } from './exec.mjs';
import { onExit } from './cleanup.mjs';

export const PREFIX = 'ferry-e2e-';

export const NAT = Object.freeze({
  clientIp: '10.231.1.2',
  routerInsideIp: '10.231.1.1',
  routerOutsideIp: '198.51.100.1', // the NAT's public address: what the srflx candidate must show
  serverIp: '198.51.100.2',
});

let counter = 0;

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function listNamespaces() {
  const { stdout } = await run('ip', ['netns', 'list']);
  // Lines look like "name" or "name (id: 3)".
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

// Kills whatever still runs inside a namespace (only namespaces we made), then deletes it.
async function deleteNamespace(name) {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', name]);
    for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  await succeeds('ip', ['netns', 'del', name]);
}

function deleteNamespaceSync(name) {
  try {
    const out = execFileSync('ip', ['netns', 'pids', name], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 });
    for (const pid of out.toString().split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 3000 });
  } catch {
    // best effort
  }
}

// Removes namespaces named ferry-e2e-<pid>-... whose pid is no longer running.
export async function removeLeftovers() {
  let names;
  try {
    names = await listNamespaces();
  } catch {
    return [];
  }
  const removed = [];
  for (const name of names) {
    const m = name.match(/^ferry-e2e-(\d+)-/);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

// Says whether this process can build the topology: {ok: true} or {ok: false, reason}.
export async function netnsSupport() {
  const uid = process.getuid?.();
  if (uid !== 0) {
    return {
      ok: false,
      reason:
        `needs root (running as uid ${uid}): creating network namespaces, veth pairs and an ` +
        'iptables MASQUERADE rule needs CAP_SYS_ADMIN and CAP_NET_ADMIN; run as root (CI does)',
    };
  }
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (e) {
    return {
      ok: false,
      reason: `needs root with network namespace support: 'ip netns add' failed (${e.message.split('\n').slice(-1)[0]})`,
    };
  } finally {
    await succeeds('ip', ['netns', 'del', probe]);
  }
  return { ok: true };
}

// Adds the MASQUERADE rule in the router namespace, with iptables or, failing that, nft.
async function addMasquerade(r, outsideIf) {
  const errors = [];
  try {
    await run('ip', ['netns', 'exec', r, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', outsideIf, '-j', 'MASQUERADE']);
    return 'iptables';
  } catch (e) {
    errors.push(e.message);
  }
  const ruleset = `table ip ferry_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${outsideIf}" masquerade
  }
}
`;
  try {
    await run('ip', ['netns', 'exec', r, 'nft', '-f', '-'], { input: ruleset });
    return 'nft';
  } catch (e) {
    errors.push(e.message);
  }
  throw new Error(`cannot add the NAT rule in ${r}:\n${errors.join('\n')}`);
}

// Builds the topology. Returns {ns: {c, r, s}, ...NAT, natTool, destroy()}.
export async function createNatTopology() {
  await removeLeftovers();
  const base = `${PREFIX}${process.pid}-${counter++}`;
  const ns = { c: `${base}-c`, r: `${base}-r`, s: `${base}-s` };
  const all = [ns.c, ns.r, ns.s];
  const unregister = onExit(() => all.forEach(deleteNamespaceSync));
  const destroy = async () => {
    for (const n of all) await deleteNamespace(n);
    unregister();
  };
  const ipn = (n, ...args) => run('ip', ['-n', n, ...args]);
  try {
    for (const n of all) await run('ip', ['netns', 'add', n]);
    // The veths are created inside r, so their names only need to be unique there.
    await ipn(ns.r, 'link', 'add', 'vin', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.c);
    await ipn(ns.r, 'link', 'add', 'vout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.s);
    await ipn(ns.c, 'addr', 'add', `${NAT.clientIp}/24`, 'dev', 'eth0');
    await ipn(ns.r, 'addr', 'add', `${NAT.routerInsideIp}/24`, 'dev', 'vin');
    await ipn(ns.r, 'addr', 'add', `${NAT.routerOutsideIp}/24`, 'dev', 'vout');
    await ipn(ns.s, 'addr', 'add', `${NAT.serverIp}/24`, 'dev', 'eth0');
    for (const n of all) await ipn(n, 'link', 'set', 'lo', 'up');
    await ipn(ns.c, 'link', 'set', 'eth0', 'up');
    await ipn(ns.r, 'link', 'set', 'vin', 'up');
    await ipn(ns.r, 'link', 'set', 'vout', 'up');
    await ipn(ns.s, 'link', 'set', 'eth0', 'up');
    await ipn(ns.c, 'route', 'add', 'default', 'via', NAT.routerInsideIp);
    // net.ipv4.ip_forward is per network namespace: this touches the router namespace only.
    await run('ip', ['netns', 'exec', ns.r, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    const natTool = await addMasquerade(ns.r, 'vout');
    return { ns, ...NAT, natTool, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}

// Runs a command inside a namespace.
export function inNetns(name, cmd, args, opts) {
  return run('ip', ['netns', 'exec', name, cmd, ...args], opts);
}
