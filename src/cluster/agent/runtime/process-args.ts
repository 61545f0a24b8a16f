/**
 * A container's argv and environment, as the kubelet and containerd's CRI plugin build them:
 * - env: the agent's resolved list (envFrom, then env; valueFrom already resolved). Values written
 *   in the pod (env[].value) get $(VAR) expansion against the variables before them, as the
 *   kubelet's makeEnvironmentVariables; resolved valueFrom values are taken literally.
 * - command/args get $(VAR) expansion against the container's final env (not the image's).
 * - argv (containerd getProcessArgs, moby's rule): no command → image Entrypoint; no command and no
 *   args → image Cmd; command given → image Entrypoint and Cmd both ignored.
 * - process env: image Env first, then HOSTNAME, then the container's (later replaces earlier).
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { expand } from './expand.ts';
import type { ImageConfig } from './types.ts';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class NoCommandError extends Error {
  constructor() {
    super('no command specified');
  }
}

/** The container's env with $(VAR) expansion applied to the values the pod wrote literally. */
export function expandEnv(container: Container, env: ReadonlyArray<{ name: string; value: string }>): Array<{ name: string; value: string }> {
  // A name is literal in the pod when its last env entry has a value (not valueFrom): later entries win.
  const literal = new Set<string>();
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined && e.value !== undefined && e.value !== '') literal.add(e.name);
    else literal.delete(e.name);
  }
  const seen = new Map<string, string>();
  const out: Array<{ name: string; value: string }> = [];
  for (const e of env) {
    const value = literal.has(e.name) ? expand(e.value, (n) => seen.get(n)) : e.value;
    seen.set(e.name, value);
    out.push({ name: e.name, value });
  }
  return out;
}

/** The process argv; throws NoCommandError when neither the pod nor the image names one. */
export function processArgs(container: Container, image: ImageConfig, env: ReadonlyArray<{ name: string; value: string }>): string[] {
  const vars = new Map(env.map((e) => [e.name, e.value] as const));
  const look = (n: string): string | undefined => vars.get(n);
  let command: string[] | undefined = container.command?.map((c) => expand(c, look));
  let args = container.args?.map((a) => expand(a, look)) ?? [];
  if (!command || command.length === 0) {
    if (args.length === 0) args = [...(image.Cmd ?? [])];
    // The CRI carries an empty command as nil, so [] and absent both take the image's Entrypoint.
    const ep = image.Entrypoint ?? [];
    command = ep.length === 1 && ep[0] === '' ? [] : [...ep];
  }
  const argv = [...(command ?? []), ...args];
  if (argv.length === 0) throw new NoCommandError();
  return argv;
}

/** The process environment: image Env, HOSTNAME, then the container's; a default PATH if none. */
export function processEnv(image: ImageConfig, hostname: string, env: ReadonlyArray<{ name: string; value: string }>): string[] {
  const merged = new Map<string, string>();
  const put = (kv: string): void => {
    const i = kv.indexOf('=');
    merged.set(i < 0 ? kv : kv.slice(0, i), kv);
  };
  put(DEFAULT_PATH);
  for (const kv of image.Env ?? []) put(kv);
  put(`HOSTNAME=${hostname}`);
  for (const e of env) put(`${e.name}=${e.value}`);
  return [...merged.values()];
}
