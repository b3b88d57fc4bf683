// Failure context for browser tests: a failed assertion alone ("expected a relay candidate")
// rarely says why; the page's console and the server's log usually do.

const tail = (text, lines) => text.split('\n').slice(-lines).join('\n');

// Wraps a node:test body; when it throws, appends each source's text (functions returning a
// string, evaluated at failure time) to the error message, so the runner prints them with it.
export function withDiagnostics(sources, fn) {
  return async (t) => {
    try {
      return await fn(t);
    } catch (e) {
      const parts = [];
      for (const [name, get] of Object.entries(sources)) {
        let text;
        try {
          text = get();
        } catch (err) {
          text = `(unavailable: ${err.message})`;
        }
        if (text) parts.push(`--- ${name} ---\n${tail(String(text), 60)}`);
      }
      if (parts.length && e instanceof Error) e.message = `${e.message}\n${parts.join('\n')}`;
      throw e;
    }
  };
}
