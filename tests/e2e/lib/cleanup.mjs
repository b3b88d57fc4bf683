// Last-resort cleanup: whatever a test started (a turnserver, network namespaces) must not outlive
// the node process, even when a test throws, the runner times out or the process gets SIGINT or
// SIGTERM. Tests still clean up in after()/finally; this only catches what they could not.
// Handlers run synchronously ('exit' allows nothing else), so they must be quick.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const handlers = new Set();
let installed = false;

function runAll() {
  for (const h of [...handlers].reverse()) {
    try {
      h();
    } catch {
      // best effort: one failing handler must not stop the others
    }
  }
  handlers.clear();
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      runAll();
      // Re-raise with the default disposition so the exit status says which signal it was.
      process.kill(process.pid, sig);
    });
  }
}

// Registers a synchronous cleanup function; returns a function that unregisters it (call it
// once the resource was cleaned up the ordinary way).
export function onExit(fn) {
  install();
  handlers.add(fn);
  return () => handlers.delete(fn);
}

// A fresh temp dir named ferry-e2e-<pid>-<kind>-XXXXXX. The first call of a process also
// removes such dirs left by processes that are gone (killed before their cleanup ran).
let swept = false;
export async function freshTempDir(kind) {
  if (!swept) {
    swept = true;
    for (const name of await readdir(tmpdir()).catch(() => [])) {
      const m = name.match(/^ferry-e2e-(\d+)-/);
      if (!m || Number(m[1]) === process.pid) continue;
      let alive = true;
      try {
        process.kill(Number(m[1]), 0);
      } catch (e) {
        alive = e.code === 'EPERM';
      }
      if (!alive) await rm(path.join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  return mkdtemp(path.join(tmpdir(), `ferry-e2e-${process.pid}-${kind}-`));
}
