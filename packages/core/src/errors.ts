import { Schema } from "effect"

/** The resource does not exist or is not visible to the caller (404). */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { detail: Schema.String }) {}

/** No valid credentials (401). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", { detail: Schema.String }) {}

/** Authenticated but not allowed (403). */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", { detail: Schema.String }) {}

/** The request conflicts with existing state, such as a duplicate name (409). */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", { detail: Schema.String }) {}

/** The request is well-formed but cannot be processed, such as a board without a gateway (422). */
export class Unprocessable extends Schema.TaggedError<Unprocessable>()("Unprocessable", { detail: Schema.String }) {}

/** The caller sent more requests than its limit allows for now (429). */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  detail: Schema.String
}) {}

/** The gateway refused or failed an operation (502). */
export class GatewayFailure extends Schema.TaggedError<GatewayFailure>()("GatewayFailure", {
  detail: Schema.String
}) {}

/** The gateway stayed unreachable past the operation's deadline (504). */
export class GatewayTimeout extends Schema.TaggedError<GatewayTimeout>()("GatewayTimeout", {
  detail: Schema.String
}) {}

/**
 * The database could not be reached or could not complete the statement for now (a dropped connection, a restart,
 * a deadlock): nothing was changed, and the same request may succeed when retried (503).
 */
export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>()("DatabaseUnavailable", {
  detail: Schema.String
}) {}

/** The `DatabaseUnavailable` every adapter reports, with its one text. */
export const databaseUnavailable = (): DatabaseUnavailable =>
  new DatabaseUnavailable({ detail: "Database unavailable, try again" })

/** A failure that is not the caller's nor the gateway's (500). */
export class Internal extends Schema.TaggedError<Internal>()("Internal", { detail: Schema.String }) {}

/** Every error a core program can fail with. */
export type CoreError =
  | NotFound
  | Unauthorized
  | Forbidden
  | Conflict
  | Unprocessable
  | TooManyRequests
  | GatewayFailure
  | GatewayTimeout
  | DatabaseUnavailable
  | Internal

/** The one table that maps core errors to HTTP status codes. */
export const httpStatus = {
  NotFound: 404,
  Unauthorized: 401,
  Forbidden: 403,
  Conflict: 409,
  Unprocessable: 422,
  TooManyRequests: 429,
  GatewayFailure: 502,
  GatewayTimeout: 504,
  DatabaseUnavailable: 503,
  Internal: 500
} as const satisfies Record<CoreError["_tag"], number>

/** The HTTP status of a core error. */
export const statusOf = (error: CoreError): number => httpStatus[error._tag]

/** Standard reason phrases used as `detail` where the reference gives no text. */
export const reason = {
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  notFound: "Not Found",
  tooManyRequests: "Too Many Requests"
} as const

/** True when a value is a core error (matched by tag, so it works across copies of the package). */
export const isCoreError = (value: unknown): value is CoreError =>
  typeof value === "object" && value !== null && "_tag" in value && typeof value._tag === "string" &&
  value._tag in httpStatus && "detail" in value
