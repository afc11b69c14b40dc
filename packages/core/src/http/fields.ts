import { Effect, Schema, SchemaIssue, SchemaTransformation } from "effect"
import type { SchemaAST } from "effect"

// Path and query parameters parsed as FastAPI/pydantic v2 parse them (lax mode, strings in), with pydantic's errors
// (pydantic-core 2.41, the reference's). Each is a string on the wire (OpenAPI: `type: string`) and its parsed value
// in the handler.

// A codec or check names its pydantic error with the annotations `errorType` (and `errorContext` for the `ctx`);
// `toValidationIssues` reports them as given. The domain's own checks (limits.ts) use `errorType` too.

/** An issue that names its pydantic error exactly: `type`, `msg` and `ctx` as the converter will report them. */
export const pydanticIssue = (
  type: string,
  msg: string,
  ctx?: Readonly<Record<string, unknown>>,
  input?: unknown,
  options?: SchemaAST.ParseOptions
): SchemaIssue.InvalidValue =>
  new SchemaIssue.InvalidValue(
    ctx === undefined ? { message: msg, errorType: type } : { message: msg, errorType: type, errorContext: ctx },
    input,
    options
  )

/** The pydantic error a check or an issue names for itself (see {@link pydanticIssue}), if it names one. */
export const pydanticErrorOf = (
  annotations: { readonly [key: string]: unknown } | undefined
): { readonly type: string; readonly context: Readonly<Record<string, unknown>> | undefined } | undefined => {
  const type = annotations?.["errorType"]
  if (typeof type !== "string") return undefined
  const context = annotations?.["errorContext"]
  return {
    type,
    context: typeof context === "object" && context !== null ? context as Readonly<Record<string, unknown>> : undefined
  }
}

// UUIDs as pydantic parses them

const hyphenatedUuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const simpleUuid = /^[0-9a-fA-F]{32}$/

/**
 * The canonical form (lower-case, hyphenated) of a UUID in any form pydantic accepts: hyphenated, 32 hex digits,
 * `{hyphenated}`, `urn:uuid:hyphenated`, hex digits in either case; `undefined` for anything else.
 */
export const canonicalUuid = (text: string): string | undefined => {
  if (simpleUuid.test(text)) {
    const hex = text.toLowerCase()
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
  const hyphenated = text.length === 38 && text.startsWith("{") && text.endsWith("}")
    ? text.slice(1, 37)
    : text.length === 45 && text.startsWith("urn:uuid:")
    ? text.slice(9)
    : text
  return hyphenatedUuid.test(hyphenated) ? hyphenated.toLowerCase() : undefined
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).length

/** Why a text is not a UUID, in the words of the Rust `uuid` crate 1.18 (`InvalidUuid::into_err`). */
const uuidErrorOf = (text: string, prefixes: boolean): string => {
  const [body, offset, simple] = prefixes && text.length >= 2 && text.startsWith("{") && text.endsWith("}")
    ? [text.slice(1, -1), 1, false] as const
    : prefixes && text.startsWith("urn:uuid:")
    ? [text.slice(9), 9, false] as const
    : [text, 0, prefixes] as const
  let hyphens = 0
  const groupEnds: Array<number> = []
  let byteIndex = 0
  for (const character of body) {
    if (character === "-") {
      if (hyphens < 4) groupEnds.push(byteIndex)
      hyphens++
    } else if (!/^[0-9a-fA-F]$/.test(character)) {
      return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${character}\` at ${
        byteIndex + offset + 1
      }`
    }
    byteIndex += utf8Length(character)
  }
  if (hyphens === 0 && simple) return `invalid length: expected length 32 for simple format, found ${text.length}`
  if (hyphens !== 4) return `invalid group count: expected 5, found ${hyphens + 1}`
  const groupStarts = [0, 9, 14, 19, 24] as const
  const expected = [8, 4, 4, 4, 12] as const
  for (let group = 0; group < 4; group++) {
    if (groupEnds[group] !== groupStarts[group + 1]! - 1) {
      return `invalid group length in group ${group}: expected ${expected[group]}, found ${
        groupEnds[group]! - groupStarts[group]!
      }`
    }
  }
  return `invalid group length in group 4: expected 12, found ${utf8Length(text) - groupStarts[4]}`
}

// The crate explains the slice its parser refused: for a braced or URN input of the right byte length, the UUID
// inside it, so positions then count from inside the braces or after `urn:uuid:`.
const refusedSlice = (text: string): string => {
  const bytes = utf8Length(text)
  if (bytes === 38 && text.startsWith("{") && text.endsWith("}")) return text.slice(1, -1)
  if (bytes === 45 && text.startsWith("urn:uuid:")) return text.slice(9)
  return text
}

/**
 * Pydantic's detail for a text that is not a UUID (`uuid_parsing`'s `ctx.error`). A text pydantic would accept but
 * a schema refused (one that demands the hyphenated form) is explained as if only that form were allowed.
 */
export const uuidParsingError = (text: string): string =>
  canonicalUuid(text) === undefined ? uuidErrorOf(refusedSlice(text), true) : uuidErrorOf(text, false)

/** The `uuid_parsing` issue of a text that is not a UUID. */
export const uuidParsingIssue = (text: string, options?: SchemaAST.ParseOptions): SchemaIssue.InvalidValue => {
  const error = uuidParsingError(text)
  return pydanticIssue("uuid_parsing", `Input should be a valid UUID, ${error}`, { error }, text, options)
}

// Booleans and integers as pydantic parses them from strings

const words = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
const trueWords = new Set(["1", "t", "y", "on", "yes", "true"])
const falseWords = new Set(["0", "f", "n", "no", "off", "false"])

/** A boolean as pydantic reads one from a string: `true/false`, `1/0`, `yes/no`, `on/off`, `t/f`, `y/n`, any case. */
export const parseBoolean = (text: string): boolean | undefined => {
  const word = words(text) // ASCII case only, as pydantic
  return trueWords.has(word) ? true : falseWords.has(word) ? false : undefined
}

// Rust's `str::trim`: Unicode White_Space
const unicodeSpace = /^\p{White_Space}+|\p{White_Space}+$/gu
const jsonInteger = /^-?(?:0|[1-9][0-9]*)$/

const withoutUnderscores = (text: string): string | undefined =>
  text.startsWith("_") || text.endsWith("_") || !text.includes("_") || text.includes("__")
    ? undefined
    : text.replaceAll("_", "")

// pydantic-core's `strip_leading_zeros`: keeps one zero (`000` → `0`, `00.0` → `0.0`); underscores among the zeros go
const withoutLeadingZeros = (text: string): string | undefined => {
  const first = text[0]
  if (first !== "0") return first !== undefined && ((first >= "1" && first <= "9") || first === "-") ? text : undefined
  for (let index = 1; index < text.length; index++) {
    const character = text[index]!
    if (character === "0" || character === "_") continue
    if ((character >= "1" && character <= "9") || character === "-") return text.slice(index)
    if (character === ".") return text.slice(index - 1)
    return undefined
  }
  return text.slice(-1)
}

// pydantic-core's `clean_int_str`: trims, drops a `+`, leading zeros, a `.0…` fraction and underscores between digits
const cleanIntText = (raw: string): string | undefined => {
  let text = raw.replace(unicodeSpace, "")
  if (text.startsWith("+")) {
    if (text.startsWith("+-")) return undefined
    text = text.slice(1)
  }
  const negative = text.startsWith("-")
  if (negative) {
    if (text.startsWith("--") || text.startsWith("-+")) return undefined
    text = text.slice(1)
  }
  const digits = withoutLeadingZeros(text)
  if (digits === undefined) return undefined
  text = digits
  const dot = text.indexOf(".")
  if (dot >= 0 && /^0+$/.test(text.slice(dot + 1))) text = text.slice(0, dot)
  const sign = negative ? "-" : ""
  const stripped = withoutUnderscores(text)
  if (stripped !== undefined) return sign + stripped
  return text.length === raw.length ? undefined : sign + text
}

const maxIntDigits = 4300 // CPython's int/str conversion limit, which pydantic-core enforces

/**
 * An integer as pydantic reads one from a string: `"5"`, `" 5 "`, `"+5"`, `"05"`, `"1_000"`, `"5.0"`; not `"1.5"`,
 * `"1e3"`, `""`. `undefined` when it is none; `"too large"` past Python's 4,300 digits.
 */
export const parseInteger = (text: string): number | "too large" | undefined => {
  const digits = jsonInteger.test(text) ? text : cleanIntText(text)
  if (digits === undefined || !jsonInteger.test(digits)) return undefined
  if (digits.replace("-", "").length > maxIntDigits) return "too large"
  const value = Number(digits)
  return value === 0 ? 0 : value // no -0
}

// The codecs

/** A boolean query parameter (`bool_parsing` otherwise). */
export const BooleanFromQuery = Schema.String.pipe(Schema.decodeTo(
  Schema.Boolean,
  SchemaTransformation.transformEffect({
    decode: (text, options) => {
      const value = parseBoolean(text)
      return value === undefined
        ? Effect.fail(
          pydanticIssue(
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
            undefined,
            text,
            options
          )
        )
        : Effect.succeed(value)
    },
    encode: (value) => Effect.succeed(String(value))
  })
))

/** An optional boolean query parameter, `defaultValue` when absent. */
export const QueryBoolean = (defaultValue: boolean) =>
  BooleanFromQuery.pipe(Schema.withDecodingDefaultType(Effect.succeed(defaultValue)))

const intParsing = "Input should be a valid integer, unable to parse string as an integer"
const intParsingSize = "Unable to parse input string as an integer, exceeded maximum size"

/** An integer query parameter, unbounded (`int_parsing` for a text that is not one; see {@link QueryInt}). */
export const IntegerFromQuery = Schema.String.pipe(Schema.decodeTo(
  Schema.Number,
  SchemaTransformation.transformEffect({
    decode: (text, options) => {
      const value = parseInteger(text)
      return value === undefined
        ? Effect.fail(pydanticIssue("int_parsing", intParsing, undefined, text, options))
        : value === "too large"
        ? Effect.fail(pydanticIssue("int_parsing_size", intParsingSize, undefined, text, options))
        : Effect.succeed(value)
    },
    encode: (value) => Effect.succeed(String(value))
  })
))

// Past 2^53 a JavaScript number is no longer an exact integer: such a value is refused as pydantic refuses one past
// its size limit (pydantic itself would accept it). After the bounds, so an out-of-range value reports its bound.
const isExactInteger = Schema.isInt({ errorType: "int_parsing_size", message: intParsingSize })

/** Bounds and default of {@link QueryInt}. */
export interface QueryIntOptions {
  /** `greater_than_equal` below it. */
  readonly minimum?: number | undefined
  /** `less_than_equal` above it. */
  readonly maximum?: number | undefined
  /** Makes the parameter optional, this value when absent. */
  readonly default?: number | undefined
}

const boundedInteger = (options: QueryIntOptions) => {
  const atLeast = options.minimum === undefined
    ? IntegerFromQuery
    : IntegerFromQuery.check(Schema.isGreaterThanOrEqualTo(options.minimum))
  const atMost = options.maximum === undefined ? atLeast : atLeast.check(Schema.isLessThanOrEqualTo(options.maximum))
  return atMost.check(isExactInteger)
}

/** A bounded integer query parameter, required unless it has a `default` (wrap it in `Schema.optional` otherwise). */
export function QueryInt(
  options: QueryIntOptions & { readonly default: number }
): Schema.withDecodingDefaultType<typeof IntegerFromQuery>
export function QueryInt(options?: QueryIntOptions): typeof IntegerFromQuery
export function QueryInt(options: QueryIntOptions = {}) {
  const schema = boundedInteger(options)
  const defaultValue = options.default
  return defaultValue === undefined ? schema : schema.pipe(Schema.withDecodingDefaultType(Effect.succeed(defaultValue)))
}

/**
 * A UUID in any form pydantic accepts (hyphenated, 32 hex digits, braced, `urn:uuid:`, either case), decoded to
 * the canonical lower-case hyphenated form; `uuid_parsing` with the `uuid` crate's reason otherwise.
 */
export const Uuid = Schema.String.annotate({ format: "uuid" }).pipe(Schema.decodeTo(
  Schema.String.check(Schema.isGUID()),
  SchemaTransformation.transformEffect({
    decode: (text, options) => {
      const canonical = canonicalUuid(text)
      return canonical === undefined ? Effect.fail(uuidParsingIssue(text, options)) : Effect.succeed(canonical)
    },
    encode: (id) => Effect.succeed(id)
  })
))

/** {@link Uuid} decoded on to a branded id: `uuidOf(AgentId)` reads any pydantic form and gives an `AgentId`. */
export const uuidOf = <Id extends Schema.Codec<string, string>>(id: Id) => Uuid.pipe(Schema.decodeTo(id))
