/** DefaultBinder: POST pods/binding, as upstream's plugins/defaultbinder does. */
import { asError, type BindPlugin, type PluginContext } from '../framework.ts';
import { resources } from '../../client/resources.ts';

export const PODS = resources.pods;

export function defaultBinder(ctx: PluginContext): BindPlugin {
  return {
    name: 'DefaultBinder',
    async bind(pod, nodeName) {
      const { name, namespace, uid } = pod.metadata;
      try {
        await ctx.client.postSubresource(PODS, namespace ?? '', name ?? '', 'binding', {
          apiVersion: 'v1',
          kind: 'Binding',
          // uid makes the bind fail if the pod was deleted and re-created meanwhile.
          metadata: { name, namespace, ...(uid ? { uid } : {}) },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        });
        return undefined;
      } catch (err) {
        return asError(err);
      }
    },
  };
}
