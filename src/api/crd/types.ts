import type { FieldError } from '../validation/field-errors.ts';

/** Validation of a custom resource against its CRD's schema. */
export type CustomValidator = (obj: Record<string, any>, old?: Record<string, any>) => FieldError[];
