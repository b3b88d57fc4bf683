// The built-in test page, driven in a real Chromium against a real turnserver on loopback:
// STUN/TURN over UDP and TCP, a wrong password, relay-only DataChannel transfers, and the
// /metrics, /livez, /readyz and /version endpoints counting what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricSum, USER, PASSWORD } from './lib/server.mjs';
import { openPage, gather, transfer, describeGather, describeTransfer } from './lib/page.mjs';
import { browserSession } from './lib/session.mjs';

const MiB = 1024 * 1024;

const s = browserSession();
// What the tests below made the server do, for the /metrics test to compare with.
const made = { bindingRequests: 0, allocations: { udp: 0, tcp: 0 }, clientToPeerBytes: 0, peerToClientBytes: 0, wrongPasswords: 0 };

const turnUrl = (transport) => `turn:127.0.0.1:${s.server.port}?transport=${transport}`;

test('GET / serves the page with a CSP; /config.json lists stun: and turn: URLs for this port', s.diag(async () => {
  const index = await s.server.fetch('/');
  assert.equal(index.status, 200, `GET / answered ${index.status}`);
  assert.match(index.headers['content-type'] ?? '', /text\/html/, 'GET / is not text/html');
  const csp = index.headers['content-security-policy'];
  assert.ok(csp, `GET / has no Content-Security-Policy header; headers: ${JSON.stringify(index.headers)}`);
  assert.match(csp, /default-src 'self'/, `CSP does not restrict default-src to 'self': ${csp}`);
  for (const id of ['urls', 'username', 'password', 'gather', 'transfer', 'transfer-size']) {
    assert.match(index.body, new RegExp(`id="${id}"`), `the page has no element #${id}`);
  }

  const cfg = await s.server.fetch('/config.json');
  assert.equal(cfg.status, 200, `GET /config.json answered ${cfg.status}`);
  const { urls } = JSON.parse(cfg.body);
  assert.ok(Array.isArray(urls), `/config.json has no urls array: ${cfg.body}`);
  const port = `:${s.server.port}`;
  assert.ok(urls.some((u) => u.startsWith('stun:') && u.includes(port)), `no stun: URL for port ${s.server.port} in ${cfg.body}`);
  assert.ok(urls.some((u) => u.startsWith('turn:') && u.includes(port) && !/transport=tcp/.test(u)),
    `no turn: UDP URL for port ${s.server.port} in ${cfg.body}`);
  assert.ok(urls.some((u) => u.startsWith('turn:') && u.includes(port) && /transport=tcp/.test(u)),
    `no turn: ...?transport=tcp URL for port ${s.server.port} in ${cfg.body}`);

  // The page in the browser prefilled its URL list from the same file.
  const prefilled = (await s.page.inputValue('#urls')).split('\n').filter(Boolean);
  assert.deepEqual(prefilled, urls, 'the page did not prefill #urls from /config.json');
}));

test('stun: on loopback answers Binding requests (no srflx: it would equal a host address)', s.diag(async () => {
  const g = await gather(s.page, { urls: `stun:127.0.0.1:${s.server.port}`, username: '', password: '' });
  assert.equal(g.timedOut, false, `gathering timed out:\n${describeGather(g)}`);
  assert.ok(g.candidates.some((c) => c.type === 'host'), `no host candidate:\n${describeGather(g)}`);
  assert.deepEqual(g.errors.filter((e) => e.address === '127.0.0.1'), [],
    `STUN errors from the 127.0.0.1 socket:\n${describeGather(g)}`);
  made.bindingRequests += 1;
}));

test('turn: over UDP with the right user gives a relay candidate', s.diag(async () => {
  const g = await gather(s.page, { urls: turnUrl('udp'), username: USER, password: PASSWORD });
  const relays = g.candidates.filter((c) => c.type === 'relay');
  assert.ok(relays.length > 0, `no relay candidate:\n${describeGather(g)}`);
  assert.ok(relays.every((c) => c.relayProtocol === 'udp'), `relay candidate not over UDP:\n${describeGather(g)}`);
  assert.ok(relays.every((c) => c.address === '127.0.0.1'), `relay address is not the server's 127.0.0.1:\n${describeGather(g)}`);
  assert.ok(!g.errors.some((e) => e.code === 401), `a 401 with the right password:\n${describeGather(g)}`);
  made.allocations.udp += 1;
}));

test('turn: ?transport=tcp gives a relay candidate over TCP', s.diag(async () => {
  const g = await gather(s.page, { urls: turnUrl('tcp'), username: USER, password: PASSWORD });
  const relays = g.candidates.filter((c) => c.type === 'relay');
  assert.ok(relays.length > 0, `no relay candidate:\n${describeGather(g)}`);
  assert.ok(relays.some((c) => c.relayProtocol === 'tcp'), `no relay candidate with relayProtocol tcp:\n${describeGather(g)}`);
  assert.ok(!g.errors.some((e) => e.code === 401), `a 401 with the right password:\n${describeGather(g)}`);
  made.allocations.tcp += 1;
}));

test('a wrong password gives icecandidateerror 401 and no relay candidate', s.diag(async () => {
  const g = await gather(s.page, { urls: turnUrl('udp'), username: USER, password: 'not-the-password' });
  assert.ok(g.errors.some((e) => e.code === 401), `no icecandidateerror with code 401:\n${describeGather(g)}`);
  assert.ok(!g.candidates.some((c) => c.type === 'relay'), `a relay candidate with a wrong password:\n${describeGather(g)}`);
  assert.ok(g.verdict.some((v) => /401/.test(v)), `the verdict does not mention the 401:\n${describeGather(g)}`);
  made.wrongPasswords += 1;
}));

async function relayTransfer(transport) {
  const t = await transfer(s.page, { urls: turnUrl(transport), username: USER, password: PASSWORD, sizeKiB: 1024 });
  const d = describeTransfer(t);
  assert.equal(t.error, null, `the transfer failed: ${t.error}\n${d}`);
  assert.equal(t.ok, true, `transfer not ok:\n${d}`);
  assert.equal(t.bytes, MiB, `received ${t.bytes} bytes, sent ${MiB}:\n${d}`);
  assert.match(t.sha256Sent, /^[0-9a-f]{64}$/, `no SHA-256 of the data sent:\n${d}`);
  assert.equal(t.sha256Received, t.sha256Sent, `SHA-256 of the data received differs:\n${d}`);
  assert.equal(t.localCandidate?.type, 'relay', `the selected local candidate is not a relay:\n${d}`);
  assert.equal(t.remoteCandidate?.type, 'relay', `the selected remote candidate is not a relay:\n${d}`);
  made.allocations[transport] += 2;
  made.clientToPeerBytes += MiB;
  made.peerToClientBytes += MiB;
  return t;
}

test('relay-only DataChannel transfer of 1 MiB over TURN/UDP', s.diag(async (t) => {
  const r = await relayTransfer('udp');
  assert.notEqual(r.localCandidate.relayProtocol, 'tcp', `local candidate relayed over TCP:\n${describeTransfer(r)}`);
  t.diagnostic(`TURN/UDP: ${r.bytes} bytes in ${r.seconds.toFixed(3)} s, ${r.mbps.toFixed(1)} Mbit/s`);
}));

test('relay-only DataChannel transfer of 1 MiB over TURN/TCP', s.diag(async (t) => {
  const r = await relayTransfer('tcp');
  assert.equal(r.localCandidate.relayProtocol, 'tcp', `local candidate not relayed over TCP:\n${describeTransfer(r)}`);
  t.diagnostic(`TURN/TCP: ${r.bytes} bytes in ${r.seconds.toFixed(3)} s, ${r.mbps.toFixed(1)} Mbit/s`);
}));

test('/metrics counted the allocations, relayed bytes and the 401; /livez, /readyz, /version', s.diag(async (t) => {
  const m = await s.server.metrics();
  const created = metricSum(m, 'ferry_allocations_created_total');
  const wantAllocations = Math.max(4, made.allocations.udp + made.allocations.tcp);
  assert.ok(created >= wantAllocations,
    `ferry_allocations_created_total = ${created}, the tests made at least ${wantAllocations}`);
  for (const transport of ['udp', 'tcp']) {
    const n = metricSum(m, 'ferry_allocations_created_total', { transport });
    assert.ok(n >= made.allocations[transport],
      `ferry_allocations_created_total{transport="${transport}"} = ${n}, the tests made at least ${made.allocations[transport]}`);
  }
  metricSum(m, 'ferry_allocations_current'); // present (its value depends on lifetimes)
  metricSum(m, 'turn_total_allocations'); // coturn's name is there too

  const c2p = metricSum(m, 'ferry_relayed_bytes_total', { direction: 'client_to_peer' });
  const p2c = metricSum(m, 'ferry_relayed_bytes_total', { direction: 'peer_to_client' });
  const wantBytes = Math.max(MiB, made.clientToPeerBytes);
  assert.ok(c2p >= wantBytes, `ferry_relayed_bytes_total{direction="client_to_peer"} = ${c2p}, want >= ${wantBytes}`);
  assert.ok(p2c >= Math.max(MiB, made.peerToClientBytes),
    `ferry_relayed_bytes_total{direction="peer_to_client"} = ${p2c}, want >= ${Math.max(MiB, made.peerToClientBytes)}`);
  const packets = metricSum(m, 'ferry_relayed_packets_total', { direction: 'client_to_peer' });
  assert.ok(packets >= MiB / 16384, `ferry_relayed_packets_total{direction="client_to_peer"} = ${packets}, want >= 64`);

  const binding = metricSum(m, 'ferry_binding_requests_total');
  assert.ok(binding >= made.bindingRequests, `ferry_binding_requests_total = ${binding}, want >= ${made.bindingRequests}`);
  const authFailures = metricSum(m, 'ferry_auth_failures_total');
  assert.ok(authFailures >= Math.max(1, made.wrongPasswords),
    `ferry_auth_failures_total = ${authFailures} over all reasons, want >= 1 (the wrong password)`);
  t.diagnostic(`binding requests ${binding}, allocations created ${created}, relayed bytes c->p ${c2p} p->c ${p2c}, auth failures ${authFailures}`);

  const livez = await s.server.fetch('/livez');
  assert.equal(livez.status, 200, `/livez answered ${livez.status}`);
  const readyz = await s.server.fetch('/readyz');
  assert.equal(readyz.status, 200, `/readyz answered ${readyz.status}: ${readyz.body}`);
  const version = await s.server.fetch('/version');
  assert.equal(version.status, 200, `/version answered ${version.status}`);
  assert.match(version.body, /Ferry/, `/version does not name Ferry: ${version.body}`);
}));

test('screenshot of a successful gather and transfer (FERRY_SCREENSHOT)', {
  skip: process.env.FERRY_SCREENSHOT ? false : 'set FERRY_SCREENSHOT=<file.png> to take it',
}, s.diag(async () => {
  // A fresh page with the URLs the server itself lists, as an operator would see it.
  const shot = await openPage(s.browser, s.server.baseUrl);
  const g = await gather(shot, { username: USER, password: PASSWORD });
  assert.ok(g.candidates.some((c) => c.type === 'relay'), `no relay candidate:\n${describeGather(g)}`);
  const t = await transfer(shot, { sizeKiB: 1024 });
  assert.equal(t.ok, true, `transfer failed:\n${describeTransfer(t)}`);
  await shot.setViewportSize({ width: 1280, height: 900 });
  await shot.screenshot({ path: process.env.FERRY_SCREENSHOT, fullPage: true });
  await shot.close();
}));
