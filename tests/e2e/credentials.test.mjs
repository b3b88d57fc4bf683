// The credential endpoint from a real browser (issue 19): a web app on another origin fetches
// an RTCConfiguration from /ice-servers with its API key in an Authorization header (so
// Chromium sends a real CORS preflight first), hands it unchanged to `new RTCPeerConnection`,
// and gathers a relay candidate with it, relay-only. An app on an origin the server does not
// list gets nothing (the browser's CORS check and the server's 403). With web-test-credentials
// the built-in test page fills in the user and password itself and gathers a relay with them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { freePort, metricSum } from './lib/server.mjs';
import { gather, describeGather } from './lib/page.mjs';
import { browserSession } from './lib/session.mjs';

const KEY = 'e2e-web-key-7c1d9a3f5b2e8c4a';
const SECRET = 'e2e-rest-secret-4b8e1f6a2c9d7e3b';
const GATHER_MS = 15_000;

const allowedPort = await freePort('127.0.0.1');
const otherPort = await freePort('127.0.0.1');
const allowedOrigin = `http://127.0.0.1:${allowedPort}`;
const otherOrigin = `http://127.0.0.1:${otherPort}`;

const s = browserSession({
  users: [],
  extraConfig: [
    `static-auth-secret=${SECRET}`,
    `web-credential-key=${KEY}`,
    `web-credential-origin=${allowedOrigin}`,
    'web-test-credentials',
  ],
});

// A web app's own server: one page, nothing else. The code under test runs in that page.
const apps = [];
function appServer(port) {
  return new Promise((resolve, reject) => {
    const srv = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>app</title><p>a web app</p>');
    });
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  apps.push(await appServer(allowedPort), await appServer(otherPort));
});
after(async () => {
  await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
});

// Runs in the app's page: what a web app would write (README, "How a web app gets TURN
// credentials"), with iceTransportPolicy 'relay' so only relay candidates count.
async function fetchAndGather({ endpoint, key, timeoutMs }) {
  let config;
  try {
    const r = await fetch(`${endpoint}/ice-servers`, { headers: { Authorization: `Bearer ${key}` } });
    if (!r.ok) return { fetchError: `HTTP ${r.status}` };
    config = await r.json();
  } catch (e) {
    return { fetchError: String(e) };
  }
  const pc = new RTCPeerConnection({ ...config, iceTransportPolicy: 'relay' });
  const candidates = [];
  const errors = [];
  const done = new Promise((resolve) => {
    pc.onicecandidate = (e) => {
      if (!e.candidate) return resolve();
      const c = e.candidate;
      candidates.push({ type: c.type, address: c.address, relayProtocol: c.relayProtocol, url: c.url });
    };
    pc.onicecandidateerror = (e) => errors.push({ code: e.errorCode, text: e.errorText, url: e.url });
    setTimeout(resolve, timeoutMs);
  });
  pc.createDataChannel('probe');
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  pc.close();
  return { config, candidates, errors };
}

async function inApp(origin) {
  const page = await s.browser.newPage();
  await page.goto(`${origin}/`);
  const result = await page.evaluate(fetchAndGather, { endpoint: s.server.baseUrl, key: KEY, timeoutMs: GATHER_MS });
  await page.close();
  return result;
}

const show = (r) => JSON.stringify(r, null, 1);

test('an allowed origin fetches iceServers cross-origin and gathers a relay candidate with them', s.diag(async () => {
  const before = await s.server.metrics();
  const r = await inApp(allowedOrigin);
  assert.equal(r.fetchError, undefined, `the fetch failed: ${show(r)}`);
  const servers = r.config.iceServers;
  assert.ok(Array.isArray(servers) && servers.length === 2, `not an iceServers array: ${show(r.config)}`);
  const turn = servers.find((x) => x.username);
  assert.match(turn.username, /^\d+:[0-9a-f]{16}$/, `unexpected username: ${turn.username}`);
  assert.ok(turn.urls.includes(`turn:127.0.0.1:${s.server.port}?transport=udp`), `no turn: UDP URL: ${show(turn)}`);
  const relays = r.candidates.filter((c) => c.type === 'relay');
  assert.ok(relays.length > 0, `no relay candidate: ${show(r)}`);
  assert.ok(relays.every((c) => c.address === '127.0.0.1'), `relay not on the server's address: ${show(r)}`);
  assert.deepEqual(r.errors.filter((e) => e.code !== 401), [], `errors: ${show(r)}`);
  const after = await s.server.metrics();
  assert.equal(metricSum(after, 'ferry_credentials_issued_total', { via: 'api' }) -
    metricSum(before, 'ferry_credentials_issued_total', { via: 'api' }), 1, 'not counted once');
}));

test('an origin the server does not list gets no credentials (CORS refused by browser and server)', s.diag(async () => {
  const before = await s.server.metrics();
  const r = await inApp(otherOrigin);
  assert.ok(r.fetchError, `the fetch from ${otherOrigin} succeeded: ${show(r)}`);
  assert.equal(r.candidates, undefined);
  const after = await s.server.metrics();
  assert.ok(metricSum(after, 'ferry_credentials_refused_total', { reason: 'origin' }) >
    metricSum(before, 'ferry_credentials_refused_total', { reason: 'origin' }), 'no refusal counted');
  assert.equal(metricSum(after, 'ferry_credentials_issued_total', { via: 'api' }),
    metricSum(before, 'ferry_credentials_issued_total', { via: 'api' }), 'a credential was issued');
}));

test('web-test-credentials: the test page fills in its own credentials and gets a relay', s.diag(async () => {
  const username = await s.page.inputValue('#username');
  const password = await s.page.inputValue('#password');
  assert.match(username, /^\d+:[0-9a-f]{16}$/, `the page was not given a username: '${username}'`);
  assert.ok(password.length > 10, 'the page was not given a password');
  const g = await gather(s.page, { urls: `turn:127.0.0.1:${s.server.port}?transport=udp` });
  assert.ok(g.candidates.some((c) => c.type === 'relay'), `no relay candidate:\n${describeGather(g)}`);
}));
