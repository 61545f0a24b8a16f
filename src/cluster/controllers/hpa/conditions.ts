/** HPA status conditions (horizontal.go setCondition): the transition time moves only when the status does. */
export interface HpaCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export function setCondition(list: HpaCondition[], c: Omit<HpaCondition, 'lastTransitionTime'>, nowIso: string): void {
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) {
    list.push({ ...c, lastTransitionTime: nowIso });
    return;
  }
  const prev = list[i]!;
  list[i] = { ...c, lastTransitionTime: prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowIso };
}
