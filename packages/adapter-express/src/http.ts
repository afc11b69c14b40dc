import { httpStatus, isCoreError } from "@mission-control/core"
import type { Request, Response } from "express"
import { Cause, Effect, ParseResult, Schema } from "effect"

/** One problem of a request's input, in the reference API's (FastAPI's) shape. */
export interface ValidationIssue {
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly type: string
}

/** The request's body, query or path did not decode: answered with 422 and the issues. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  issues: Schema.Array(Schema.Struct({
    loc: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
    msg: Schema.String,
    type: Schema.String
  }))
}) {}

const issueType = (tag: string, message: string): string => {
  if (tag === "Missing") return "missing"
  if (tag === "Unexpected") return "extra_forbidden"
  if (/at least 1 character|minLength/i.test(message)) return "string_too_short"
  if (/UUID/.test(message)) return "uuid_parsing"
  if (/Expected boolean|bool/i.test(message)) return "bool_parsing"
  if (/Expected number|NumberFromString|int|between|greater/i.test(message)) return "int_parsing"
  if (/Expected string/.test(message)) return "string_type"
  if (/Expected \{|Expected object|record/i.test(message)) return "dict_type"
  return "value_error"
}

const decoders = new WeakMap<Schema.Schema.Any, (input: unknown) => Effect.Effect<unknown, ParseResult.ParseError>>()

/** The decoder of `schema`, built once: it runs on every request. */
const decoderOf = <A, I>(schema: Schema.Schema<A, I>) => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })
    decoders.set(schema, decoder)
  }
  return decoder as (input: unknown) => Effect.Effect<A, ParseResult.ParseError>
}

/** Decodes `input` with `schema`; failures become a 422 with every issue located under `source`. */
export const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown, source: "body" | "query" | "path") =>
  decoderOf(schema)(input).pipe(
    Effect.mapError((error) =>
      new InvalidRequest({
        issues: ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
          loc: [source, ...issue.path.map((key) => typeof key === "symbol" ? String(key) : key)],
          msg: issue.message,
          type: issueType(issue._tag, issue.message)
        }))
      })
    )
  )

/** The request id: the client's `X-Request-Id` when it sent a non-blank one, else a fresh one. */
export const requestIdOf = (req: Request): string => {
  const given = req.header("x-request-id")?.trim()
  return given !== undefined && given !== "" && given.length <= 200 ? given : globalThis.crypto.randomUUID().replace(/-/g, "")
}

const bodyLimit = 1024 * 1024

/**
 * The JSON body: the host's parsed `req.body` when it parsed one, else read here. Malformed JSON is a 422, as the
 * reference answers, on Express 4 and 5 alike.
 */
export const readJsonBody = (req: Request): Effect.Effect<unknown, InvalidRequest> => {
  if (req.body !== undefined && typeof req.body === "object" && !Buffer.isBuffer(req.body)) {
    return Effect.succeed(req.body)
  }
  return Effect.async<unknown, InvalidRequest>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (effect: Effect.Effect<unknown, InvalidRequest>) => {
      if (done) return
      done = true
      resume(effect)
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > bodyLimit) {
        finish(Effect.fail(new InvalidRequest({ issues: [{ loc: ["body"], msg: "Body too large", type: "too_long" }] })))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      if (text.trim() === "") return finish(Effect.succeed(undefined))
      try {
        finish(Effect.succeed(JSON.parse(text)))
      } catch (error) {
        finish(Effect.fail(new InvalidRequest({
          issues: [{ loc: ["body", 0], msg: `JSON decode error: ${error instanceof Error ? error.message : "invalid"}`, type: "json_invalid" }]
        })))
      }
    })
    req.on("error", () => finish(Effect.fail(new InvalidRequest({ issues: [{ loc: ["body"], msg: "Body unreadable", type: "value_error" }] }))))
  })
}

/** Writes a JSON response. */
export const sendJson = (res: Response, status: number, body: unknown) => {
  if (res.headersSent) return
  res.status(status).setHeader("Content-Type", "application/json")
  res.end(JSON.stringify(body))
}

/** What a failed request answers: the one mapping from failures to statuses and bodies. */
export const failureResponse = (
  cause: Cause.Cause<unknown>,
  requestId: string
): { readonly status: number; readonly body: unknown; readonly defect: boolean } => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") {
    const error = failure.value
    if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "InvalidRequest") return { status: 422, body: { detail: (error as InvalidRequest).issues, request_id: requestId }, defect: false }
    if (isCoreError(error)) return { status: httpStatus[error._tag], body: { detail: error.detail, request_id: requestId }, defect: false }
  }
  return { status: 500, body: { detail: "Internal Server Error", request_id: requestId }, defect: true }
}
