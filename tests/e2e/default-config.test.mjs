// The "done when": the shipped etc/turnserver.conf (only its two ports moved to free
// ones), the page as it opens, its default URLs and the config's user: gathering gives relay
// candidates over UDP and TCP and the relayed transfer works. That file has no
// allow-loopback-peers, so the transfer also proves that one Ferry relay may be another's peer
// on loopback without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gather, transfer, describeGather, describeTransfer } from './lib/page.mjs';
import { browserSession } from './lib/session.mjs';

const CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../etc/turnserver.conf');

const s = browserSession({ configFile: CONFIG });

test('etc/turnserver.conf: the page\'s default URLs and the sample user give relays over UDP and TCP, and a relayed transfer', s.diag(async () => {
  const urls = (await s.page.inputValue('#urls')).split('\n').filter(Boolean);
  assert.ok(urls.some((u) => /^turn:.*transport=tcp/.test(u)) && urls.some((u) => /^turn:.*transport=udp/.test(u)),
    `the page did not prefill turn: UDP and TCP URLs: ${urls.join(' ')}`);
  // The sample account of etc/turnserver.conf.
  const g = await gather(s.page, { username: 'ferry', password: 'ferry-change-me' });
  const relays = g.candidates.filter((c) => c.type === 'relay');
  for (const proto of ['udp', 'tcp']) {
    assert.ok(relays.some((c) => c.relayProtocol === proto), `no relay candidate over ${proto}:\n${describeGather(g)}`);
  }
  assert.ok(g.verdict.some((v) => /Relay works over UDP/.test(v)) && g.verdict.some((v) => /Relay works over TCP/.test(v)),
    `the verdict does not say the relay works over UDP and TCP:\n${describeGather(g)}`);

  const t = await transfer(s.page, {});
  assert.equal(t.ok, true, `the default transfer (1024 KiB) failed: ${t.error}\n${describeTransfer(t)}`);
  assert.equal(t.bytes, 1024 * 1024, `received ${t.bytes} bytes:\n${describeTransfer(t)}`);
  assert.equal(t.sha256Received, t.sha256Sent, `SHA-256 differs:\n${describeTransfer(t)}`);
}));
