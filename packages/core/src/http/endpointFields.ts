import { Schema } from "effect"
import { BooleanFromQuery, QueryInt } from "./fields.js"

// Query parameters with a default are optional in the definition (so the typed client may leave them out); the
// handlers fill in the defaults below.

/** The page of a listing without `limit`/`offset`: the first 200. */
export const defaultPage = { limit: 200, offset: 0 } as const

/** `limit` (1–200) and `offset` of a listing. */
export const pagination = {
  limit: Schema.optional(QueryInt({ minimum: 1, maximum: 200 }).annotate({ default: defaultPage.limit })),
  offset: Schema.optional(QueryInt({ minimum: 0 }).annotate({ default: defaultPage.offset }))
}

/** An optional boolean query flag (the reference's spellings); `fallback` when absent. */
export const flag = (fallback: boolean) => Schema.optional(BooleanFromQuery.annotate({ default: fallback }))

/**
 * A body that may be left out (an empty request body is read as `null`): these routes' bodies have only optional
 * fields, and the handlers read a missing one as `{}`.
 */
export const optionalBody = <S extends Schema.Top>(schema: S) => [Schema.Null, schema] as const
