import { spawn } from 'node:child_process';

/** System calls a process made, by name (perf's tracepoint names without `syscalls:sys_enter_`; `all` = every call). */
export type SyscallCounts = Record<string, number>;

const CALLS = ['read', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'epoll_ctl', 'futex'];

/**
 * Counts a process's system calls from now until the returned stop() with `perf stat` on the
 * kernel's tracepoints (counts only: no sampling, little cost to the process watched). Undefined
 * when perf cannot (not installed, no permission to read tracepoints): callers print no counts.
 */
export async function countSyscalls(pid: number): Promise<(() => Promise<SyscallCounts>) | undefined> {
  const events = ['raw_syscalls:sys_enter', ...CALLS.map((c) => `syscalls:sys_enter_${c}`)];
  const perf = spawn('perf', ['stat', '-x', ',', '-e', events.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    perf.on('error', () => resolve(-1));
    perf.on('exit', (code) => resolve(code));
  });
  // perf exits at once when it cannot attach; give it a moment to say so.
  const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 300))]);
  if (early !== 'running') return undefined;
  return async () => {
    perf.kill('SIGINT');
    await exited;
    const counts: SyscallCounts = {};
    // CSV lines: value,unit,event,...
    for (const line of err.split('\n')) {
      const [value, , event] = line.split(',');
      if (!event || !/^\d+$/.test(value ?? '')) continue;
      counts[event === 'raw_syscalls:sys_enter' ? 'all' : event.replace('syscalls:sys_enter_', '')] = Number(value);
    }
    return counts;
  };
}
