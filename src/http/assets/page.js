// Ferry test page: gathers ICE candidates against the configured STUN/TURN URLs and relays a
// DataChannel transfer between two connections of this page. No framework and no build step:
// the file is compiled into the server and served verbatim under a strict CSP, so everything
// (handlers included) lives here and nothing is loaded from elsewhere.
'use strict';

(() => {
  const GATHER_TIMEOUT_MS = 10_000;
  const TRANSFER_TIMEOUT_MS = 60_000;
  const ICE_GRACE_MS = 2_000;             // a "failed" ICE state may still recover within this
  const MESSAGE_BYTES = 16 * 1024;        // safe DataChannel message size in every browser
  const RANDOM_CHUNK = 65536;             // crypto.getRandomValues refuses more per call
  const BUFFER_HIGH = 1024 * 1024;        // keep at most ~1 MiB queued in the channel
  const BUFFER_LOW = 256 * 1024;          // resume sending when the queue drains to this

  // The contract with the browser tests (tests/e2e): keep these names and shapes stable.
  const results = { config: null, gather: null, transfer: null };
  window.ferryResults = results;

  const $ = (id) => document.getElementById(id);
  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'class') node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function deferred() {
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    return { promise, resolve };
  }

  // ---------------------------------------------------------------------------------------
  // Configuration

  async function loadConfig() {
    const status = $('config-status');
    try {
      const response = await fetch('config.json', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const config = await response.json();
      results.config = config;
      $('software').textContent = config.software || 'Ferry';
      $('realm').textContent = config.realm || '(none)';
      $('urls').value = (config.urls || []).join('\n');
      // The server may hand out throw-away test credentials; never invent any otherwise.
      if (config.testCredentials && config.username) {
        $('username').value = config.username;
        $('password').value = config.password || config.credential || '';
      }
      status.textContent = config.urls && config.urls.length
        ? 'URLs from the server’s configuration; edit them freely.'
        : 'The server listed no URLs: enter them yourself.';
      if (config.metrics) {
        $('links').append(el('a', { href: 'metrics' }, 'Prometheus metrics'));
      }
    } catch (err) {
      results.config = null;
      $('software').textContent = 'server configuration unavailable';
      $('realm').textContent = '?';
      status.textContent = `Could not load config.json (${err.message}): enter the server URLs ` +
        'yourself; the test itself does not need it.';
      status.classList.add('warn');
    }
  }

  const realm = () => (results.config && results.config.realm) || 'this server';

  // Splits the textarea into STUN and TURN URLs; anything else is reported, not sent, because
  // one malformed URL makes the RTCPeerConnection constructor throw for all of them.
  function readUrls() {
    const stun = [];
    const turn = [];
    const ignored = [];
    for (const raw of $('urls').value.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      if (/^stuns?:/i.test(line)) stun.push(line);
      else if (/^turns?:/i.test(line)) turn.push(line);
      else ignored.push(line);
    }
    return { stun, turn, ignored };
  }

  function iceServers(urls, withStun) {
    const servers = [];
    if (withStun && urls.stun.length) servers.push({ urls: urls.stun });
    if (urls.turn.length) {
      // Empty strings rather than absent fields: the spec only throws for absent ones and lets
      // the server answer 401 (Chrome still refuses empty ones: see gatheringConnection).
      servers.push({
        urls: urls.turn,
        username: $('username').value,
        credential: $('password').value,
      });
    }
    return servers;
  }

  // The browser echoes the URL it was given; compare loosely in case it normalises it.
  const sameUrl = (a, b) => Boolean(a) && Boolean(b) && a.trim().toLowerCase() === b.trim().toLowerCase();

  function transportOf(url) {
    if (/^turns:/i.test(url)) return 'tls';
    const m = /[?&]transport=(udp|tcp)/i.exec(url);
    return m ? m[1].toLowerCase() : 'udp';
  }

  // ---------------------------------------------------------------------------------------
  // Gathering

  function candidateRecord(candidate, eventUrl, ms) {
    // RTCIceCandidate.url is recent; the event's url is the older, deprecated spelling.
    const url = candidate.url || eventUrl || '';
    // Chrome leaves relayProtocol null for relays reached over UDP (it does fill in "tcp");
    // the URL's transport is what the browser used, so say it.
    let relayProtocol = candidate.relayProtocol || '';
    const inferred = candidate.type === 'relay' && !relayProtocol && /^turns?:/i.test(url);
    if (inferred) relayProtocol = transportOf(url);
    return {
      rec: {
        type: candidate.type || '',
        address: candidate.address || '',
        port: candidate.port ?? null,
        protocol: candidate.protocol || '',
        relayProtocol,
        url,
        ms,
      },
      inferred,
    };
  }

  function errorRecord(event) {
    let address = event.address ?? null;
    let port = event.port ?? null;
    // Older Chrome only had hostCandidate ("addr:port").
    if (address === null && event.hostCandidate) {
      const i = event.hostCandidate.lastIndexOf(':');
      address = event.hostCandidate.slice(0, i);
      port = Number(event.hostCandidate.slice(i + 1));
    }
    return {
      code: event.errorCode,
      text: event.errorText || '',
      url: event.url || '',
      address,
      port,
    };
  }

  // mDNS host names are random UUIDs: shorten them so the table fits, full name on hover.
  function addressCell(address) {
    const m = /^([0-9a-f]{8})-[0-9a-f-]{27}\.local$/i.exec(address || '');
    if (!m) return el('td', { class: 'mono' }, address || '—');
    return el('td', { class: 'mono', title: address }, `${m[1]}….local`);
  }

  // Lets a long URL wrap before its query ("?transport=...") rather than widen the table.
  function breakable(url) {
    const i = url.indexOf('?');
    return i < 0 ? [url] : [url.slice(0, i), el('wbr'), url.slice(i)];
  }

  function addCandidateRow(rec, candidate, inferred) {
    const relay = inferred
      ? el('span', { class: 'inferred', title: 'not reported by the browser: the transport of the URL' }, rec.relayProtocol)
      : rec.relayProtocol;
    const row = el('tr', { class: `row-${rec.type}` },
      el('td', { class: 'num' }, String(rec.ms)),
      el('td', {}, el('span', { class: `type type-${rec.type}` }, rec.type)),
      addressCell(rec.address),
      el('td', { class: 'num mono' }, rec.port === null ? '—' : String(rec.port)),
      el('td', {}, rec.protocol),
      el('td', {}, relay),
      el('td', { class: 'mono url' }, ...breakable(rec.url)),
      el('td', { class: 'num mono' }, String(candidate.priority ?? '')),
      el('td', { class: 'mono' }, candidate.foundation || ''));
    $('candidates').tBodies[0].append(row);
  }

  function renderErrors(run, harmless) {
    const list = $('errors');
    list.replaceChildren();
    if (!run.errors.length) {
      list.append(el('li', { class: 'empty' }, 'none'));
      return;
    }
    run.errors.forEach((e, i) => {
      const where = e.address ? `${e.address}:${e.port}` : 'local address hidden';
      const item = el('li', { class: harmless[i] ? 'harmless' : 'bad' },
        el('span', { class: 'code' }, String(e.code)), ' ',
        el('span', {}, e.text || '(no text)'), ' ',
        el('span', { class: 'mono url' }, e.url || '(no url)'), ' ',
        el('span', { class: 'mono where' }, `from ${where}`));
      if (harmless[i]) item.append(el('span', { class: 'tag' }, 'harmless: this URL worked from another address'));
      list.append(item);
    });
  }

  // Plain words for a STUN/TURN error code (RFC 8489 §14.8, RFC 8656 §19, WebRTC's 7xx).
  function explain(code, text) {
    switch (code) {
      case 401: return `401: wrong user or password for realm ${realm()}`;
      case 403: return '403: the server refused (no users configured, or this client or user is not allowed)';
      case 437: return '437: allocation mismatch (a stale allocation from this address)';
      case 438: return '438: stale nonce the browser did not recover from';
      case 441: return '441: wrong credentials (the user does not match the allocation)';
      case 442: return '442: the server does not support this transport';
      case 486: return '486: allocation quota reached for this user';
      case 508: return '508: the server is out of relay capacity';
      case 701: return '701: the server could not be reached';
      default: return `${code}: ${text || 'error'}`;
    }
  }

  const bare = (address) => (address || '').replace(/^\[|\]$/g, '');

  // One finding per line; `rank` puts the most important first (working relays, then failures,
  // then what is merely informative).
  function verdictOf(run, ctx) {
    const { urls } = ctx;
    const findings = [];
    const add = (rank, level, text) => findings.push({ rank, level, text });
    const relays = run.candidates.filter((c) => c.type === 'relay');
    const srflx = run.candidates.filter((c) => c.type === 'srflx');
    const waited = `${GATHER_TIMEOUT_MS / 1000} s`;

    for (const line of ctx.notes) add(1, 'fail', line);
    for (const line of urls.ignored) add(1, 'fail', `Ignored “${line}”: not a stun:, turn: or turns: URL`);

    // Group failures by explanation so that two URLs failing the same way read as one line.
    const failures = new Map();
    const fail = (text, url) => {
      if (!failures.has(text)) failures.set(text, []);
      if (!failures.get(text).includes(url)) failures.get(text).push(url);
    };
    for (const url of ctx.turnSkipped ? [] : urls.turn) {
      // A candidate without url (older browsers) is attributed by its relay protocol.
      const mine = relays.filter((c) => sameUrl(c.url, url) ||
        (!c.url && c.relayProtocol === transportOf(url)));
      if (mine.length) {
        const proto = (mine[0].relayProtocol || transportOf(url)).toUpperCase();
        add(0, 'ok', `Relay works over ${proto} (${url})`);
        continue;
      }
      // Only counted as failures when the URL produced no relay: Chrome may retry a URL from
      // several local addresses, and a 401 before a success is part of the handshake.
      const errs = run.errors.filter((e) => sameUrl(e.url, url));
      if (errs.length) {
        for (const e of errs) fail(explain(e.code, e.text), url);
      } else if (run.timedOut) {
        // Chrome reports 701 only after its ~40 s STUN timeout, past this page's patience.
        fail(`No answer within ${waited}: the server could not be reached (wrong address or port, ` +
          'server down, or a firewall)', url);
      } else if (!ctx.notes.length) {
        fail('No relay candidate and no error reported by the browser', url);
      }
    }
    for (const url of urls.stun) {
      if (srflx.some((c) => sameUrl(c.url, url))) continue;
      for (const e of run.errors.filter((x) => sameUrl(x.url, url))) fail(explain(e.code, e.text), url);
    }
    for (const [text, where] of failures) add(1, 'fail', `${text} (${where.join(', ')})`);

    if (urls.turn.length && !relays.length) {
      let why = 'see the errors below';
      if (ctx.turnSkipped) why = 'enter the TURN user and password (the browser will not try TURN without them)';
      else if (run.errors.some((e) => e.code === 401)) why = 'the server did not accept the credentials';
      else if (run.timedOut || run.errors.some((e) => e.code === 701)) why = 'no TURN server answered';
      else if (ctx.notes.length) why = 'the browser refused the configuration';
      add(2, 'fail', `No relay candidate: ${why}`);
    } else if (!urls.turn.length && urls.stun.length) {
      add(2, 'info', 'No relay candidate: there is no turn: or turns: URL in the list');
    }
    if (!urls.stun.length && !urls.turn.length) add(2, 'info', 'No server URL given: only host candidates');
    if (run.timedOut) add(2, 'fail', `Gathering timed out after ${waited}`);

    if (srflx.length) {
      const addresses = [...new Set(srflx.map((c) => c.address))];
      const from = [...new Set(srflx.map((c) => c.url).filter(Boolean))];
      add(3, 'ok', `STUN works: your public address is ${addresses.join(', ')}` +
        (from.length ? ` (${from.join(', ')})` : ''));
    } else if (urls.stun.length || relays.length) {
      // Browsers drop a server-reflexive candidate equal to a host one, so none is not an error;
      // a relay candidate's related address is what the TURN server saw, which tells us more.
      const hosts = new Set(run.candidates.filter((c) => c.type === 'host').map((c) => bare(c.address)));
      const seen = [...new Set(ctx.relatedAddresses.map(bare))].filter((a) => a && a !== '0.0.0.0' && a !== '::').sort();
      let text = 'No server-reflexive candidate: either there is no NAT in between (it would equal a ' +
        'host candidate) or no STUN server answered';
      if (seen.length && seen.every((a) => hosts.has(a))) {
        text = `No server-reflexive candidate: the TURN server sees you as ${seen.join(', ')}, ` +
          `your own address${seen.length > 1 ? 'es' : ''} (no NAT in between)`;
      } else if (seen.length) {
        text = `No server-reflexive candidate, but the TURN server sees you as ${seen.join(', ')}`;
      }
      add(4, 'info', text);
    }

    findings.sort((a, b) => a.rank - b.rank);
    return findings;
  }

  function renderFindings(target, findings) {
    target.replaceChildren(...findings.map((f) => el('p', { class: `finding ${f.level}` }, f.text)));
  }

  // Chrome refuses TURN URLs with an empty user or password (InvalidAccessError) where the spec
  // would let the server answer 401; gather without them then, rather than not at all.
  function gatheringConnection(urls, ctx) {
    const config = (u) => ({ iceServers: iceServers(u, true), iceCandidatePoolSize: 0 });
    try {
      return new RTCPeerConnection(config(urls));
    } catch (err) {
      const noCredentials = !$('username').value || !$('password').value;
      if (err.name !== 'InvalidAccessError' || !noCredentials || !urls.turn.length) throw err;
      ctx.turnSkipped = true;
      return new RTCPeerConnection(config({ ...urls, turn: [] }));
    }
  }

  async function gather() {
    const run = { done: false, timedOut: false, candidates: [], errors: [], verdict: [] };
    results.gather = run;
    document.body.dataset.gather = 'running';
    $('gather').disabled = true;
    $('candidates').tBodies[0].replaceChildren();
    $('errors').replaceChildren();
    $('gather-summary').textContent = '';
    renderFindings($('verdict'), [{ level: 'idle', text: 'Gathering…' }]);

    const urls = readUrls();
    // Page-only details, kept out of ferryResults (the tests' contract).
    const ctx = { urls, notes: [], turnSkipped: false, relatedAddresses: [] };
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    let pc = null;
    try {
      pc = gatheringConnection(urls, ctx);
      const complete = deferred();
      pc.addEventListener('icecandidate', (event) => {
        // A null candidate is the end-of-candidates marker in every browser.
        if (!event.candidate) { complete.resolve(); return; }
        const c = event.candidate;
        if (!c.type) return;  // end-of-generation markers carry an empty candidate string
        const { rec, inferred } = candidateRecord(c, event.url, since());
        run.candidates.push(rec);
        if (c.type === 'relay' && c.relatedAddress) ctx.relatedAddresses.push(c.relatedAddress);
        addCandidateRow(rec, c, inferred);
      });
      pc.addEventListener('icecandidateerror', (event) => {
        run.errors.push(errorRecord(event));
        renderErrors(run, []);
      });
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') complete.resolve();
      });
      // Gathering only starts once there is something to negotiate.
      pc.createDataChannel('ferry-gather');
      await pc.setLocalDescription(await pc.createOffer());
      const outcome = await Promise.race([
        complete.promise.then(() => 'complete'),
        delay(GATHER_TIMEOUT_MS).then(() => 'timeout'),
      ]);
      run.timedOut = outcome === 'timeout';
    } catch (err) {
      ctx.notes.push(`The browser refused the configuration: ${err.name}: ${err.message}`);
    } finally {
      if (pc) pc.close();
    }

    const findings = verdictOf(run, ctx);
    // An error for a URL that produced the candidate it was asked for is a retry from another
    // local address (typically IPv6 towards an IPv4 server), not a failure.
    const harmless = run.errors.map((e) => run.candidates.some((c) => sameUrl(c.url, e.url) &&
      (c.type === 'relay' || (c.type === 'srflx' && /^stuns?:/i.test(e.url)))));
    renderErrors(run, harmless);
    renderFindings($('verdict'), findings);
    run.verdict = findings.map((f) => f.text);
    $('gather-summary').textContent = `${run.candidates.length} in ${since()} ms` +
      (run.timedOut ? ' (timed out)' : '');
    run.done = true;
    document.body.dataset.gather = 'done';
    $('gather').disabled = false;
  }

  // ---------------------------------------------------------------------------------------
  // SHA-256 (FIPS 180-4). WebCrypto exists only in secure contexts (https, localhost,
  // 127.0.0.1); a test page opened as http://public-ip is not one, hence this fallback.

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function sha256Js(bytes) {
    // Padding (§5.1.1): 0x80, zeros, then the bit length as a 64-bit big-endian number.
    const blocks = Math.ceil((bytes.length + 9) / 64);
    const tail = new Uint8Array(blocks * 64 - Math.floor(bytes.length / 64) * 64);
    const tailStart = bytes.length - (bytes.length % 64);
    tail.set(bytes.subarray(tailStart));
    tail[bytes.length - tailStart] = 0x80;
    const tailView = new DataView(tail.buffer);
    const bits = bytes.length * 8;
    tailView.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    tailView.setUint32(tail.length - 4, bits >>> 0);

    const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const W = new Uint32Array(64);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));

    for (let block = 0; block < blocks; block++) {
      const offset = block * 64;
      // Whole blocks are read in place; only the last one or two come from the padded tail.
      const [src, at] = offset < tailStart ? [view, offset] : [tailView, offset - tailStart];
      for (let t = 0; t < 16; t++) W[t] = src.getUint32(at + t * 4);
      for (let t = 16; t < 64; t++) {
        const w15 = W[t - 15];
        const w2 = W[t - 2];
        const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
        const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1;
      }
      let [a, b, c, d, e, f, g, h] = H;
      for (let t = 0; t < 64; t++) {
        const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const ch = (e & f) ^ (~e & g);
        const T1 = (h + S1 + ch + K[t] + W[t]) | 0;
        const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const maj = (a & b) ^ (a & c) ^ (b & c);
        const T2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + T1) | 0;
        d = c; c = b; b = a; a = (T1 + T2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d;
      H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    return [...H].map((x) => x.toString(16).padStart(8, '0')).join('');
  }

  const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

  async function sha256(bytes) {
    if (window.isSecureContext && crypto.subtle) {
      return { hex: hex(await crypto.subtle.digest('SHA-256', bytes)), by: 'WebCrypto' };
    }
    return { hex: sha256Js(bytes), by: 'the page’s own SHA-256 (not a secure context)' };
  }
  // Exposed so that a test can check this fallback against WebCrypto.
  window.ferrySha256 = sha256Js;

  // ---------------------------------------------------------------------------------------
  // Relayed transfer

  function randomBytes(size) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += RANDOM_CHUNK) {
      crypto.getRandomValues(data.subarray(i, Math.min(size, i + RANDOM_CHUNK)));
    }
    return data;
  }

  // The pair ICE selected on `pc`, from getStats (the transport's selectedCandidatePairId, or
  // the nominated succeeded pair for browsers that do not fill it in).
  async function selectedPair(pc) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (!pair) {
      stats.forEach((s) => {
        if (!pair && s.type === 'candidate-pair' && s.state === 'succeeded' && (s.nominated || s.selected)) pair = s;
      });
    }
    if (!pair) return { local: null, remote: null };
    const describe = (id) => {
      const c = stats.get(id);
      if (!c) return null;
      return {
        type: c.candidateType || '',
        address: c.address || c.ip || '',
        port: c.port ?? null,
        protocol: c.protocol || '',
        relayProtocol: c.relayProtocol || '',
      };
    };
    return { local: describe(pair.localCandidateId), remote: describe(pair.remoteCandidateId) };
  }

  // Runs the transfer; throws an Error with a message meant for the reader on failure.
  async function relayTransfer(run, size, stage) {
    const urls = readUrls();
    if (!urls.turn.length) throw new Error('No turn: or turns: URL in the list: the transfer needs a relay');
    if (!$('username').value || !$('password').value) {
      throw new Error('Enter the TURN user and password: the transfer needs a relay');
    }
    const config = { iceServers: iceServers(urls, false), iceTransportPolicy: 'relay', iceCandidatePoolSize: 0 };
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    stage.pcs = [a, b];
    const errors = [];
    // Per side: its relay candidates ("addr:port") and whether it finished gathering.
    const sides = {
      a: { relays: [], complete: false, done: deferred() },
      b: { relays: [], complete: false, done: deferred() },
    };
    let bothRelaysAt = null;   // when both sides first had a relay candidate
    let receivedBytes = 0;

    const relayList = () => [...sides.a.relays.slice(0, 1), ...sides.b.relays.slice(0, 1)].join(', ');
    const relayHosts = () => [...new Set([...sides.a.relays, ...sides.b.relays]
      .map((r) => r.slice(0, r.lastIndexOf(':'))))].join(', ');

    // Why a side has no relay candidate, from the icecandidateerrors seen (either side: both use
    // the same servers). Chrome also reports its implicit STUN use of a TURN server ("stun:"
    // URLs nobody typed): only the TURN URLs' errors are named when there are any.
    const noRelayReason = (waitedMs) => {
      const mine = errors.filter((e) => urls.turn.some((u) => sameUrl(u, e.url)));
      const seen = mine.length ? mine : errors;
      const groups = new Map();
      for (const e of seen) {
        const text = e.code === 701
          ? 'the TURN server did not answer (701): wrong address or port, server down, or a firewall'
          : explain(e.code, e.text);
        if (!groups.has(text)) groups.set(text, []);
        if (e.url && !groups.get(text).includes(e.url)) groups.get(text).push(e.url);
      }
      const causes = [...groups].map(([text, where]) => (where.length ? `${text} (${where.join(', ')})` : text));
      if (waitedMs !== undefined) {
        const silent = urls.turn.filter((u) => !seen.some((e) => sameUrl(u, e.url)));
        if (silent.length || !causes.length) {
          causes.push(`the TURN server did not answer within ${waitedMs / 1000} s (${(silent.length ? silent : urls.turn).join(', ')}): ` +
            'wrong address or port, server down, or a firewall');
        }
        return `No relay candidate: ${causes.join('; ')}`;
      }
      return `No relay candidate: ${causes.length ? causes.join('; ')
        : 'the browser gathered none and reported no error'}`;
    };
    const missingRelay = () => !sides.a.relays.length || !sides.b.relays.length;

    // A side that finished gathering without a relay can never connect (relay-only): say why
    // at once, without waiting for the other side or for ICE.
    const gatheringDone = (name) => {
      if (sides[name].complete) return;
      sides[name].complete = true;
      sides[name].done.resolve();
      if (!sides[name].relays.length) stage.fail(new Error(noRelayReason()));
    };

    // Why ICE failed with relays on both sides. The browser does not report a refused
    // CreatePermission (403) as an icecandidateerror; Chrome just drops the pair at once. A
    // failure long after both relays existed means the checks went unanswered instead.
    const iceFailure = (prefix, failedAt = performance.now()) => {
      if (missingRelay()) return noRelayReason();
      const soon = bothRelaysAt !== null && failedAt - bothRelaysAt < 3000;
      const why = soon
        ? `the server refused the peer (403?): check that denied-peer-ip / allowed-peer-ip allow ${relayHosts()}`
        : 'the connectivity checks between them went unanswered: check denied-peer-ip / allowed-peer-ip ' +
          `(for ${relayHosts()}) and any firewall`;
      return `${prefix}: both relays were allocated (${relayList()}) but could not reach each other: ${why}`;
    };

    // The last-resort bound (transfer()'s timer) asks this for its message.
    stage.timeoutReason = () => {
      if (stage.name === 'connecting') {
        return missingRelay() ? noRelayReason(TRANSFER_TIMEOUT_MS) : iceFailure('ICE found no working relay pair');
      }
      if (stage.name === 'transferring') return `${receivedBytes.toLocaleString('en')} of ${size.toLocaleString('en')} bytes arrived`;
      return '';
    };

    // Both ends live in this page, so candidates go straight across: no signalling server.
    // addIceCandidate is only valid after the remote description, hence the wait.
    const remoteSet = { a: deferred(), b: deferred() };
    const wire = (from, to, name, other) => {
      from.addEventListener('icecandidate', async (event) => {
        if (!event.candidate) { gatheringDone(name); return; }
        if (event.candidate.type === 'relay') {
          const c = event.candidate;
          const address = (c.address || '').includes(':') ? `[${c.address}]` : (c.address || '?');
          sides[name].relays.push(`${address}:${c.port ?? '?'}`);
          if (bothRelaysAt === null && !missingRelay()) bothRelaysAt = performance.now();
        }
        await remoteSet[other].promise;
        to.addIceCandidate(event.candidate).catch(() => {});
      });
      from.addEventListener('icegatheringstatechange', () => {
        if (from.iceGatheringState === 'complete') gatheringDone(name);
      });
      from.addEventListener('icecandidateerror', (event) => errors.push(errorRecord(event)));
      // Chrome drops a pair whose CreatePermission is refused (403) at once and reports it as
      // connectionState "failed" while iceConnectionState only says "disconnected". It does so
      // before gathering ends, and a later relay (another URL) may still connect: judge once
      // both sides finished gathering, or after ICE_GRACE_MS, if the state is still "failed".
      const isFailed = () => from.connectionState === 'failed' || from.iceConnectionState === 'failed';
      let judging = false;
      const check = () => {
        if (!isFailed() || judging) return;
        judging = true;
        const failedAt = performance.now();
        Promise.race([Promise.all([sides.a.done.promise, sides.b.done.promise]), delay(ICE_GRACE_MS)])
          .then(() => {
            judging = false;
            if (isFailed()) stage.fail(new Error(iceFailure('ICE failed', failedAt)));
          });
      };
      from.addEventListener('connectionstatechange', check);
      from.addEventListener('iceconnectionstatechange', check);
    };
    wire(a, b, 'a', 'b');
    wire(b, a, 'b', 'a');

    // A relay is allocated in well under a second when the server answers; the browser's own
    // verdict on a silent UDP server (701) comes only after ~40 s. Give up after the gathering
    // run's bound instead.
    const noRelayTimer = setTimeout(() => {
      if (missingRelay()) stage.fail(new Error(noRelayReason(GATHER_TIMEOUT_MS)));
    }, GATHER_TIMEOUT_MS);
    stage.cleanups.push(() => clearTimeout(noRelayTimer));

    const channel = a.createDataChannel('ferry-transfer', { ordered: true });
    channel.binaryType = 'arraybuffer';
    const received = new Uint8Array(size);
    const allReceived = deferred();
    b.addEventListener('datachannel', (event) => {
      event.channel.binaryType = 'arraybuffer';
      event.channel.addEventListener('message', (msg) => {
        const chunk = new Uint8Array(msg.data);
        if (receivedBytes + chunk.length > size) {
          receivedBytes += chunk.length;   // more than was sent: reported as a mismatch
          allReceived.resolve();
          return;
        }
        received.set(chunk, receivedBytes);
        receivedBytes += chunk.length;
        if (receivedBytes === size) allReceived.resolve();
      });
    });

    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    remoteSet.b.resolve();
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    remoteSet.a.resolve();

    stage.name = 'connecting';
    const data = randomBytes(size);
    const sentHash = sha256(data);   // hash while ICE connects; it runs off the network path
    if (channel.readyState !== 'open') {
      await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
    }

    stage.name = 'transferring';
    const t0 = performance.now();
    channel.bufferedAmountLowThreshold = BUFFER_LOW;
    for (let offset = 0; offset < size; offset += MESSAGE_BYTES) {
      if (channel.bufferedAmount > BUFFER_HIGH - MESSAGE_BYTES) {
        await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
      }
      if (channel.readyState !== 'open') throw new Error('The data channel closed during the transfer');
      channel.send(data.subarray(offset, Math.min(size, offset + MESSAGE_BYTES)));
    }
    await allReceived.promise;
    const seconds = (performance.now() - t0) / 1000;

    stage.name = 'checking';
    const pair = await selectedPair(a);
    const sent = await sentHash;
    const got = receivedBytes === size ? await sha256(received) : { hex: '' };
    Object.assign(run, {
      bytes: receivedBytes,
      seconds,
      mbps: (receivedBytes * 8) / seconds / 1e6,
      sha256Sent: sent.hex,
      sha256Received: got.hex,
      localCandidate: pair.local,
      remoteCandidate: pair.remote,
    });
    run.ok = receivedBytes === size && sent.hex === got.hex;
    if (!run.ok) {
      run.error = receivedBytes === size ? 'The data arrived changed: the hashes differ'
        : `Received ${receivedBytes} bytes, sent ${size}`;
    }
    return sent.by;
  }

  function describeCandidate(c) {
    if (!c) return 'unknown';
    const via = c.relayProtocol ? ` via ${c.relayProtocol.toUpperCase()}` : '';
    return `${c.type} ${c.address}:${c.port} ${c.protocol}${via}`;
  }

  function renderTransfer(run, hashBy) {
    const target = $('transfer-result');
    const head = run.ok
      ? { level: 'ok', text: `Relayed ${formatBytes(run.bytes)} in ${run.seconds.toFixed(2)} s ` +
          `(${run.mbps.toFixed(1)} Mbit/s): the hashes match` }
      : { level: 'fail', text: run.error || 'The transfer failed' };
    const rows = [];
    if (run.sha256Sent) {
      rows.push(['bytes received', run.bytes.toLocaleString('en')]);
      rows.push(['time', `${run.seconds.toFixed(3)} s`]);
      rows.push(['throughput', `${run.mbps.toFixed(1)} Mbit/s`]);
      rows.push(['A’s local candidate', describeCandidate(run.localCandidate)]);
      rows.push(['A’s remote candidate', describeCandidate(run.remoteCandidate)]);
      rows.push(['SHA-256 sent', run.sha256Sent]);
      rows.push(['SHA-256 received', run.sha256Received || '—']);
      if (hashBy) rows.push(['hashed by', hashBy]);
    }
    const dl = el('dl', { class: 'facts' });
    for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', { class: 'mono' }, v));
    target.replaceChildren(el('p', { class: `finding ${head.level}` }, head.text), ...(rows.length ? [dl] : []));
  }

  function formatBytes(n) {
    if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
    return `${n} bytes`;
  }

  async function transfer() {
    const run = {
      done: false, ok: false, bytes: 0, seconds: 0, mbps: 0, sha256Sent: '', sha256Received: '',
      localCandidate: null, remoteCandidate: null, error: null,
    };
    results.transfer = run;
    document.body.dataset.transfer = 'running';
    $('transfer').disabled = true;
    renderFindings($('transfer-result'), [{ level: 'idle', text: 'Connecting through the relay…' }]);

    const kib = Math.floor(Number($('transfer-size').value));
    const size = Math.min(Math.max(Number.isFinite(kib) && kib > 0 ? kib : 1024, 1), 262144) * 1024;
    // `stage` lets the watchdogs (timeout, ICE failure) end the run from outside.
    const failure = deferred();
    // The first failure wins: a deferred resolves once.
    const stage = {
      name: 'gathering', pcs: [], cleanups: [], timeoutReason: () => '',
      fail: (err) => failure.resolve(err),
    };
    const timer = setTimeout(() => {
      const why = stage.timeoutReason();
      stage.fail(new Error(`Timed out after ${TRANSFER_TIMEOUT_MS / 1000} s while ${stage.name}` +
        (why ? `: ${why}` : '')));
    }, TRANSFER_TIMEOUT_MS);
    let hashBy = '';
    try {
      const outcome = await Promise.race([
        relayTransfer(run, size, stage).then((by) => { hashBy = by; return null; }),
        failure.promise,
      ]);
      if (outcome) throw outcome;
    } catch (err) {
      run.ok = false;
      run.error = err.message || String(err);
    } finally {
      clearTimeout(timer);
      for (const cleanup of stage.cleanups) cleanup();
      for (const pc of stage.pcs) pc.close();
    }
    renderTransfer(run, hashBy);
    run.done = true;
    document.body.dataset.transfer = 'done';
    $('transfer').disabled = false;
  }

  // ---------------------------------------------------------------------------------------

  function start() {
    // The server form submits on Enter too; it never leaves the page.
    $('servers').addEventListener('submit', (event) => {
      event.preventDefault();
      if (!$('gather').disabled) gather();
    });
    $('transfer').addEventListener('click', () => { transfer(); });
    if (!window.isSecureContext) {
      $('context-note').textContent = 'Not a secure context (plain http to a non-local address): ' +
        'the browser hides host addresses and the page hashes with its own SHA-256.';
    }
    if (typeof RTCPeerConnection !== 'function') {
      renderFindings($('verdict'), [{ level: 'fail', text: 'This browser has no WebRTC (RTCPeerConnection)' }]);
      $('gather').disabled = true;
      $('transfer').disabled = true;
    }
    loadConfig();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
