// Schemas every route group uses: the error body, paging (EMQX's `page`/`limit` with
// `meta: {page, limit, count, hasnext}`), and the responses each route declares for its refusals.

import { Type, type TSchema, type TUnsafe } from 'typebox';

/** A string from a fixed list, as a JSON Schema `enum` (so a refusal can list the allowed values). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Machine-readable reason, e.g. BAD_REQUEST, NOT_FOUND, ALREADY_EXISTS' }),
    message: Type.String({ description: 'What was wrong, naming the field' }),
  },
  { description: 'A refused request' },
);

/** The refusals a route may answer, by status. */
export function refusals(...statuses: Array<400 | 401 | 403 | 404 | 409 | 429 | 503>): Record<number, TSchema> {
  return Object.fromEntries([401, 403, ...statuses].map((status) => [status, ErrorBody]));
}

export const MAX_PAGE_LIMIT = 10_000;

export const PageQuery = {
  page: Type.Integer({ minimum: 1, default: 1, description: 'Page number, from 1' }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 100, description: 'Items per page' }),
};

export const PageMeta = Type.Object({
  page: Type.Integer(),
  limit: Type.Integer(),
  count: Type.Integer({ description: 'Items matching the filters, on every page' }),
  hasnext: Type.Boolean(),
});

/** `{data, meta}` of a paged list. */
export function Paged(item: TSchema): TSchema {
  return Type.Object({ data: Type.Array(item), meta: PageMeta });
}

export interface Page<T> {
  data: T[];
  meta: { page: number; limit: number; count: number; hasnext: boolean };
}

/** One page of an already filtered list. */
export function pageOf<T>(items: readonly T[], page: number, limit: number): Page<T> {
  const start = (page - 1) * limit;
  return { data: items.slice(start, start + limit), meta: { page, limit, count: items.length, hasnext: start + limit < items.length } };
}

/** An empty answer (DELETE and some POSTs answer 204 in EMQX). */
export const NoContent = Type.Null({ description: 'No content' });
