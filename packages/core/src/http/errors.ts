import { Schema } from "effect"
import type { CoreError } from "../errors.js"
import { httpStatus } from "../errors.js"
import { ValidationIssue } from "./validation.js"

// The error bodies of the reference API: `{"detail": …, "request_id": …}`, one class per status. They carry no `_tag`
// on the wire (the typed client tells them apart by status), so the reference's clients read them unchanged.

const fields = { detail: Schema.String, request_id: Schema.String }

/** 401. */
export class UnauthorizedResponse extends Schema.Error<UnauthorizedResponse>("UnauthorizedResponse")(fields, {
  httpApiStatus: httpStatus.Unauthorized
}) {}

/** 403. */
export class ForbiddenResponse extends Schema.Error<ForbiddenResponse>("ForbiddenResponse")(fields, {
  httpApiStatus: httpStatus.Forbidden
}) {}

/** 404: also an unknown path under the API's prefix. */
export class NotFoundResponse extends Schema.Error<NotFoundResponse>("NotFoundResponse")(fields, {
  httpApiStatus: httpStatus.NotFound
}) {}

/** 409. */
export class ConflictResponse extends Schema.Error<ConflictResponse>("ConflictResponse")(fields, {
  httpApiStatus: httpStatus.Conflict
}) {}

/** 422 with a text: a well-formed request the rules refuse (e.g. a board without a gateway). */
export class UnprocessableResponse extends Schema.Error<UnprocessableResponse>("UnprocessableResponse")(fields, {
  httpApiStatus: httpStatus.Unprocessable
}) {}

/** 429: the caller's request limit is used up for now. */
export class TooManyRequestsResponse extends Schema.Error<TooManyRequestsResponse>("TooManyRequestsResponse")(fields, {
  httpApiStatus: httpStatus.TooManyRequests
}) {}

/** 422 with FastAPI's list of validation issues: the request's path, query or body did not decode. */
export class ValidationFailedResponse extends Schema.Error<ValidationFailedResponse>("ValidationFailedResponse")({
  detail: Schema.Array(ValidationIssue),
  request_id: Schema.String
}, { httpApiStatus: 422 }) {}

/** 413: the body is larger than the mount's limit. */
export class PayloadTooLargeResponse extends Schema.Error<PayloadTooLargeResponse>("PayloadTooLargeResponse")(
  fields,
  { httpApiStatus: 413 }
) {}

/** 415: a body whose content type is not JSON. */
export class UnsupportedMediaTypeResponse
  extends Schema.Error<UnsupportedMediaTypeResponse>("UnsupportedMediaTypeResponse")(fields, {
    httpApiStatus: 415
  })
{}

/** 500. */
export class InternalErrorResponse extends Schema.Error<InternalErrorResponse>("InternalErrorResponse")(fields, {
  httpApiStatus: httpStatus.Internal
}) {}

/** 502. */
export class GatewayFailureResponse extends Schema.Error<GatewayFailureResponse>("GatewayFailureResponse")(
  fields,
  { httpApiStatus: httpStatus.GatewayFailure }
) {}

/** 503. */
export class UnavailableResponse extends Schema.Error<UnavailableResponse>("UnavailableResponse")(fields, {
  httpApiStatus: httpStatus.DatabaseUnavailable
}) {}

/** 504. */
export class GatewayTimeoutResponse extends Schema.Error<GatewayTimeoutResponse>("GatewayTimeoutResponse")(
  fields,
  { httpApiStatus: httpStatus.GatewayTimeout }
) {}

/** Every error body the API answers with. */
export const errorResponses = [
  UnauthorizedResponse,
  ForbiddenResponse,
  NotFoundResponse,
  ConflictResponse,
  UnprocessableResponse,
  ValidationFailedResponse,
  TooManyRequestsResponse,
  PayloadTooLargeResponse,
  UnsupportedMediaTypeResponse,
  InternalErrorResponse,
  GatewayFailureResponse,
  UnavailableResponse,
  GatewayTimeoutResponse
] as const

/** One of the API's error bodies. */
export type ErrorResponse = InstanceType<typeof errorResponses[number]>

type CoreErrorResponse = {
  readonly [Tag in CoreError["_tag"]]: new(
    body: { readonly detail: string; readonly request_id: string }
  ) => ErrorResponse
}

/** The response class of each core error; their statuses are core's `httpStatus` table. */
const responseOf = {
  NotFound: NotFoundResponse,
  Unauthorized: UnauthorizedResponse,
  Forbidden: ForbiddenResponse,
  Conflict: ConflictResponse,
  Unprocessable: UnprocessableResponse,
  TooManyRequests: TooManyRequestsResponse,
  GatewayFailure: GatewayFailureResponse,
  GatewayTimeout: GatewayTimeoutResponse,
  DatabaseUnavailable: UnavailableResponse,
  Internal: InternalErrorResponse
} as const satisfies CoreErrorResponse

/** The response of a core error, with the request's id. */
export const toErrorResponse = (error: CoreError, requestId: string): ErrorResponse =>
  new responseOf[error._tag]({ detail: error.detail, request_id: requestId })

/** The `detail` of a 413. */
export const tooLarge = "Request body too large"

/** The `detail` of a 415. */
export const unsupportedMediaType = "Unsupported Media Type: expected application/json"
