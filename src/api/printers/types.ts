/** The shapes of meta.k8s.io Table parts and of one kind's printer. */

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** A kind's table printer: its columns and the cells (one per column, wide ones included) of an object. */
export interface Printer {
  columns: ColumnDefinition[];
  cells(obj: Obj, now: Date): unknown[];
  conditions?(obj: Obj): RowCondition[] | undefined;
}

/** An API object as JSON; printers read it defensively, like upstream reads zero values. */
export type Obj = Record<string, any>;

export function column(name: string, type: string, description: string, extra: { format?: string; priority?: number } = {}): ColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}
