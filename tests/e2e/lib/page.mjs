// Drives Ferry's own test page (src/http/assets) through its contract with the tests:
// #urls, #username, #password, #gather, #transfer, #transfer-size and window.ferryResults.
import { inspect } from 'node:util';

// Bounds, each above the page's own (gather gives up after 10 s, a transfer after 60 s) so the
// page reports its reason before the test gives up.
export const PAGE_LOAD_MS = 15_000;
export const GATHER_MS = 20_000;
export const TRANSFER_MS = 75_000;

// Opens the page and waits until it has loaded /config.json (it fills #urls from it, which
// would overwrite URLs a test set before).
export async function openPage(browser, baseUrl) {
  const page = await browser.newPage();
  const response = await page.goto(new URL('/', baseUrl).toString(), { timeout: PAGE_LOAD_MS });
  if (!response || response.status() !== 200) {
    throw new Error(`GET ${baseUrl}/ answered ${response ? `HTTP ${response.status()}` : 'nothing'}`);
  }
  try {
    await page.waitForFunction(() => window.ferryResults && window.ferryResults.config, null, {
      timeout: PAGE_LOAD_MS,
    });
  } catch {
    const state = await page.evaluate(() => ({
      ferryResults: window.ferryResults === undefined ? 'undefined' : window.ferryResults,
      configStatus: document.getElementById('config-status')?.textContent,
    }));
    throw new Error(`the page did not load /config.json within ${PAGE_LOAD_MS} ms: ${inspect(state)}\n` +
      `browser console:\n${browser.logText()}`);
  }
  return page;
}

async function fill(page, { urls, username, password, sizeKiB }) {
  if (urls !== undefined) await page.fill('#urls', [].concat(urls).join('\n'));
  if (username !== undefined) await page.fill('#username', username);
  if (password !== undefined) await page.fill('#password', password);
  if (sizeKiB !== undefined) await page.fill('#transfer-size', String(sizeKiB));
}

// Sets exactly these URLs and credentials, presses a button and waits (bounded) for
// ferryResults[key].done. Returns ferryResults[key].
async function press(page, key, button, fields, timeoutMs) {
  await fill(page, fields);
  // Forget the previous run so that the wait below sees this one.
  await page.evaluate((k) => {
    window.ferryResults[k] = null;
  }, key);
  await page.click(button);
  try {
    await page.waitForFunction((k) => window.ferryResults[k]?.done === true, key, { timeout: timeoutMs, polling: 100 });
  } catch {
    const partial = await page.evaluate((k) => window.ferryResults[k], key);
    throw new Error(`${key} did not finish within ${timeoutMs} ms; so far: ${inspect(partial, { depth: 4 })}`);
  }
  return page.evaluate((k) => window.ferryResults[k], key);
}

export function gather(page, fields) {
  return press(page, 'gather', '#gather', fields, GATHER_MS);
}

export function transfer(page, fields) {
  return press(page, 'transfer', '#transfer', fields, TRANSFER_MS);
}

// One line per candidate and error, for assertion messages.
export function describeGather(g) {
  if (!g) return '(no gather result)';
  const c = g.candidates.map((x) => `  ${x.type} ${x.address}:${x.port} ${x.protocol}` +
    `${x.relayProtocol ? ` relay=${x.relayProtocol}` : ''} ${x.url} (${x.ms} ms)`);
  const e = g.errors.map((x) => `  error ${x.code} ${x.text} ${x.url} from ${x.address}:${x.port}`);
  return [`timedOut=${g.timedOut}`, 'candidates:', ...(c.length ? c : ['  none']), 'errors:',
    ...(e.length ? e : ['  none']), 'verdict:', ...g.verdict.map((v) => `  ${v}`)].join('\n');
}

export function describeTransfer(t) {
  return inspect(t, { depth: 3, breakLength: 100 });
}
