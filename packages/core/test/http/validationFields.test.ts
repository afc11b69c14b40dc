import { assert, describe, it } from "@effect/vitest"
import { BoardId } from "@mission-control/core"
import {
  parseBoolean,
  parseInteger,
  QueryBoolean,
  QueryInt,
  toValidationIssues,
  uuidOf
} from "@mission-control/core/http"
import type { ValidationIssue } from "@mission-control/core/http"
import { Effect, Schema } from "effect"

// The query codecs against FastAPI 0.131 + pydantic 2.12: each expected entry is what the reference answers for the
// same query (`limit`/`offset` as its pagination declares them, `rotate_tokens` and `board_id` as its routes do).

const ListQuery = Schema.Struct({
  limit: QueryInt({ minimum: 1, maximum: 200, default: 200 }),
  offset: QueryInt({ minimum: 0, default: 0 }),
  board_id: Schema.optional(uuidOf(BoardId)),
  rotate_tokens: QueryBoolean(false)
})

const decode = Schema.decodeUnknownEffect(ListQuery, { errors: "all", onExcessProperty: "ignore" })
const issuesOf = (query: Readonly<Record<string, string>>) =>
  Effect.map(Effect.flip(decode(query)), (error) => toValidationIssues(error.issue, "query", query))

const intParsing = (name: string, input: string): ValidationIssue => ({
  type: "int_parsing",
  loc: ["query", name],
  msg: "Input should be a valid integer, unable to parse string as an integer",
  input
})

describe("query fields", () => {
  it.effect("defaults when absent", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decode({}), { limit: 200, offset: 0, rotate_tokens: false })
    }))

  it.effect("values as pydantic reads them", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* decode({
          limit: " 7 ",
          offset: "1_0",
          board_id: "{6F0C3A3E-5B8E-4A52-9D1C-2D7F3C1F4B10}",
          rotate_tokens: "YES"
        }),
        { limit: 7, offset: 10, board_id: BoardId.make("6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10"), rotate_tokens: true }
      )
      assert.deepStrictEqual((yield* decode({ limit: "5.0", offset: "+0" })).limit, 5)
    }))

  it.effect("limit=abc, limit=1.5, limit= (not integers)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf({ limit: "abc" }), [intParsing("limit", "abc")])
      assert.deepStrictEqual(yield* issuesOf({ limit: "1.5" }), [intParsing("limit", "1.5")])
      assert.deepStrictEqual(yield* issuesOf({ limit: "" }), [intParsing("limit", "")])
    }))

  it.effect("limit=0 and limit=1000: the bound, with its ctx and the raw input", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf({ limit: "0" }), [{
        type: "greater_than_equal",
        loc: ["query", "limit"],
        msg: "Input should be greater than or equal to 1",
        input: "0",
        ctx: { ge: 1 }
      }])
      assert.deepStrictEqual(yield* issuesOf({ limit: "1000" }), [{
        type: "less_than_equal",
        loc: ["query", "limit"],
        msg: "Input should be less than or equal to 200",
        input: "1000",
        ctx: { le: 200 }
      }])
      // past 2^53 the bound still reports first
      assert.strictEqual((yield* issuesOf({ limit: "99999999999999999999" }))[0]?.type, "less_than_equal")
    }))

  it.effect("offset=-1 and limit=1.5 together: one entry per field, in declaration order", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf({ offset: "-1", limit: "1.5" }), [
        intParsing("limit", "1.5"),
        {
          type: "greater_than_equal",
          loc: ["query", "offset"],
          msg: "Input should be greater than or equal to 0",
          input: "-1",
          ctx: { ge: 0 }
        }
      ])
    }))

  it.effect("an offset past JavaScript's exact integers is refused (our limit, pydantic's size error)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf({ offset: "99999999999999999999" }), [{
        type: "int_parsing_size",
        loc: ["query", "offset"],
        msg: "Unable to parse input string as an integer, exceeded maximum size",
        input: "99999999999999999999"
      }])
    }))

  it.effect("rotate_tokens=maybe", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf({ rotate_tokens: "maybe" }), [{
        type: "bool_parsing",
        loc: ["query", "rotate_tokens"],
        msg: "Input should be a valid boolean, unable to interpret input",
        input: "maybe"
      }])
    }))

  it.effect("board_id=garbage and board_id= (empty)", () =>
    Effect.gen(function*() {
      const uuidParsing = (input: string, error: string): ValidationIssue => ({
        type: "uuid_parsing",
        loc: ["query", "board_id"],
        msg: `Input should be a valid UUID, ${error}`,
        input,
        ctx: { error }
      })
      assert.deepStrictEqual(yield* issuesOf({ board_id: "garbage" }), [
        uuidParsing(
          "garbage",
          "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `g` at 1"
        )
      ])
      assert.deepStrictEqual(yield* issuesOf({ board_id: "" }), [
        uuidParsing("", "invalid length: expected length 32 for simple format, found 0")
      ])
    }))

  it.effect("a required integer without a default is missing with input null", () =>
    Effect.gen(function*() {
      const required = Schema.Struct({ x: QueryInt() })
      const issues = yield* Schema.decodeUnknownEffect(required)({}).pipe(
        Effect.flip,
        Effect.map((error) => toValidationIssues(error.issue, "query", {}))
      )
      assert.deepStrictEqual(issues, [{ type: "missing", loc: ["query", "x"], msg: "Field required", input: null }])
    }))

  it.effect("the typed client's side: values encode to query strings", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* Schema.encodeEffect(ListQuery)({ limit: 5, offset: 0, rotate_tokens: true }),
        { limit: "5", offset: "0", rotate_tokens: "true" }
      )
    }))
})

describe("pydantic's scalar parsing", () => {
  it("booleans: its words in any ASCII case, nothing else", () => {
    for (const text of ["true", "TRUE", "tRuE", "1", "yes", "Y", "on", "t"]) assert.isTrue(parseBoolean(text), text)
    for (const text of ["false", "False", "0", "no", "N", "off", "OFF", "f"]) assert.isFalse(parseBoolean(text), text)
    for (const text of ["", " true", "true ", "2", "01", "maybe", "İ"]) assert.isUndefined(parseBoolean(text), text)
  })

  it("integers: pydantic-core's str_as_int", () => {
    const accepted: ReadonlyArray<readonly [string, number]> = [
      ["1", 1],
      [" 1", 1],
      ["\t1\n", 1],
      ["1\u00a0", 1],
      ["+1", 1],
      ["-1", -1],
      ["-0", 0],
      ["01", 1],
      ["007", 7],
      ["1_000", 1000],
      ["1.0", 1],
      ["1.00", 1],
      ["1_0.0", 10],
      ["00", 0],
      ["0_0", 0],
      ["-0.0", 0]
    ]
    for (const [text, value] of accepted) assert.strictEqual(parseInteger(text), value, text)
    const refused = ["", " ", "abc", "+-1", "--1", "1__0", "_1", "1_", "1.", ".0", "1.5", "1e1", "0x10", "1 000", "١٢"]
    for (const text of refused) assert.isUndefined(parseInteger(text), text)
    assert.strictEqual(parseInteger("9".repeat(4301)), "too large")
  })
})
