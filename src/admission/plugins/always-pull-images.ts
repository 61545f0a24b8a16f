/**
 * AlwaysPullImages (plugin/pkg/admission/alwayspullimages): every container of a new pod, or of a
 * pod update that brings a new image, gets imagePullPolicy Always, so a pod can only use an image
 * its pull credentials can fetch, never one another tenant left in the node's cache.
 */
import { ApiError, forbidden, type StatusReason } from '../../api/errors.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';
import { admissionErrorName } from '../error-name.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';

type Container = { image?: string; imagePullPolicy?: string };
const KINDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function visit(pod: Record<string, any> | undefined, fn: (c: Container, path: string) => boolean | void): void {
  for (const kind of KINDS) {
    const list = pod?.spec?.[kind];
    if (!Array.isArray(list)) continue;
    for (const [i, c] of list.entries()) if (c && fn(c as Container, `spec.${kind}[${i}]`) === false) return;
  }
}

function isUpdateWithNoNewImages(a: AdmissionAttributes): boolean {
  if (a.operation !== 'UPDATE') return false;
  const old = new Set<string | undefined>();
  visit(a.oldObject, (c) => void old.add(c.image));
  let hasNew = false;
  visit(a.object, (c) => {
    if (!old.has(c.image)) hasNew = true;
    return !hasNew;
  });
  return !hasNew;
}

export class AlwaysPullImages implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'AlwaysPullImages';

  constructor(_deps?: PluginDeps) {}

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    return a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '' && !!a.object && !isUpdateWithNoNewImages(a);
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const patches: unknown[] = [];
    visit(a.object, (c, path) => {
      if (c.imagePullPolicy !== 'Always') patches.push({ op: 'replace', path: `${path}.imagePullPolicy`, value: 'Always' });
      c.imagePullPolicy = 'Always';
    });
    return { allowed: true, patches };
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const errs: string[] = [];
    visit(a.object, (c, path) => {
      if (c.imagePullPolicy !== 'Always') {
        errs.push(`${path}.imagePullPolicy: Unsupported value: ${JSON.stringify(c.imagePullPolicy ?? '')}: supported values: "Always"`);
      }
    });
    if (errs.length === 0) return { allowed: true };
    // Upstream: utilerrors.NewAggregate of one admission.NewForbidden per container. The
    // aggregate is no APIStatus, so the handler answers as for any other error
    // (responsewriters.ErrorToAPIStatus): 500, reason Unknown (empty), the aggregate's text (one
    // error bare, several in brackets). Only reached when something after the mutating half
    // (a webhook, a policy) sets another policy.
    const name = admissionErrorName(a);
    throw new ApiError(500, '' as StatusReason, aggregateMessage(errs.map((e) => forbidden(a.resource, name, e).message))!);
  }
}
