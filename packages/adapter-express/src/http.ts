import { httpStatus, isCoreError } from "@mission-control/core"
import { Cause, Effect, Schema, SchemaAST, SchemaIssue } from "effect"
import type { Request, Response } from "express"

/** One problem of a request's input, in the reference API's (FastAPI's) shape. */
export interface ValidationIssue {
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly type: string
}

/** The request's body, query or path did not decode: answered with 422 and the issues. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  issues: Schema.Array(Schema.Struct({
    loc: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
    msg: Schema.String,
    type: Schema.String
  }))
}) {}

type Found = { readonly type: string; readonly msg: string }

const found = (type: string, msg: string): Found => ({ type, msg })
const intParsing = found("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
const boolParsing = found("bool_parsing", "Input should be a valid boolean, unable to interpret input")

/** The pydantic type and message of a failed check, read from the check's representation. */
const fromFilter = (issue: SchemaIssue.Filter): Found => {
  const annotations = issue.filter.annotations
  const representation = annotations?.representation as
    | { readonly id?: string; readonly payload?: Readonly<Record<string, unknown>> | null }
    | undefined
  const payload = representation?.payload ?? {}
  switch (representation?.id) {
    case "effect/schema/isGUID":
    case "effect/schema/isUUID":
      return found("uuid_parsing", "Input should be a valid UUID")
    case "effect/schema/isFinite":
    case "effect/schema/isInt":
      return intParsing
    case "effect/schema/isMinLength": {
      const minLength = Number(payload["minLength"])
      return found(
        "string_too_short",
        `String should have at least ${minLength} character${minLength === 1 ? "" : "s"}`
      )
    }
    case "effect/schema/isGreaterThanOrEqualTo":
      return found("greater_than_equal", `Input should be greater than or equal to ${payload["minimum"]}`)
    case "effect/schema/isLessThanOrEqualTo":
      return found("less_than_equal", `Input should be less than or equal to ${payload["maximum"]}`)
    case "effect/schema/isBetween": {
      // One check for both bounds: the input (reported by the decoder) tells which one it broke.
      const input = issue.input
      return typeof input === "number" && input < Number(payload["minimum"])
        ? found("greater_than_equal", `Input should be greater than or equal to ${payload["minimum"]}`)
        : found("less_than_equal", `Input should be less than or equal to ${payload["maximum"]}`)
    }
  }
  // Our own checks (`Schema.makeFilter(... || "message")`) carry their message on the inner issue.
  const inner = issue.issue
  const message = inner._tag === "InvalidValue" ? inner.annotations?.message : undefined
  return found(
    "value_error",
    typeof message === "string" ? message : SchemaIssue.defaultCheckHook(issue) ?? "Invalid value"
  )
}

/** What a value of `ast`'s encoded form had to be, as pydantic names it. */
const fromType = (ast: SchemaAST.AST): Found => {
  switch (ast._tag) {
    case "String":
      return found("string_type", "Input should be a valid string")
    case "Number":
      return intParsing
    case "Boolean":
      return boolParsing
    case "Arrays":
      return found("list_type", "Input should be a valid list")
    case "Objects":
      return ast.propertySignatures.length === 0 && ast.indexSignatures.length > 0
        ? found("dict_type", "Input should be a valid dictionary")
        : found("model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
    case "Union": {
      // `NullOr(X)`, `optional(X)`: X is what was expected.
      const member = ast.types.find((type) => type._tag !== "Null" && type._tag !== "Undefined")
      return member === undefined ? found("value_error", "Invalid value") : fromType(SchemaAST.toEncoded(member))
    }
    default:
      return found("value_error", "Invalid value")
  }
}

/**
 * The FastAPI-style entries of a decoding failure, each located under `source`: one per field (the first problem
 * found in it, as pydantic reports), in the order of the schema's fields.
 */
export const toValidationIssues = (root: SchemaIssue.Issue, source: string): Array<ValidationIssue> => {
  const entries = new Map<string, ValidationIssue>()
  const push = (path: ReadonlyArray<PropertyKey>, { msg, type }: Found) => {
    const loc = [source, ...path.map((key) => typeof key === "symbol" ? String(key) : key)]
    const key = JSON.stringify(loc)
    if (!entries.has(key)) entries.set(key, { loc, msg, type })
  }
  const walk = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (issue._tag) {
      case "Pointer":
        return walk(issue.issue, [...path, ...issue.path])
      case "Composite":
        return issue.issues.forEach((inner) => walk(inner, path))
      case "Encoding":
        return walk(issue.issue, path)
      case "AnyOf": {
        // A union member that got as far as its own checks says more than one whose type did not match.
        const best = issue.issues.find((inner) => inner._tag !== "InvalidType") ?? issue.issues[0]
        return best === undefined ? push(path, fromType(issue.ast)) : walk(best, path)
      }
      case "Filter":
        return push(path, fromFilter(issue))
      case "MissingKey":
        return push(path, found("missing", "Field required"))
      case "UnexpectedKey":
        return push(path, found("extra_forbidden", "Extra inputs are not permitted"))
      case "InvalidType":
        return push(path, fromType(issue.ast))
      case "InvalidValue": {
        const type = issue.annotations?.["errorType"]
        return push(path, found(typeof type === "string" ? type : "value_error", SchemaIssue.defaultLeafHook(issue)))
      }
      default:
        return push(path, found("value_error", SchemaIssue.defaultLeafHook(issue)))
    }
  }
  walk(root, [])
  return [...entries.values()]
}

type Decoder = (input: unknown) => Effect.Effect<unknown, Schema.SchemaError>

const decoders = new WeakMap<Schema.Top, Decoder>()

/** The decoder of `schema`, built once: it runs on every request. */
const decoderOf = <A, I>(schema: Schema.Codec<A, I>): (input: unknown) => Effect.Effect<A, Schema.SchemaError> => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    // Every issue, not the first; `reportInput` lets a range check tell which bound the input broke.
    decoder = Schema.decodeUnknownEffect(schema, { errors: "all", onExcessProperty: "ignore", reportInput: true })
    decoders.set(schema, decoder)
  }
  return decoder as (input: unknown) => Effect.Effect<A, Schema.SchemaError>
}

/** Decodes `input` with `schema`; failures become a 422 with every issue located under `source`. */
export const decode = <A, I>(schema: Schema.Codec<A, I>, input: unknown, source: "body" | "query" | "path") =>
  decoderOf(schema)(input).pipe(
    Effect.mapError((error) => new InvalidRequest({ issues: toValidationIssues(error.issue, source) }))
  )

/** The request id: the client's `X-Request-Id` when it sent a non-blank one, else a fresh one. */
export const requestIdOf = (req: Request): string => {
  const given = req.header("x-request-id")?.trim()
  return given !== undefined && given !== "" && given.length <= 200
    ? given
    : globalThis.crypto.randomUUID().replace(/-/g, "")
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
  return Effect.callback<unknown, InvalidRequest>((resume) => {
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
        finish(
          Effect.fail(new InvalidRequest({ issues: [{ loc: ["body"], msg: "Body too large", type: "too_long" }] }))
        )
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
        finish(Effect.fail(
          new InvalidRequest({
            issues: [{
              loc: ["body", 0],
              msg: `JSON decode error: ${error instanceof Error ? error.message : "invalid"}`,
              type: "json_invalid"
            }]
          })
        ))
      }
    })
    req.on(
      "error",
      () =>
        finish(
          Effect.fail(new InvalidRequest({ issues: [{ loc: ["body"], msg: "Body unreadable", type: "value_error" }] }))
        )
    )
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
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const error = failure.value
    if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "InvalidRequest") {
      return { status: 422, body: { detail: (error as InvalidRequest).issues, request_id: requestId }, defect: false }
    }
    if (isCoreError(error)) {
      return { status: httpStatus[error._tag], body: { detail: error.detail, request_id: requestId }, defect: false }
    }
  }
  return { status: 500, body: { detail: "Internal Server Error", request_id: requestId }, defect: true }
}
