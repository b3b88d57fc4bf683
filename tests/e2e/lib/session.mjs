// One turnserver, one browser and the test page open in it, for the whole test file: registers
// node:test's before/after hooks and returns the session, whose fields are set once `before`
// has run. `diag` wraps a test body so that a failure carries the browser console and the
// server's log.
import { before, after } from 'node:test';
import { startTurnServer } from './server.mjs';
import { launchBrowser } from './browser.mjs';
import { openPage } from './page.mjs';
import { withDiagnostics } from './diag.mjs';

export function browserSession(serverOptions = {}) {
  const s = { server: undefined, browser: undefined, page: undefined };
  s.diag = (fn) =>
    withDiagnostics(
      {
        'browser console': () => s.browser?.logText(),
        'turnserver output': () => s.server?.output(),
      },
      fn,
    );
  before(async () => {
    s.server = await startTurnServer(serverOptions);
    s.browser = await launchBrowser();
    s.page = await openPage(s.browser, s.server.baseUrl);
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.stop();
  });
  return s;
}
