import { ByteSize, Cause, Effect, Layer, LogLevel, References } from "effect"
import type { SchemaAST, Types } from "effect"
import type { Headers } from "effect/http"
import { HttpEffect, HttpIncomingMessage, HttpMethod, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { HttpApiError } from "effect/http-api"
import { isCoreError } from "../errors.js"
import { maxBodyDepth, tooDeepField } from "./bodyDepth.js"
import type { ErrorResponse } from "./errors.js"
import {
  errorResponses,
  InternalErrorResponse,
  PayloadTooLargeResponse,
  toErrorResponse,
  tooLarge,
  unsupportedMediaType,
  UnsupportedMediaTypeResponse,
  ValidationFailedResponse
} from "./errors.js"
import { RequestEnvelope, RequestId } from "./middleware.js"
import { requestValidationIssues } from "./validation.js"

/** Options of the request envelope. */
export interface EnvelopeOptions {
  /**
   * The largest request body accepted, in bytes (default 1 MiB). A larger one answers 413 without being buffered
   * (refused up front when its `Content-Length` says so), and its connection is closed.
   */
  readonly bodyLimitBytes?: number | undefined
}

/** The default limit of a request body, in bytes: 1 MiB. */
export const defaultBodyLimit = 1024 * 1024

/** The request id: the client's `X-Request-Id` when it sent a non-blank one (up to 200 characters), else fresh. */
export const requestIdOf = (given: string | undefined): string => {
  const trimmed = given?.trim()
  return trimmed !== undefined && trimmed !== "" && trimmed.length <= 200
    ? trimmed
    : globalThis.crypto.randomUUID().replace(/-/g, "")
}

/** `application/json` or `application/*+json`, with any parameters (`; charset=utf-8`). */
export const isJsonContentType = (contentType: string): boolean => {
  const essence = contentType.split(";", 1)[0]!.trim().toLowerCase()
  return essence === "application/json" || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence)
}

const isBodyTooLarge = (defect: unknown): boolean =>
  typeof defect === "object" && defect !== null && "reason" in defect &&
  typeof defect.reason === "object" && defect.reason !== null && "reason" in defect.reason &&
  defect.reason.reason === "BodyTooLarge"

/** The status an error body is answered with (its class's `httpApiStatus`). */
const responseStatusOf = (error: unknown): number => {
  const schema = typeof error === "object" && error !== null
    ? error.constructor as { readonly ast?: SchemaAST.AST }
    : undefined
  const status = schema?.ast?.annotations?.["httpApiStatus"]
  return typeof status === "number" ? status : 500
}

const withJsonContentType = (headers: Headers.Headers): Headers.Headers => ({
  ...headers,
  "content-type": "application/json"
})

const isErrorResponse = (error: unknown): error is ErrorResponse =>
  errorResponses.some((response) => error instanceof response)

/**
 * The one mapping from a failed request to its answer: a request that did not decode is a 422 with FastAPI's issues,
 * a core error its response, a body over the limit a 413; error responses pass through. Anything else is a defect: a
 * 500 with the reference's body, its cause logged.
 */
const answerFailure = (
  cause: Cause.Cause<ErrorResponse | Types.unhandled>,
  request: HttpServerRequest.HttpServerRequest,
  endpoint: HttpApiEndpoint.Top,
  requestId: string
): Effect.Effect<never, ErrorResponse | Types.unhandled> => {
  if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const error: unknown = failure.value
    if (isErrorResponse(error)) return Effect.fail(error)
    if (HttpApiError.HttpApiSchemaError.is(error)) {
      return Effect.flatMap(
        requestValidationIssues(request, error, endpoint),
        (issues): Effect.Effect<never, ErrorResponse> =>
          issues === undefined
            ? internalError(cause, requestId) // our own response did not encode
            : Effect.fail(new ValidationFailedResponse({ detail: issues, request_id: requestId }))
      )
    }
    if (isCoreError(error)) return Effect.fail(toErrorResponse(error, requestId))
  }
  const defect = Cause.findDefect(cause)
  if (defect._tag === "Success" && isBodyTooLarge(defect.success)) {
    return Effect.fail(new PayloadTooLargeResponse({ detail: tooLarge, request_id: requestId }))
  }
  return internalError(cause, requestId)
}

const internalError = (cause: Cause.Cause<unknown>, requestId: string): Effect.Effect<never, ErrorResponse> =>
  Effect.logError("request failed", cause).pipe(
    Effect.annotateLogs({ request_id: requestId }),
    Effect.andThen(Effect.fail(new InternalErrorResponse({ detail: "Internal Server Error", request_id: requestId })))
  )

/**
 * The envelope of every route: the request id on the response, the body checks before anything is read, the
 * request's span and debug log line, and every failure answered with the reference's body, `request_id` included.
 */
export const layerRequestEnvelope = (options: EnvelopeOptions = {}) => {
  const bodyLimit = options.bodyLimitBytes ?? defaultBodyLimit
  return Layer.succeed(RequestEnvelope, (httpEffect, { endpoint }) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const requestId = requestIdOf(request.headers["x-request-id"])
      const started = Date.now()
      yield* HttpEffect.appendPreResponseHandler((_, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "x-request-id", requestId))
      )
      const logged = (status: number) =>
        Effect.flatMap(References.MinimumLogLevel, (minimum) =>
          LogLevel.isGreaterThan(minimum, "Debug")
            ? Effect.void
            : Effect.logDebug("request").pipe(Effect.annotateLogs({
              method: request.method,
              route: endpoint.path,
              status,
              duration_ms: Date.now() - started,
              request_id: requestId
            })))

      let served = request
      if (endpoint.payload.size > 0) {
        const contentType = request.headers["content-type"]
        if (contentType !== undefined && contentType.trim() === "") {
          // A blank `Content-Type` is no content type: JSON, as FastAPI reads it.
          served = request.modify({ headers: withJsonContentType(request.headers) })
        } else if (contentType !== undefined) {
          if (!isJsonContentType(contentType)) {
            return yield* new UnsupportedMediaTypeResponse({ detail: unsupportedMediaType, request_id: requestId })
          }
          // `application/vnd.api+json` and `Application/JSON; charset=utf-8` are JSON too.
          if (contentType !== "application/json") {
            served = request.modify({ headers: withJsonContentType(request.headers) })
          }
        }
        const declared = Number(request.headers["content-length"])
        if (Number.isFinite(declared) && declared > bodyLimit) {
          return yield* new PayloadTooLargeResponse({ detail: tooLarge, request_id: requestId })
        }
      }

      const checked: Effect.Effect<HttpServerResponse.HttpServerResponse, ErrorResponse | Types.unhandled, RequestId> =
        endpoint.payload.size > 0 && HttpMethod.hasBody(request.method)
          ? Effect.flatMap(Effect.orDie(served.text), (
            text
          ): Effect.Effect<HttpServerResponse.HttpServerResponse, ErrorResponse | Types.unhandled, RequestId> => {
            const field = tooDeepField(text)
            return field === undefined ? httpEffect : Effect.fail(
              new ValidationFailedResponse({
                detail: [{
                  type: "json_limits",
                  loc: ["body", ...field],
                  msg: `JSON should be nested at most ${maxBodyDepth} levels deep`,
                  input: null
                }],
                request_id: requestId
              })
            )
          })
          : httpEffect
      // The request's span. Programs an agent runs on every request have no span of their own and put the agent's
      // ids on this one (`authenticateAgent`, `heartbeatAgent`).
      return yield* Effect.useSpan(`http ${request.method} ${endpoint.path}`, {
        attributes: {
          "http.request.method": request.method,
          "http.route": endpoint.path,
          "http.request_id": requestId
        }
      }, (span) => {
        const answered = (status: number) => {
          span.attribute("http.response.status_code", status)
          return logged(status)
        }
        return Effect.withParentSpan(
          checked.pipe(
            Effect.catchCause((cause) => answerFailure(cause, served, endpoint, requestId)),
            Effect.provideService(RequestId, requestId),
            Effect.provideService(HttpServerRequest.HttpServerRequest, served),
            Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(bodyLimit)),
            Effect.tap((response: HttpServerResponse.HttpServerResponse) => answered(response.status)),
            Effect.tapError((error) => answered(responseStatusOf(error)))
          ),
          span,
          { captureStackTrace: false }
        )
      })
    }))
}
