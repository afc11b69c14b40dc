import { Context, Effect, Option, Schema, SchemaAST, SchemaIssue } from "effect"
import { HttpMethod, HttpRouter, HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint, HttpApiError } from "effect/http-api"
import { pydanticErrorOf, uuidParsingError } from "./fields.js"

// FastAPI's 422 bodies (pydantic v2 errors) from Effect schema issues. The texts are those of the reference's
// stack: FastAPI 0.131, pydantic 2.12 (pydantic-core 2.41), CPython 3.12's `json` module for undecodable bodies.

/** The part of a request a value comes from: the first element of FastAPI's `loc`. */
export type ValidationSlot = "path" | "query" | "body" | "header"

/** One entry of FastAPI's 422 `detail`: pydantic's error for one field. */
export interface ValidationIssue {
  readonly type: string
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly input: unknown
  readonly ctx?: Readonly<Record<string, unknown>>
}

/** FastAPI's `ValidationError` schema, in its key order: `type`, `loc`, `msg`, `input`, `ctx`. */
export const ValidationIssue: Schema.Codec<ValidationIssue> = Schema.Struct({
  type: Schema.String.annotate({ title: "Error Type" }),
  loc: Schema.Array(Schema.Union([Schema.String, Schema.Int])).annotate({ title: "Location" }),
  msg: Schema.String.annotate({ title: "Message" }),
  input: Schema.Unknown.annotate({ title: "Input" }),
  ctx: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown).annotate({ title: "Context" }))
}).annotate({ identifier: "ValidationError" })

// ---------------------------------------------------------------------------------------------------------------
// Undecodable JSON, as CPython's `json.loads` reports it

/** Where and why CPython's `json.loads` gives up on a text: FastAPI's `json_invalid` uses both. */
export interface JsonDecodeError {
  /** The index of the offending character, in code points. */
  readonly position: number
  /** `json.JSONDecodeError.msg`, e.g. "Expecting value". */
  readonly message: string
}

const jsonWhitespace = new Set([" ", "\t", "\n", "\r"])
const simpleEscapes = new Set(["\"", "\\", "/", "b", "f", "n", "r", "t"])
const isDigit = (character: string | undefined): boolean =>
  character !== undefined && character >= "0" && character <= "9"
const isHexDigit = (character: string | undefined): boolean =>
  character !== undefined && /^[0-9a-fA-F]$/.test(character)
const hexValue = (characters: ReadonlyArray<string>, from: number): number =>
  Number.parseInt(characters.slice(from, from + 4).join(""), 16)

/**
 * The first error CPython 3.12's `json.loads` (its C scanner) finds in a text, or `undefined` when it finds none.
 * `NaN`, `Infinity` and `-Infinity`, which Python accepts and JavaScript does not, count as missing values here.
 * Iterative, so a deeply nested text cannot exhaust the stack.
 */
export const pythonJsonError = (text: string): JsonDecodeError | undefined => {
  const s = Array.from(text) // Python indexes code points
  const last = s.length - 1
  const fail = (message: string, position: number): JsonDecodeError => ({ message, position })
  const skipWhitespace = (from: number): number => {
    let index = from
    while (index <= last && jsonWhitespace.has(s[index]!)) index++
    return index
  }
  const word = (at: number, expected: string): boolean =>
    at + expected.length - 1 <= last && s.slice(at, at + expected.length).join("") === expected

  // scanstring_unicode: `end` is the index after the opening quote; the index after the closing quote, or an error
  const scanString = (start: number): number | JsonDecodeError => {
    const begin = start - 1
    let end = start
    while (true) {
      let next = end
      let character: string | undefined
      for (; next <= last; next++) {
        character = s[next]!
        if (character === "\"" || character === "\\") break
        if (character <= "\u001f") return fail("Invalid control character at", next)
      }
      if (next > last) return fail("Unterminated string starting at", begin)
      if (character === "\"") return next + 1
      next++
      if (next > last) return fail("Unterminated string starting at", begin)
      if (s[next] !== "u") {
        end = next + 1
        if (!simpleEscapes.has(s[next]!)) return fail("Invalid \\escape", end - 2)
        continue
      }
      next++
      end = next + 4
      if (end >= s.length) return fail("Invalid \\uXXXX escape", next - 1)
      for (; next < end; next++) if (!isHexDigit(s[next])) return fail("Invalid \\uXXXX escape", end - 5)
      const high = hexValue(s, end - 4)
      if (high >= 0xd800 && high <= 0xdbff && end + 6 < s.length && s[end] === "\\" && s[end + 1] === "u") {
        end += 6
        for (next = end - 4; next < end; next++) {
          if (!isHexDigit(s[next])) return fail("Invalid \\uXXXX escape", end - 5)
        }
        const low = hexValue(s, end - 4)
        if (low < 0xdc00 || low > 0xdfff) end -= 6
      }
    }
  }

  // _match_number_unicode: the index after the number, or `undefined` where it sees none
  const matchNumber = (start: number): number | undefined => {
    let index = start
    if (s[index] === "-") {
      index++
      if (index > last) return undefined
    }
    if (s[index]! >= "1" && s[index]! <= "9") {
      index++
      while (index <= last && isDigit(s[index])) index++
    } else if (s[index] === "0") {
      index++
    } else {
      return undefined
    }
    if (index < last && s[index] === "." && isDigit(s[index + 1])) {
      index += 2
      while (index <= last && isDigit(s[index])) index++
    }
    if (index < last && (s[index] === "e" || s[index] === "E")) {
      const exponentStart = index
      index++
      if (index < last && (s[index] === "-" || s[index] === "+")) index++
      while (index <= last && isDigit(s[index])) index++
      if (!isDigit(s[index - 1])) index = exponentStart
    }
    return index
  }

  const open: Array<"object" | "array"> = []
  let index = skipWhitespace(0)
  let expect: "value" | "key" = "value"
  while (true) {
    if (expect === "key") {
      if (index > last || s[index] !== "\"") return fail("Expecting property name enclosed in double quotes", index)
      const afterKey = scanString(index + 1)
      if (typeof afterKey !== "number") return afterKey
      index = skipWhitespace(afterKey)
      if (index > last || s[index] !== ":") return fail("Expecting ':' delimiter", index)
      index = skipWhitespace(index + 1)
      expect = "value"
    }
    // scan_once_unicode at `index`
    if (index > last) return fail("Expecting value", index)
    const character = s[index]
    if (character === "\"") {
      const afterString = scanString(index + 1)
      if (typeof afterString !== "number") return afterString
      index = afterString
    } else if (character === "{" || character === "[") {
      const close = character === "{" ? "}" : "]"
      index = skipWhitespace(index + 1)
      if (index > last || s[index] !== close) {
        open.push(character === "{" ? "object" : "array")
        expect = character === "{" ? "key" : "value"
        continue
      }
      index++
    } else if (character === "n" && word(index, "null")) {
      index += 4
    } else if (character === "t" && word(index, "true")) {
      index += 4
    } else if (character === "f" && word(index, "false")) {
      index += 5
    } else {
      const afterNumber = matchNumber(index)
      if (afterNumber === undefined) return fail("Expecting value", index)
      index = afterNumber
    }
    // after a value: close the containers it completes, or find the next element
    while (true) {
      const container = open.at(-1)
      if (container === undefined) {
        index = skipWhitespace(index)
        return index === s.length ? undefined : fail("Extra data", index)
      }
      index = skipWhitespace(index)
      const close = container === "object" ? "}" : "]"
      if (index <= last && s[index] === close) {
        open.pop()
        index++
        continue
      }
      if (index > last || s[index] !== ",") return fail("Expecting ',' delimiter", index)
      index = skipWhitespace(index + 1)
      expect = container === "object" ? "key" : "value"
      break
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Schema issues to FastAPI entries

/** HttpApi's issue for a body that is not JSON (`HttpApiBuilder`'s `decodePayload`). */
const httpApiJsonBodyMessage = "Expected a valid JSON body"

interface Found {
  readonly type: string
  readonly msg: string
  readonly ctx?: Readonly<Record<string, unknown>> | undefined
}

const found = (type: string, msg: string, ctx?: Readonly<Record<string, unknown>>): Found => ({ type, msg, ctx })

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`

interface Representation {
  readonly id?: string
  readonly payload?: Readonly<Record<string, unknown>> | null
}

const representationOf = (check: SchemaAST.Check<unknown>): Representation | undefined =>
  check.annotations?.["representation"] as Representation | undefined

const checkIds = (checks: ReadonlyArray<SchemaAST.Check<unknown>> | undefined): Array<string> =>
  (checks ?? []).flatMap((check) =>
    check._tag === "FilterGroup" ? checkIds(check.checks) : [representationOf(check)?.id ?? ""]
  )

const hasCheck = (ast: SchemaAST.AST, ...ids: ReadonlyArray<string>): boolean =>
  checkIds(ast.checks).some((id) => ids.includes(id))

const isUuidString = (ast: SchemaAST.AST): boolean =>
  hasCheck(ast, "effect/schema/isGUID", "effect/schema/isUUID") || ast.annotations?.["format"] === "uuid"

/** Python's `repr` of a literal, as pydantic quotes it in `literal_error`. */
const pythonRepr = (value: unknown): string =>
  typeof value === "string"
    ? `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`
    : value === true
    ? "True"
    : value === false
    ? "False"
    : value === null
    ? "None"
    : String(value)

const literalError = (literals: ReadonlyArray<unknown>): Found => {
  const shown = literals.map(pythonRepr)
  const expected = shown.length <= 1
    ? shown.join("")
    : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`
  return found("literal_error", `Input should be ${expected}`, { expected })
}

const isNullish = (ast: SchemaAST.AST): boolean => ast._tag === "Null" || ast._tag === "Undefined"

/** A union's members, nested unions flattened, without `null`/`undefined` (`NullOr(X)` reports X, as pydantic). */
const membersOf = (ast: SchemaAST.AST): Array<SchemaAST.AST> =>
  ast._tag === "Union" ? ast.types.flatMap(membersOf) : isNullish(ast) ? [] : [ast]

const intTypeError = (value: unknown): Found =>
  typeof value === "string"
    ? found("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
    : typeof value === "number" && Number.isFinite(value) && !Number.isInteger(value)
    ? found("int_from_float", "Input should be a valid integer, got a number with a fractional part")
    : found("int_type", "Input should be a valid integer")

const numberTypeError = (value: unknown): Found =>
  typeof value === "string"
    ? found("float_parsing", "Input should be a valid number, unable to parse string as a number")
    : found("float_type", "Input should be a valid number")

const boolTypeError = (value: unknown): Found =>
  typeof value === "string" || (typeof value === "number" && Number.isInteger(value))
    ? found("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    : found("bool_type", "Input should be a valid boolean")

/** Pydantic's error for a value of the wrong type for `ast` (pydantic's lax mode decides which wording). */
const typeError = (ast: SchemaAST.AST, value: unknown): Found => {
  switch (ast._tag) {
    case "String":
      return isUuidString(ast)
        ? found("uuid_type", "UUID input should be a string, bytes or UUID object")
        : found("string_type", "Input should be a valid string")
    case "Number":
      return hasCheck(ast, "effect/schema/isInt") ? intTypeError(value) : numberTypeError(value)
    case "Boolean":
      return boolTypeError(value)
    case "Objects":
      return ast.propertySignatures.length === 0 && ast.indexSignatures.length > 0
        ? found("dict_type", "Input should be a valid dictionary")
        : found("model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
    case "Arrays":
      return found("list_type", "Input should be a valid list")
    case "Literal":
      return literalError([ast.literal])
    case "Null":
    case "Undefined":
      return found("none_required", "Input should be None")
    case "Union": {
      const members = membersOf(ast)
      if (members.length === 0) return found("none_required", "Input should be None")
      if (members.every((member) => member._tag === "Literal")) {
        return literalError(members.map((member) => (member as SchemaAST.Literal).literal))
      }
      return typeError(members[0]!, value)
    }
    case "Suspend":
      return typeError(ast.thunk(), value)
    default:
      return valueError("Invalid value")
  }
}

// FastAPI serialises the `ValueError` in a value error's `ctx` as an empty object.
const valueError = (text: string): Found => found("value_error", `Value error, ${text}`, { error: {} })

const toNumber = (value: unknown): number => typeof value === "number" ? value : Number(value)

const lengthError = (kind: "short" | "long", limit: number, value: unknown): Found => {
  if (Array.isArray(value)) {
    const field = kind === "short" ? "min_length" : "max_length"
    const bound = kind === "short" ? "at least" : "at most"
    return found(
      `too_${kind}`,
      `List should have ${bound} ${plural(limit, "item")} after validation, not ${value.length}`,
      { field_type: "List", [field]: limit, actual_length: value.length }
    )
  }
  return kind === "short"
    ? found("string_too_short", `String should have at least ${plural(limit, "character")}`, { min_length: limit })
    : found("string_too_long", `String should have at most ${plural(limit, "character")}`, { max_length: limit })
}

const bound = (kind: "ge" | "gt" | "le" | "lt", limit: unknown): Found => {
  switch (kind) {
    case "ge":
      return found("greater_than_equal", `Input should be greater than or equal to ${limit}`, { ge: limit })
    case "gt":
      return found("greater_than", `Input should be greater than ${limit}`, { gt: limit })
    case "le":
      return found("less_than_equal", `Input should be less than or equal to ${limit}`, { le: limit })
    case "lt":
      return found("less_than", `Input should be less than ${limit}`, { lt: limit })
  }
}

type Annotations = { readonly [key: string]: unknown } | undefined

const messageOf = (issue: SchemaIssue.Issue, fallback?: Annotations): string => {
  if (issue._tag === "InvalidValue" && typeof issue.annotations?.message === "string") return issue.annotations.message
  if (typeof fallback?.["message"] === "string") return fallback["message"]
  if (typeof fallback?.["expected"] === "string") return `Expected ${fallback["expected"]}`
  return "Invalid value"
}

/** Pydantic's error for a failed check; `value` is the request's value at the field. */
const checkError = (issue: SchemaIssue.Filter, value: unknown): Found => {
  const annotations = issue.filter.annotations
  const own = pydanticErrorOf(annotations)
  if (own !== undefined) return found(own.type, messageOf(issue.issue, annotations), own.context)
  const representation = representationOf(issue.filter)
  const payload = representation?.payload ?? {}
  switch (representation?.id) {
    case "effect/schema/isGUID":
    case "effect/schema/isUUID": {
      const error = uuidParsingError(String(value))
      return found("uuid_parsing", `Input should be a valid UUID, ${error}`, { error })
    }
    case "effect/schema/isMinLength":
      return lengthError("short", Number(payload["minLength"]), value)
    case "effect/schema/isMaxLength":
      return lengthError("long", Number(payload["maxLength"]), value)
    case "effect/schema/isGreaterThanOrEqualTo":
      return bound("ge", payload["minimum"])
    case "effect/schema/isGreaterThan":
      return bound("gt", payload["exclusiveMinimum"] ?? payload["minimum"])
    case "effect/schema/isLessThanOrEqualTo":
      return bound("le", payload["maximum"])
    case "effect/schema/isLessThan":
      return bound("lt", payload["exclusiveMaximum"] ?? payload["maximum"])
    case "effect/schema/isBetween": {
      const below = payload["exclusiveMinimum"] === true
        ? toNumber(value) <= Number(payload["minimum"])
        : toNumber(value) < Number(payload["minimum"])
      return below
        ? bound(payload["exclusiveMinimum"] === true ? "gt" : "ge", payload["minimum"])
        : bound(payload["exclusiveMaximum"] === true ? "lt" : "le", payload["maximum"])
    }
    case "effect/schema/isInt":
      return found("int_from_float", "Input should be a valid integer, got a number with a fractional part")
    case "effect/schema/isFinite":
      return found("finite_number", "Input should be a finite number")
    case "effect/schema/isPattern":
      return found("string_pattern_mismatch", `String should match pattern '${payload["source"]}'`, {
        pattern: payload["source"]
      })
    case "effect/schema/isMultipleOf":
      return found("multiple_of", `Input should be a multiple of ${payload["divisor"]}`, {
        multiple_of: payload["divisor"]
      })
    default:
      return valueError(messageOf(issue.issue, annotations))
  }
}

const ownProperty = (value: unknown, key: PropertyKey): unknown =>
  typeof value === "object" && value !== null && Object.hasOwn(value, key)
    ? (value as Record<PropertyKey, unknown>)[key]
    : undefined

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((value, key) => ownProperty(value, key), input)

// JSON has no `undefined`: an absent input is FastAPI's `null`.
const shown = (value: unknown): unknown => value === undefined ? null : value

/**
 * FastAPI's 422 entries for a failed decoding of one request slot: one entry per failing field (its first failing
 * check, as pydantic reports), `loc` = `[slot, ...path]`, `input` = the request's value there, and `ctx` where pydantic
 * gives one. `input` is the slot's raw value: the route's params, the parsed query (`{name: string | string[]}`),
 * the headers, or the body's JSON (its text when it is not JSON; see {@link requestInput}).
 */
export const toValidationIssues = (
  issue: SchemaIssue.Issue,
  slot: ValidationSlot,
  input: unknown
): Array<ValidationIssue> => {
  const entries = new Map<string, ValidationIssue>()
  const add = (path: ReadonlyArray<PropertyKey>, error: Found, value: unknown) => {
    const loc = [slot, ...path.map((key) => typeof key === "number" ? key : String(key))]
    const key = JSON.stringify(loc)
    if (entries.has(key)) return
    entries.set(key, {
      type: error.type,
      loc,
      msg: error.msg,
      input: shown(value),
      ...(error.ctx === undefined ? {} : { ctx: error.ctx })
    })
  }
  // FastAPI: no body, or a JSON `null`, is a missing body
  const missingBody = (path: ReadonlyArray<PropertyKey>, value: unknown): boolean => {
    if (slot !== "body" || path.length > 0 || (value !== undefined && value !== null)) return false
    add([], found("missing", "Field required"), null)
    return true
  }

  const walk = (node: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    const value = valueAt(input, path)
    switch (node._tag) {
      case "Pointer":
        return walk(node.issue, [...path, ...node.path])
      case "Composite":
        return node.issues.forEach((inner) => walk(inner, path))
      case "Encoding":
        return walk(node.issue, path)
      case "AnyOf": {
        if (missingBody(path, value)) return
        const informative = node.issues.find((inner) => !(inner._tag === "InvalidType" && isNullish(inner.ast)))
        return informative === undefined ? add(path, typeError(node.ast, value), value) : walk(informative, path)
      }
      case "InvalidType":
        if (missingBody(path, value)) return
        return add(path, typeError(node.ast, value), value)
      case "Filter":
        // a check on an object can point at one of its fields
        return node.issue._tag === "InvalidValue" ? add(path, checkError(node, value), value) : walk(node.issue, path)
      case "MissingKey":
        return add(path, found("missing", "Field required"), slot === "body" ? valueAt(input, path.slice(0, -1)) : null)
      case "UnexpectedKey":
        return add(path, found("extra_forbidden", "Extra inputs are not permitted"), value)
      case "InvalidValue": {
        if (slot === "body" && path.length === 0 && node.annotations?.message === httpApiJsonBodyMessage) {
          const error = (typeof input === "string" ? pythonJsonError(input) : undefined) ??
            { position: 0, message: "Expecting value" }
          return add([error.position], found("json_invalid", "JSON decode error", { error: error.message }), {})
        }
        const own = pydanticErrorOf(node.annotations)
        return add(
          path,
          own === undefined ? valueError(messageOf(node)) : found(own.type, messageOf(node), own.context),
          value
        )
      }
      case "Forbidden":
      case "OneOf":
        return add(path, valueError(SchemaIssue.defaultLeafHook(node)), value)
    }
  }
  walk(issue, [])
  return [...entries.values()]
}

// ---------------------------------------------------------------------------------------------------------------
// A request's raw values

const slots = { Params: "path", Query: "query", Headers: "header", Payload: "body" } as const

/**
 * The slot of an `HttpApiSchemaError`, or `undefined` for the API's own encoding failures (`Body`,
 * `ResponseHeaders`), which are not the client's fault.
 */
export const validationSlotOf = (kind: HttpApiError.HttpApiSchemaError["kind"]): ValidationSlot | undefined =>
  kind in slots ? slots[kind as keyof typeof slots] : undefined

const parseJson = (text: string): { readonly value: unknown } | undefined => {
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return undefined
  }
}

/** A body's text as a validation input: its JSON, `undefined` when empty, the text itself when it is not JSON. */
export const bodyInput = (text: string): unknown => text === "" ? undefined : (parseJson(text) ?? { value: text }).value

/**
 * The raw value of a request slot, for {@link toValidationIssues}: the route's params, the parsed query, the
 * headers, or the body (see {@link bodyInput}). The body is read from the request's cached text: HttpApi has read it
 * already when its payload failed to decode, and a request reads its body once.
 */
export const requestInput = (
  request: HttpServerRequest.HttpServerRequest,
  slot: ValidationSlot
): Effect.Effect<unknown> => {
  switch (slot) {
    case "path":
      return Effect.map(
        Effect.serviceOption(HttpRouter.RouteContext),
        Option.match({ onNone: () => ({}), onSome: (route) => route.params })
      )
    case "query":
      return Effect.map(
        Effect.serviceOption(HttpServerRequest.ParsedSearchParams),
        Option.getOrElse(() =>
          Option.match(HttpServerRequest.toURL(request), {
            onNone: () => ({}),
            onSome: HttpServerRequest.searchParamsFromURL
          })
        )
      )
    case "header":
      return Effect.succeed(request.headers)
    case "body":
      return Effect.map(Effect.orElseSucceed(request.text, () => ""), bodyInput)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Every slot's issues at once, as FastAPI reports them

// HttpApi decodes in this order and stops at the first failing slot; FastAPI validates every slot and lists path,
// query, header, then body issues.
const httpApiOrder = ["Params", "Headers", "Query", "Payload"] as const
/**
 * The order in which a route lists its issues: FastAPI's path, query, header, body, unless the route annotates
 * another (a reference route whose query parameters come through a dependency lists those first: FastAPI validates a
 * route's dependencies before its own parameters).
 */
export const ValidationOrder = Context.Reference<ReadonlyArray<ValidationSlot>>(
  "@mission-control/core/http/ValidationOrder",
  { defaultValue: () => ["path", "query", "header", "body"] }
)
type SlotKind = typeof httpApiOrder[number]

const mediaType = (contentType: string): string => contentType.toLowerCase().split(";", 1)[0]!.trim()

// The slots' schemas need no services (HttpApi would not build an endpoint whose slots do).
const issueOf = (schema: Schema.Top, input: unknown, options: SchemaAST.ParseOptions) =>
  Schema.decodeUnknownEffect(schema as unknown as Schema.Codec<unknown>)(input, options).pipe(
    Effect.match({ onFailure: (error): SchemaIssue.Issue | undefined => error.issue, onSuccess: () => undefined })
  )

// The issue HttpApi would have reported for a slot it did not reach, decoded as `HttpApiBuilder` decodes it.
const slotIssue = (
  request: HttpServerRequest.HttpServerRequest,
  endpoint: HttpApiEndpoint.Top,
  kind: SlotKind,
  options: SchemaAST.ParseOptions
): Effect.Effect<SchemaIssue.Issue | undefined> => {
  const none = Effect.succeed(undefined)
  switch (kind) {
    case "Params":
      return endpoint.params === undefined
        ? none
        : Effect.flatMap(requestInput(request, "path"), (input) => issueOf(endpoint.params!, input, options))
    case "Headers":
      return endpoint.headers === undefined ? none : issueOf(endpoint.headers, request.headers, options)
    case "Query":
      return endpoint.query === undefined
        ? none
        : Effect.flatMap(
          requestInput(request, "query"),
          (input) => issueOf(Schema.toCodecArrayFromSingle(endpoint.query!), input, options)
        )
    case "Payload": {
      const entry = HttpMethod.hasBody(request.method)
        ? endpoint.payload.get(mediaType(request.headers["content-type"] ?? "application/json"))
        : undefined
      if (entry === undefined || entry.encoding._tag !== "Json") return none // 415, or not JSON: HttpApi's to answer
      const schemas = entry.schemas as ReadonlyArray<Schema.Top>
      const empty = schemas.some((schema) => SchemaAST.isNull(SchemaAST.toEncoded(schema.ast))) ? null : undefined
      return Effect.flatMap(Effect.orElseSucceed(request.text, () => ""), (text) => {
        if (text === "") return issueOf(Schema.Union(schemas), empty, options)
        const json = parseJson(text)
        return json === undefined
          ? Effect.succeed(new SchemaIssue.InvalidValue({ message: httpApiJsonBodyMessage }))
          : issueOf(Schema.Union(schemas), json.value, options)
      })
    }
  }
}

/**
 * FastAPI's whole 422 `detail` for a request HttpApi refused: the failing slot's issues, and those of the slots
 * HttpApi did not get to (it stops at the first failing one; FastAPI lists path, query, header and body issues
 * together). `undefined` for the API's own encoding failures (`Body`, `ResponseHeaders`). `options` are the parse
 * options of the slots not yet decoded (default: every error).
 */
export const requestValidationIssues = (
  request: HttpServerRequest.HttpServerRequest,
  error: HttpApiError.HttpApiSchemaError,
  endpoint: HttpApiEndpoint.Top,
  options: SchemaAST.ParseOptions = { errors: "all" }
): Effect.Effect<Array<ValidationIssue> | undefined> =>
  Effect.gen(function*() {
    const failed = validationSlotOf(error.kind)
    if (failed === undefined) return undefined
    const bySlot = new Map<ValidationSlot, Array<ValidationIssue>>()
    bySlot.set(failed, toValidationIssues(error.cause.issue, failed, yield* requestInput(request, failed)))
    for (const kind of httpApiOrder.slice(httpApiOrder.indexOf(error.kind as SlotKind) + 1)) {
      const issue = yield* slotIssue(request, endpoint, kind, options)
      if (issue === undefined) continue
      const slot = slots[kind]
      bySlot.set(slot, toValidationIssues(issue, slot, yield* requestInput(request, slot)))
    }
    // FastAPI parses the body before it validates anything: a body that is not JSON is answered alone.
    const body = bySlot.get("body") ?? []
    if (body.some((issue) => issue.type === "json_invalid")) return body
    return Context.get(endpoint.annotations, ValidationOrder).flatMap((slot) => bySlot.get(slot) ?? [])
  })
