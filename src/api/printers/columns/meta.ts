/** The columns every upstream table shares. */
import { doc } from '../field-docs.ts';
import { column } from '../types.ts';
import type { ColumnDefinition } from '../types.ts';

export const NAME: ColumnDefinition = column('Name', 'string', doc('meta/v1:ObjectMeta.name'), { format: 'name' });
export const AGE: ColumnDefinition = column('Age', 'string', doc('meta/v1:ObjectMeta.creationTimestamp'));
export const CONTAINERS: ColumnDefinition = column('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
export const IMAGES: ColumnDefinition = column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });
