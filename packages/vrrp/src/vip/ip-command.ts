/** Runs iproute2 / arping without a shell and returns the outcome as a value. */
import { execFile } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  stderr: string;
}

/** Runs `cmd args` (no shell), resolving with its exit status and stderr; never rejects. */
export function runCommand(cmd: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve({ ok: true, code: 0, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string };
      const code = typeof e.code === 'number' ? e.code : null;
      resolve({ ok: false, code, stderr: stderr || e.message });
    });
  });
}
