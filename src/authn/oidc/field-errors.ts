/**
 * Configuration errors in the shape of upstream's field.ErrorList: each names the field it is
 * about (`jwt[0].claimMappings.username.expression: Invalid value: "...": ...`), and a list is
 * reported the way utilerrors.NewAggregate prints it, so operators see the same text as upstream.
 */
import { aggregateMessage } from '../../util/aggregate-error.ts';

export interface FieldError {
  path: string;
  type: 'Required value' | 'Invalid value' | 'Duplicate value' | 'Unsupported value' | 'Too many' | 'Forbidden';
  value?: unknown;
  detail: string;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

export function formatFieldError(e: FieldError): string {
  switch (e.type) {
    case 'Required value':
    case 'Forbidden':
      return e.detail ? `${e.path}: ${e.type}: ${e.detail}` : `${e.path}: ${e.type}`;
    case 'Duplicate value':
      return `${e.path}: ${e.type}: ${show(e.value)}`;
    default:
      return `${e.path}: ${e.type}: ${show(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
  }
}

/** A malformed OIDC / AuthenticationConfiguration setting; thrown at build time, never on a request. */
export class OidcConfigError extends Error {
  readonly errors: readonly FieldError[];
  constructor(errors: readonly FieldError[], context?: string) {
    // field.ErrorList.ToAggregate: repeated messages dropped.
    const body = aggregateMessage(errors.map(formatFieldError)) ?? '';
    super(context ? `${context}: ${body}` : body);
    this.name = 'OidcConfigError';
    this.errors = errors;
  }
}

export const required = (path: string, detail = ''): FieldError => ({ path, type: 'Required value', detail });
export const invalid = (path: string, value: unknown, detail: string): FieldError => ({ path, type: 'Invalid value', value, detail });
export const duplicate = (path: string, value: unknown): FieldError => ({ path, type: 'Duplicate value', value, detail: '' });
