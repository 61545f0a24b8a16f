/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) → profiles. Each profile starts
 * from the default plugins, as upstream merges: multiPoint.disabled (with "*" for all) removes
 * defaults, multiPoint.enabled adds plugins (and weights), <point>.disabled leaves a plugin out at
 * that point, score.enabled sets weights; pluginConfig passes args by plugin name. Unknown
 * plugins, kinds or versions are errors: a bad file stops the scheduler from starting.
 */
import { parse } from 'yaml';
import { defaultProfile, validateProfile, type ExtensionPoint, type Profile } from './profile.ts';

interface PluginRef { name: string; weight?: number }
interface PluginSet { enabled?: PluginRef[]; disabled?: PluginRef[] }

const POINTS: Record<string, ExtensionPoint> = { preFilter: 'preFilter', filter: 'filter', postFilter: 'postFilter', score: 'score', reserve: 'reserve', preBind: 'preBind', bind: 'bind' };

export function profilesFromConfig(text: string): Profile[] {
  const cfg = parse(text) as Record<string, any> | null;
  if (!cfg || typeof cfg !== 'object') throw new Error('scheduler config: not an object');
  if (cfg.apiVersion !== 'kubescheduler.config.k8s.io/v1' || cfg.kind !== 'KubeSchedulerConfiguration') {
    throw new Error(`scheduler config: expected kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration, got ${cfg.apiVersion}/${cfg.kind}`);
  }
  const raw: any[] = Array.isArray(cfg.profiles) && cfg.profiles.length > 0 ? cfg.profiles : [{}];
  const seen = new Set<string>();
  return raw.map((rp) => {
    const p = defaultProfile(rp.schedulerName ?? 'default-scheduler');
    if (seen.has(p.schedulerName)) throw new Error(`scheduler config: duplicate profile ${p.schedulerName}`);
    seen.add(p.schedulerName);
    if (typeof cfg.percentageOfNodesToScore === 'number') p.percentageOfNodesToScore = cfg.percentageOfNodesToScore;
    if (typeof rp.percentageOfNodesToScore === 'number') p.percentageOfNodesToScore = rp.percentageOfNodesToScore;
    const plugins: Record<string, PluginSet> = rp.plugins ?? {};
    const multi = plugins.multiPoint ?? {};
    const disabledAll = (multi.disabled ?? []).some((d) => d.name === '*');
    const disabled = new Set((multi.disabled ?? []).map((d) => d.name));
    if (disabledAll) p.plugins = [];
    else p.plugins = p.plugins.filter((n) => !disabled.has(n));
    for (const e of multi.enabled ?? []) {
      if (!p.plugins.includes(e.name)) p.plugins.push(e.name);
      if (e.weight !== undefined) p.weights[e.name] = e.weight;
    }
    for (const [point, set] of Object.entries(plugins)) {
      if (point === 'multiPoint') continue;
      const ep = POINTS[point];
      if (!ep) throw new Error(`scheduler config: extension point ${JSON.stringify(point)} is not supported`);
      for (const d of set.disabled ?? []) {
        if (d.name === '*') (p.disabled ??= {})[ep] = [...p.plugins];
        else ((p.disabled ??= {})[ep] ??= []).push(d.name);
      }
      for (const e of set.enabled ?? []) {
        if (!p.plugins.includes(e.name)) p.plugins.push(e.name);
        const list = p.disabled?.[ep];
        if (list) p.disabled![ep] = list.filter((n) => n !== e.name);
        if (ep === 'score' && e.weight !== undefined) p.weights[e.name] = e.weight;
      }
    }
    for (const pc of rp.pluginConfig ?? []) (p.pluginConfig ??= {})[pc.name] = pc.args ?? {};
    validateProfile(p);
    return p;
  });
}
