// turns: (TURN over TLS, RFC 8656 §3.1) from a real browser: Ferry with a certificate this test
// makes (openssl, SAN DNS:localhost), Chromium trusting it through an NSS database in a HOME of
// its own (no certificate error ignored: Chromium checks the chain and the host name), the
// page's URL turns:localhost:PORT?transport=tcp. A relay candidate over TLS is gathered, and
// two relay-only peer connections move 1 MiB through TLS relays intact. A URL whose host name
// the certificate does not carry (turns:127.0.0.1) gets no relay: the browser does verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { certSupport, makeCertificate, trustingHome } from './lib/certs.mjs';
import { freshTempDir, onExit } from './lib/cleanup.mjs';
import { startTurnServer, freePort, USER, PASSWORD } from './lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openPage, gather, transfer, describeGather, describeTransfer } from './lib/page.mjs';
import { withDiagnostics } from './lib/diag.mjs';

const support = await certSupport();
// Missing tools: skip, saying which package; under CI (tools/dev installs them) that is a failure.
const skip = support.ok ? false : process.env.CI === 'true' ? false : support.reason;

let dir;
let unregister;
let server;
let browser;
let page;
let tlsPort;

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
  if (!support.ok) throw new Error(`CI=true, but: ${support.reason}`);
  dir = await freshTempDir('tls');
  unregister = onExit(() => rmSync(dir, { recursive: true, force: true }));
  const { cert, key } = await makeCertificate(dir);
  const home = await trustingHome(path.join(dir, 'home'), cert);
  tlsPort = await freePort('127.0.0.1');
  // allow-loopback-peers: the two relay-only peers are each other's peers on 127.0.0.1.
  server = await startTurnServer({
    allowLoopbackPeers: true,
    extraConfig: [`tls-listening-port=${tlsPort}`, `cert=${cert}`, `pkey=${key}`],
  });
  browser = await launchBrowser({ env: { HOME: home } });
  page = await openPage(browser, server.baseUrl);
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
  unregister?.();
});

test('turns: gathers a relay candidate over TLS with the certificate verified', { skip }, diag(async () => {
  const url = `turns:localhost:${tlsPort}?transport=tcp`;
  const g = await gather(page, { urls: url, username: USER, password: PASSWORD });
  const d = describeGather(g);
  const relays = g.candidates.filter((c) => c.type === 'relay');
  assert.ok(relays.some((c) => c.relayProtocol === 'tls' && c.address === '127.0.0.1'), `no relay candidate over TLS:\n${d}`);
  assert.ok(g.verdict.some((v) => /Relay works over TLS/.test(v)), `the verdict does not say the relay works over TLS:\n${d}`);
  assert.deepEqual(g.errors.filter((e) => e.code !== 401), [], `errors besides the first 401:\n${d}`);
}));

test('turns: relay-only 1 MiB transfer through TLS relays', { skip }, diag(async () => {
  const t = await transfer(page, {
    urls: `turns:localhost:${tlsPort}?transport=tcp`,
    username: USER,
    password: PASSWORD,
    sizeKiB: 1024,
  });
  const d = describeTransfer(t);
  assert.equal(t.ok, true, `transfer failed: ${t.error}\n${d}`);
  assert.equal(t.bytes, 1024 * 1024, `received ${t.bytes} bytes:\n${d}`);
  assert.equal(t.sha256Received, t.sha256Sent, `SHA-256 differs:\n${d}`);
  // From getStats(): what the browser itself reports for the pair it used, not the page's guess.
  assert.equal(t.localCandidate?.type, 'relay', `local candidate not a relay:\n${d}`);
  assert.equal(t.localCandidate?.relayProtocol, 'tls', `local relay not reached over TLS:\n${d}`);
  assert.equal(t.remoteCandidate?.type, 'relay', `remote candidate not a relay:\n${d}`);
}));

test('turns: a host name the certificate does not carry gets no relay (Chromium verifies it)', { skip }, diag(async () => {
  const g = await gather(page, { urls: `turns:127.0.0.1:${tlsPort}?transport=tcp`, username: USER, password: PASSWORD });
  const d = describeGather(g);
  assert.equal(g.candidates.filter((c) => c.type === 'relay').length, 0, `a relay despite the name mismatch:\n${d}`);
  assert.ok(g.errors.some((e) => e.code === 701), `no 701 (connection failed) for the name mismatch:\n${d}`);
}));
