// Small helpers around child_process used by the other modules.
import { execFile } from 'node:child_process';

// Runs a command to completion (bounded) and resolves with {stdout, stderr}; rejects with an
// error whose message names the command and carries its stderr, so a failing setup step says
// what failed instead of "exit code 1".
export function run(cmd, args, { timeoutMs = 10_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const what = err.killed ? `timed out after ${timeoutMs} ms` : `exited with ${err.code ?? err.signal}`;
        const e = new Error(`${cmd} ${args.join(' ')}: ${what}${stderr ? `\n${stderr.trim()}` : ''}`);
        e.stdout = stdout;
        e.stderr = stderr;
        e.code = err.code;
        reject(e);
        return;
      }
      resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

// Resolves true when the command exits 0, false otherwise (never rejects).
export async function succeeds(cmd, args, opts) {
  try {
    await run(cmd, args, opts);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
