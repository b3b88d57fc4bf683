// The browser behind a NAT: Chromium in network namespace c (10.231.1.2), a MASQUERADE router in
// r (outside address 198.51.100.1) and turnserver in s (198.51.100.2), all made by this test and
// deleted after it. The server-reflexive candidate must be the NAT's outside address, not the
// browser's own; the relay candidate the server's address. Needs root (namespaces, veth, NAT).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSupport, createNatTopology, removeLeftovers } from './lib/netns.mjs';
import { startTurnServer, USER, PASSWORD } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, gather, transfer, describeGather, describeTransfer } from './lib/page.mjs';
import { withDiagnostics } from './lib/diag.mjs';

const support = await netnsSupport();
// Not root: skip, saying why. Root but no namespaces: skip too, except under CI, where CI runs as
// root on a machine that has them, so a failure there is a real failure.
const skip = support.ok ? false : process.env.CI === 'true' && process.getuid?.() === 0 ? false : support.reason;

let topo;
let server;
let browser;
let page;

const diag = (fn) =>
  withDiagnostics(
    {
      'browser console': () => browser?.logText(),
      'turnserver output': () => server?.output(),
    },
    fn,
  );

before(async () => {
  if (skip) return;
  if (!support.ok) throw new Error(`CI=true and root, but: ${support.reason}`);
  topo = await createNatTopology();
  server = await startTurnServer({
    netns: topo.ns.s,
    listeningIp: topo.serverIp,
    webIp: topo.serverIp,
  });
  browser = await launchBrowser({ netns: topo.ns.c });
  page = await openPage(browser, server.baseUrl);
});

after(async () => {
  // Each step on its own, so that one failing does not leave the others behind.
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
  await topo?.destroy();
  await removeLeftovers();
});

test('behind a NAT: srflx is the NAT\'s outside address, not the host\'s; relay is the server\'s', { skip }, diag(async () => {
  const g = await gather(page, {
    urls: [`stun:${topo.serverIp}:${server.port}`, `turn:${topo.serverIp}:${server.port}?transport=udp`],
    username: USER,
    password: PASSWORD,
  });
  const d = describeGather(g);
  const host = g.candidates.filter((c) => c.type === 'host' && c.protocol === 'udp');
  assert.ok(host.some((c) => c.address === topo.clientIp), `no host candidate ${topo.clientIp}:\n${d}`);
  const srflx = g.candidates.filter((c) => c.type === 'srflx');
  assert.ok(srflx.length > 0, `no srflx candidate:\n${d}`);
  for (const c of srflx) {
    assert.equal(c.address, topo.routerOutsideIp, `srflx ${c.address} is not the NAT's outside address ${topo.routerOutsideIp}:\n${d}`);
    assert.ok(!host.some((h) => h.address === c.address), `srflx ${c.address} equals a host candidate:\n${d}`);
  }
  const relays = g.candidates.filter((c) => c.type === 'relay');
  assert.ok(relays.some((c) => c.address === topo.serverIp), `no relay candidate on ${topo.serverIp}:\n${d}`);
  assert.ok(!g.errors.some((e) => e.code === 401), `a 401 with the right password:\n${d}`);
}));

test('behind a NAT: relay-only 1 MiB transfer (plain http page: the page hashes without WebCrypto)', { skip }, diag(async () => {
  const t = await transfer(page, {
    urls: `turn:${topo.serverIp}:${server.port}?transport=udp`,
    username: USER,
    password: PASSWORD,
    sizeKiB: 1024,
  });
  const d = describeTransfer(t);
  assert.equal(t.ok, true, `transfer failed: ${t.error}\n${d}`);
  assert.equal(t.bytes, 1024 * 1024, `received ${t.bytes} bytes:\n${d}`);
  assert.equal(t.sha256Received, t.sha256Sent, `SHA-256 differs:\n${d}`);
  assert.equal(t.localCandidate?.type, 'relay', `local candidate not a relay:\n${d}`);
  assert.equal(t.localCandidate?.address, topo.serverIp, `local relay not on ${topo.serverIp}:\n${d}`);
  assert.equal(t.remoteCandidate?.type, 'relay', `remote candidate not a relay:\n${d}`);
}));
