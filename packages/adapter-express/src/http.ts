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
const invalidValue = "Invalid value"

/**
 * The message an issue's own annotations carry, if any. Messages are only ever read from annotations, never built
 * from the input: an input can be megabytes long or nested thousands of levels deep (Effect's default formatters
 * print it, recursively).
 */
const ownMessage = (annotations: { readonly [key: string]: unknown } | undefined): string | undefined => {
  const message = annotations?.["message"]
  return typeof message === "string" ? message : undefined
}

const characters = (count: number) => `${count} character${count === 1 ? "" : "s"}`

/** The pydantic type and message of a failed check, read from the check's annotations. */
const fromFilter = (issue: SchemaIssue.Filter): Found => {
  const annotations = issue.filter.annotations
  // A check's own message: what the predicate returned (on the inner issue), else the check's `message` annotation.
  const inner = issue.issue
  const message = (inner._tag === "InvalidValue" ? ownMessage(inner.annotations) : undefined) ??
    ownMessage(annotations)
  // Our own checks name their type (`Schema.makeFilter(p, { errorType: "string_nul_character" })`).
  const errorType = annotations?.["errorType"]
  if (typeof errorType === "string") return found(errorType, message ?? invalidValue)
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
    case "effect/schema/isMinLength":
      return found("string_too_short", `String should have at least ${characters(Number(payload["minLength"]))}`)
    case "effect/schema/isMaxLength":
      return found("string_too_long", `String should have at most ${characters(Number(payload["maxLength"]))}`)
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
  // Our own checks without a type (`Schema.makeFilter(... || "message")`) keep their message.
  return found("value_error", message ?? invalidValue)
}

/** What a value of `ast`'s encoded form had to be, as pydantic names it. */
const fromType = (ast: SchemaAST.AST): Found => {
  // `NullOr(X)`, `optional(X)`: X is what was expected (unions of unions unwrapped without recursion).
  let current = ast
  while (current._tag === "Union") {
    const member = current.types.find((type) => type._tag !== "Null" && type._tag !== "Undefined")
    if (member === undefined) return found("value_error", invalidValue)
    current = SchemaAST.toEncoded(member)
  }
  switch (current._tag) {
    case "String":
      return found("string_type", "Input should be a valid string")
    case "Number":
      return intParsing
    case "Boolean":
      return boolParsing
    case "Arrays":
      return found("list_type", "Input should be a valid list")
    case "Objects":
      return current.propertySignatures.length === 0 && current.indexSignatures.length > 0
        ? found("dict_type", "Input should be a valid dictionary")
        : found("model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
    default:
      return found("value_error", invalidValue)
  }
}

/**
 * The FastAPI-style entries of a decoding failure, each located under `source`: one per field (the first problem
 * found in it, as pydantic reports), in the order of the schema's fields. Walks the issue tree without recursion and
 * never formats the input.
 */
export const toValidationIssues = (root: SchemaIssue.Issue, source: string): Array<ValidationIssue> => {
  const entries = new Map<string, ValidationIssue>()
  const push = (path: ReadonlyArray<PropertyKey>, { msg, type }: Found) => {
    const loc = [source, ...path.map((key) => typeof key === "symbol" ? String(key) : key)]
    const key = JSON.stringify(loc)
    if (!entries.has(key)) entries.set(key, { loc, msg, type })
  }
  // Depth first, children pushed in reverse so that entries keep the schema's order.
  const pending: Array<readonly [SchemaIssue.Issue, ReadonlyArray<PropertyKey>]> = [[root, []]]
  while (pending.length > 0) {
    const [issue, path] = pending.pop()!
    switch (issue._tag) {
      case "Pointer":
        pending.push([issue.issue, [...path, ...issue.path]])
        break
      case "Composite":
        for (let index = issue.issues.length - 1; index >= 0; index--) pending.push([issue.issues[index]!, path])
        break
      case "Encoding":
        pending.push([issue.issue, path])
        break
      case "AnyOf": {
        // A union member that got as far as its own checks says more than one whose type did not match.
        const best = issue.issues.find((inner) => inner._tag !== "InvalidType") ?? issue.issues[0]
        if (best === undefined) push(path, fromType(issue.ast))
        else pending.push([best, path])
        break
      }
      case "Filter":
        push(path, fromFilter(issue))
        break
      case "MissingKey":
        push(path, found("missing", "Field required"))
        break
      case "UnexpectedKey":
        push(path, found("extra_forbidden", "Extra inputs are not permitted"))
        break
      case "InvalidType":
        push(path, fromType(issue.ast))
        break
      case "InvalidValue": {
        const type = issue.annotations?.["errorType"]
        push(
          path,
          found(typeof type === "string" ? type : "value_error", ownMessage(issue.annotations) ?? invalidValue)
        )
        break
      }
      default:
        push(path, found("value_error", invalidValue))
    }
  }
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

/** The request's body is larger than the router's limit: answered with 413. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {}) {}

/** The request's body is not JSON by its content type: answered with 415. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", {}) {}

/** The `detail` of a 413. */
export const tooLarge = "Request body too large"

/** The `detail` of a 415. */
export const unsupportedMediaType = "Unsupported Media Type: expected application/json"

/** The default limit of a request body, in bytes: 1 MiB. */
export const defaultBodyLimit = 1024 * 1024

/** How deep a JSON body may nest (an object in an object is depth 2): deeper bodies answer 422. */
export const maxBodyDepth = 64

/**
 * Whether a `Content-Type` names JSON: `application/json` or `application/*+json`, with any parameters
 * (`; charset=utf-8`).
 */
export const isJsonContentType = (contentType: string): boolean => {
  const essence = contentType.split(";", 1)[0]!.trim().toLowerCase()
  return essence === "application/json" || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence)
}

const bodyIssue = (loc: ReadonlyArray<string | number>, msg: string, type: string) =>
  new InvalidRequest({ issues: [{ loc: ["body", ...loc], msg, type }] })

/**
 * Where `value` nests deeper than `maxDepth`: the top-level field it is under (`[]` for a body that is not an
 * object), or `undefined` when it keeps the limit. Walks without recursion, so any depth is safe.
 */
const tooDeep = (value: unknown, maxDepth: number): ReadonlyArray<string> | undefined => {
  const pending: Array<readonly [object, number, ReadonlyArray<string>]> = []
  if (typeof value === "object" && value !== null) pending.push([value, 1, []])
  while (pending.length > 0) {
    const [current, depth, field] = pending.pop()!
    if (depth > maxDepth) return field
    const atTop = depth === 1 && !Array.isArray(current)
    const entries = Object.entries(current)
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, inner] = entries[index]!
      if (typeof inner === "object" && inner !== null) pending.push([inner, depth + 1, atTop ? [key] : field])
    }
  }
  return undefined
}

/** `value` when it nests at most `maxBodyDepth` deep, else a 422 located at the field that nests too deep. */
const withinDepth = (value: unknown): Effect.Effect<unknown, InvalidRequest> => {
  const field = tooDeep(value, maxBodyDepth)
  return field === undefined
    ? Effect.succeed(value)
    : Effect.fail(bodyIssue(field, `JSON should be nested at most ${maxBodyDepth} levels deep`, "json_limits"))
}

/** The body's text parsed as JSON (blank: `undefined`); malformed JSON is a 422, as the reference answers. */
const parseJson = (text: string): Effect.Effect<unknown, InvalidRequest> => {
  if (text.trim() === "") return Effect.succeed(undefined)
  let value: unknown
  try {
    // V8 parses without recursion: a deeply nested body is parsed, then refused by `withinDepth`.
    value = JSON.parse(text)
  } catch (error) {
    // V8's message quotes at most a few characters of the input.
    return Effect.fail(
      bodyIssue([0], `JSON decode error: ${error instanceof Error ? error.message : "invalid"}`, "json_invalid")
    )
  }
  return withinDepth(value)
}

/**
 * The JSON body, at most `limit` bytes. A `Content-Type` other than JSON is a 415 (without one the body is read as
 * JSON, as FastAPI does); a larger body is a 413, answered with `sendJsonThenClose`, which discards the rest; bad JSON
 * or JSON nested deeper than `maxBodyDepth` is a 422. A body the host already parsed (`express.json()`) is used as it
 * is, with the same depth check, on Express 4 and 5 alike.
 */
export const readJsonBody = (
  req: Request,
  limit: number
): Effect.Effect<unknown, InvalidRequest | PayloadTooLarge | UnsupportedMediaType> => {
  const contentType = req.header("content-type")
  if (contentType !== undefined && contentType.trim() !== "" && !isJsonContentType(contentType)) {
    return Effect.fail(new UnsupportedMediaType())
  }
  const parsed: unknown = req.body
  if (typeof parsed === "string") return parseJson(parsed)
  if (Buffer.isBuffer(parsed)) return parseJson(parsed.toString("utf8"))
  if (typeof parsed === "object" && parsed !== null) return withinDepth(parsed)
  // Refused before a byte is read when the client declares it.
  const declared = Number(req.header("content-length"))
  if (Number.isFinite(declared) && declared > limit) return Effect.fail(new PayloadTooLarge())
  // Read by someone else already, without leaving a parsed body: nothing more will come.
  if (req.readableEnded) return Effect.succeed(undefined)
  return Effect.callback<string, PayloadTooLarge | InvalidRequest>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        // The rest is for `sendJsonThenClose` to discard; until then the request waits, paused.
        cleanup()
        req.pause()
        resume(Effect.fail(new PayloadTooLarge()))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    }
    const onError = () => {
      cleanup()
      resume(Effect.fail(bodyIssue([], "Body unreadable", "value_error")))
    }
    const cleanup = () => {
      req.off("data", onData)
      req.off("end", onEnd)
      req.off("error", onError)
    }
    req.on("data", onData)
    req.on("end", onEnd)
    req.on("error", onError)
    return Effect.sync(cleanup)
  }).pipe(Effect.flatMap(parseJson))
}

/** Writes a JSON response. */
export const sendJson = (res: Response, status: number, body: unknown) => {
  if (res.headersSent) return
  res.status(status).setHeader("Content-Type", "application/json")
  res.end(JSON.stringify(body))
}

/** How much of a refused body is read and thrown away, at most, before the connection is cut instead. */
const drainLimit = { bytes: 64 * 1024 * 1024, millis: 10_000 }

/**
 * Writes a JSON response to a request whose body is left unread (413), and closes the connection once the client has
 * sent the rest. Closing at once would reset the connection while the client is still sending, and the client would
 * never read the answer; so the answer goes out complete (with its `Content-Length`) at once, the rest of the body is
 * read and discarded, and the connection ends after it. A client that sends more than 64 MiB more, or takes more than
 * 10 seconds, is cut off.
 */
export const sendJsonThenClose = (req: Request, res: Response, status: number, body: unknown) => {
  if (res.headersSent) return
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    Connection: "close"
  })
  if (req.readableEnded) {
    res.end(text)
    return
  }
  res.write(text)
  let discarded = 0
  const finish = (cut: boolean) => {
    clearTimeout(timer)
    req.off("data", onData)
    req.off("end", onEnd)
    req.off("error", onCut)
    req.off("close", onCut)
    res.end()
    if (cut) req.socket.destroy()
  }
  const onData = (chunk: Buffer) => {
    discarded += chunk.length
    if (discarded > drainLimit.bytes) finish(true)
  }
  const onEnd = () => finish(false)
  const onCut = () => finish(true)
  const timer = setTimeout(onCut, drainLimit.millis).unref()
  req.on("data", onData)
  req.on("end", onEnd)
  req.on("error", onCut)
  req.on("close", onCut)
  req.resume()
}

/** What a failed request answers: the one mapping from failures to statuses and bodies. */
export const failureResponse = (
  cause: Cause.Cause<unknown>,
  requestId: string
): {
  readonly status: number
  readonly body: unknown
  readonly defect: boolean
  /** The body was left unread: answer with `sendJsonThenClose`. */
  readonly close: boolean
} => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const error = failure.value
    const tag = typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
    if (tag === "InvalidRequest") {
      const body = { detail: (error as InvalidRequest).issues, request_id: requestId }
      return { status: 422, body, defect: false, close: false }
    }
    if (tag === "PayloadTooLarge") {
      return { status: 413, body: { detail: tooLarge, request_id: requestId }, defect: false, close: true }
    }
    if (tag === "UnsupportedMediaType") {
      return { status: 415, body: { detail: unsupportedMediaType, request_id: requestId }, defect: false, close: false }
    }
    if (isCoreError(error)) {
      return {
        status: httpStatus[error._tag],
        body: { detail: error.detail, request_id: requestId },
        defect: false,
        close: false
      }
    }
  }
  return { status: 500, body: { detail: "Internal Server Error", request_id: requestId }, defect: true, close: false }
}
