import { assert, describe, it } from "@effect/vitest"
import { AgentCreate, AgentHeartbeatCreate, AgentId, AgentUpdate, BoardId, GatewayCreate } from "@mission-control/core"
import {
  canonicalUuid,
  pythonJsonError,
  toValidationIssues,
  uuidOf,
  uuidParsingError,
  ValidationIssue
} from "@mission-control/core/http"
import type { ValidationSlot } from "@mission-control/core/http"
import { Effect, Schema, SchemaIssue } from "effect"

// Expected entries are FastAPI 0.131's answers (pydantic 2.12, the reference's stack) to the same inputs on models
// declared as the reference declares them, except where a comment says the limit is ours. UUID details are the
// Rust `uuid` crate 1.18's texts, which the reference's pydantic-core 2.41 shows.

const parseOptions = { errors: "all", onExcessProperty: "ignore" } as const

/** The FastAPI entries for `input` decoded by `schema` in `slot`; fails the test if it decodes. */
const issuesOf = (schema: Schema.Top, input: unknown, slot: ValidationSlot = "body") =>
  Schema.decodeUnknownEffect(schema as unknown as Schema.Codec<unknown>, parseOptions)(input).pipe(
    Effect.flip,
    Effect.map((error) => toValidationIssues(error.issue, slot, input))
  )

const invalidCharacter = (character: string, at: number) =>
  `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${character}\` at ${at}`

const uuidParsing = (loc: ReadonlyArray<string | number>, input: string, error: string): ValidationIssue => ({
  type: "uuid_parsing",
  loc,
  msg: `Input should be a valid UUID, ${error}`,
  input,
  ctx: { error }
})

const missing = (loc: ReadonlyArray<string | number>, input: unknown): ValidationIssue => ({
  type: "missing",
  loc,
  msg: "Field required",
  input
})

const stringType = (loc: ReadonlyArray<string | number>, input: unknown): ValidationIssue => ({
  type: "string_type",
  loc,
  msg: "Input should be a valid string",
  input
})

describe("toValidationIssues on the wire bodies", () => {
  it.effect("AgentCreate: a blank name and a malformed board id, one entry each, in field order", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { name: "   ", board_id: "nope" }), [
        uuidParsing(["body", "board_id"], "nope", invalidCharacter("n", 1)),
        {
          type: "string_too_short",
          loc: ["body", "name"],
          msg: "String should have at least 1 character",
          input: "   ",
          ctx: { min_length: 1 }
        }
      ])
    }))

  it.effect("AgentCreate: a missing name gives the enclosing body as input", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, {}), [missing(["body", "name"], {})])
    }))

  it.effect("AgentCreate: a name of the wrong JSON type", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { name: 5 }), [stringType(["body", "name"], 5)])
    }))

  it.effect("AgentCreate: a 300-character name (our limit of 200, in pydantic's words)", () =>
    Effect.gen(function*() {
      const name = "x".repeat(300)
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { name }), [{
        type: "string_too_long",
        loc: ["body", "name"],
        msg: "String should have at most 200 characters",
        input: name,
        ctx: { max_length: 200 }
      }])
    }))

  it.effect("AgentCreate: wrong types in nullable fields report the non-null type, once", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* issuesOf(AgentCreate, { name: "a", board_id: 5, heartbeat_config: 5, identity_template: 7 }),
        [
          {
            type: "uuid_type",
            loc: ["body", "board_id"],
            msg: "UUID input should be a string, bytes or UUID object",
            input: 5
          },
          { type: "dict_type", loc: ["body", "heartbeat_config"], msg: "Input should be a valid dictionary", input: 5 },
          stringType(["body", "identity_template"], 7)
        ]
      )
    }))

  it.effect("AgentCreate: a NUL character is our own check, under its own type", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { name: "a\u0000b" }), [{
        type: "string_nul_character",
        loc: ["body", "name"],
        msg: "Input should not contain NUL characters",
        input: "a\u0000b"
      }])
    }))

  it.effect("a body that is not an object, and a missing body", () =>
    Effect.gen(function*() {
      const notAnObject = (input: unknown): ValidationIssue => ({
        type: "model_attributes_type",
        loc: ["body"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input
      })
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, [1, 2]), [notAnObject([1, 2])])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, "x"), [notAnObject("x")])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, 5), [notAnObject(5)])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, null), [missing(["body"], null)])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, undefined), [missing(["body"], null)])
      assert.deepStrictEqual(yield* issuesOf(Schema.UndefinedOr(AgentUpdate), null), [missing(["body"], null)])
    }))

  it.effect("AgentUpdate: booleans as pydantic's lax mode words it", () =>
    Effect.gen(function*() {
      const boolParsing = (input: unknown): ValidationIssue => ({
        type: "bool_parsing",
        loc: ["body", "is_gateway_main"],
        msg: "Input should be a valid boolean, unable to interpret input",
        input
      })
      assert.deepStrictEqual(yield* issuesOf(AgentUpdate, { is_gateway_main: "maybe" }), [boolParsing("maybe")])
      assert.deepStrictEqual(yield* issuesOf(AgentUpdate, { is_gateway_main: 5 }), [boolParsing(5)])
      assert.deepStrictEqual(yield* issuesOf(AgentUpdate, { is_gateway_main: 1.5, name: "" }), [
        { type: "bool_type", loc: ["body", "is_gateway_main"], msg: "Input should be a valid boolean", input: 1.5 },
        {
          type: "string_too_short",
          loc: ["body", "name"],
          msg: "String should have at least 1 character",
          input: "",
          ctx: { min_length: 1 }
        }
      ])
      assert.deepStrictEqual(yield* issuesOf(AgentUpdate, { is_gateway_main: [1] }), [
        { type: "bool_type", loc: ["body", "is_gateway_main"], msg: "Input should be a valid boolean", input: [1] }
      ])
    }))

  it.effect("GatewayCreate: wrong types and a missing field; our URL check is a value error", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(GatewayCreate, { name: 1, url: null }), [
        stringType(["body", "name"], 1),
        stringType(["body", "url"], null),
        missing(["body", "workspace_root"], { name: 1, url: null })
      ])
      assert.deepStrictEqual(yield* issuesOf(GatewayCreate, { name: "g", url: "http://x", workspace_root: "/w" }), [{
        type: "value_error",
        loc: ["body", "url"],
        msg: "Value error, Expected a ws:// or wss:// URL",
        input: "http://x",
        ctx: { error: {} } // FastAPI serialises the ValueError as {}
      }])
    }))

  it.effect("AgentHeartbeatCreate: a wrong status type and a missing name", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentHeartbeatCreate, { status: 5 }), [
        stringType(["body", "status"], 5),
        missing(["body", "name"], { status: 5 })
      ])
    }))

  it.effect("an extra key where a schema forbids extras", () =>
    Effect.gen(function*() {
      const strict = Schema.Struct({ name: Schema.String })
      const issues = yield* Schema.decodeUnknownEffect(strict, { errors: "all", onExcessProperty: "error" })({
        name: "a",
        extra: 1
      }).pipe(Effect.flip, Effect.map((error) => toValidationIssues(error.issue, "body", { name: "a", extra: 1 })))
      assert.deepStrictEqual(issues, [
        { type: "extra_forbidden", loc: ["body", "extra"], msg: "Extra inputs are not permitted", input: 1 }
      ])
    }))

  it.effect("a literal, an integer and a list field", () =>
    Effect.gen(function*() {
      const schema = Schema.Struct({
        kind: Schema.Literals(["a", "b"]),
        count: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
        tags: Schema.Array(Schema.String)
      })
      assert.deepStrictEqual(yield* issuesOf(schema, { kind: "c", count: 1.5, tags: "x" }), [
        {
          type: "literal_error",
          loc: ["body", "kind"],
          msg: "Input should be 'a' or 'b'",
          input: "c",
          ctx: { expected: "'a' or 'b'" }
        },
        {
          type: "int_from_float",
          loc: ["body", "count"],
          msg: "Input should be a valid integer, got a number with a fractional part",
          input: 1.5
        },
        { type: "list_type", loc: ["body", "tags"], msg: "Input should be a valid list", input: "x" }
      ])
      assert.deepStrictEqual(yield* issuesOf(schema, { kind: "a", count: 0, tags: ["x", 2] }), [
        {
          type: "greater_than_equal",
          loc: ["body", "count"],
          msg: "Input should be greater than or equal to 1",
          input: 0,
          ctx: { ge: 1 }
        },
        stringType(["body", "tags", 1], 2)
      ])
    }))

  it("an undecodable body: FastAPI's json_invalid at Python's position, with its error text", () => {
    const httpApiIssue = new SchemaIssue.InvalidValue({ message: "Expected a valid JSON body" })
    assert.deepStrictEqual(toValidationIssues(httpApiIssue, "body", "{\"name\": \"a\","), [{
      type: "json_invalid",
      loc: ["body", 13],
      msg: "JSON decode error",
      input: {},
      ctx: { error: "Expecting property name enclosed in double quotes" }
    }])
    assert.deepStrictEqual(toValidationIssues(httpApiIssue, "body", "not json"), [{
      type: "json_invalid",
      loc: ["body", 0],
      msg: "JSON decode error",
      input: {},
      ctx: { error: "Expecting value" }
    }])
  })
})

describe("CPython's json errors", () => {
  // [text, msg, pos] as CPython 3.12's json.loads raises them
  const cases: ReadonlyArray<readonly [string, string, number]> = [
    ["", "Expecting value", 0],
    ["   ", "Expecting value", 3],
    ["not json", "Expecting value", 0],
    ["{name: 1}", "Expecting property name enclosed in double quotes", 1],
    ["{\"a\" 1}", "Expecting ':' delimiter", 5],
    ["[1 2]", "Expecting ',' delimiter", 3],
    ["[1,]", "Expecting value", 3],
    ["{\"a\":1,}", "Expecting property name enclosed in double quotes", 7],
    ["{\"a\":1} x", "Extra data", 8],
    ["1.5.2", "Extra data", 3],
    ["\"abc", "Unterminated string starting at", 0],
    ["\"\\x\"", "Invalid \\escape", 1],
    ["\"\\u12\"", "Invalid \\uXXXX escape", 2],
    ["\"a\u0001\"", "Invalid control character at", 2],
    ["{\"a\": tru}", "Expecting value", 6],
    ["[[[", "Expecting value", 3],
    ["-", "Expecting value", 0],
    ["[\"😀\", x]", "Expecting value", 6], // code points, not UTF-16 units
    ["NaN", "Expecting value", 0] // Python accepts it; JSON.parse does not
  ]
  for (const [text, message, position] of cases) {
    it(`${JSON.stringify(text)}: ${message} at ${position}`, () => {
      assert.deepStrictEqual(pythonJsonError(text), { message, position })
    })
  }

  it("finds nothing in valid JSON, and survives deep nesting", () => {
    assert.isUndefined(pythonJsonError("{\"a\": [1, 2.5e-3, true, null, \"\\ud83d\\ude00\"]}"))
    assert.deepStrictEqual(pythonJsonError("[".repeat(200_000)), { message: "Expecting value", position: 200_000 })
  })
})

describe("UUIDs as pydantic parses them", () => {
  it("accepts the forms pydantic accepts and gives the canonical form", () => {
    const canonical = "6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10"
    for (
      const text of [
        canonical,
        canonical.toUpperCase(),
        "6F0C3A3E5B8E4A529D1C2D7F3C1F4B10",
        `{${canonical.toUpperCase()}}`,
        `urn:uuid:${canonical}`
      ]
    ) {
      assert.strictEqual(canonicalUuid(text), canonical, text)
    }
    for (const text of [`URN:UUID:${canonical}`, ` ${canonical}`, `${canonical} `, "", "nope"]) {
      assert.isUndefined(canonicalUuid(text), text)
    }
  })

  it("explains a refusal in the uuid crate's words", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["nope", invalidCharacter("n", 1)],
      ["garbage", invalidCharacter("g", 1)],
      ["", "invalid length: expected length 32 for simple format, found 0"],
      ["abcd", "invalid length: expected length 32 for simple format, found 4"],
      ["abcd-ef", "invalid group count: expected 5, found 2"],
      ["6f0c3a3e-5b8e4-a52-9d1c-2d7f3c1f4b10", "invalid group length in group 1: expected 4, found 5"],
      ["6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10aa", "invalid group length in group 4: expected 12, found 14"],
      ["{6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b1g}", invalidCharacter("g", 36)], // counted inside the braces
      ["urn:uuid:6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b1", "invalid group length in group 4: expected 12, found 20"],
      ["6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b1é", invalidCharacter("é", 36)],
      ["URN:UUID:6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10", invalidCharacter("U", 1)]
    ]
    for (const [text, error] of cases) assert.strictEqual(uuidParsingError(text), error, text)
  })

  it.effect("a path id that is not a UUID, through uuidOf(AgentId)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* issuesOf(Schema.Struct({ agent_id: uuidOf(AgentId) }), { agent_id: "not-a-uuid" }, "path"),
        [uuidParsing(["path", "agent_id"], "not-a-uuid", invalidCharacter("n", 1))]
      )
    }))

  it.effect("uuidOf(BoardId) decodes any pydantic form to the branded canonical id", () =>
    Effect.gen(function*() {
      const id: BoardId = yield* Schema.decodeUnknownEffect(uuidOf(BoardId))("6F0C3A3E5B8E4A529D1C2D7F3C1F4B10")
      assert.strictEqual(id, "6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10")
      assert.strictEqual(yield* Schema.encodeEffect(uuidOf(BoardId))(id), id)
    }))
})

describe("ValidationIssue", () => {
  it.effect("encodes in FastAPI's key order, ctx only when present", () =>
    Effect.gen(function*() {
      const encoded = yield* Schema.encodeEffect(Schema.toCodecJson(ValidationIssue))({
        type: "missing",
        loc: ["body", "name"],
        msg: "Field required",
        input: {}
      })
      assert.strictEqual(
        JSON.stringify(encoded),
        "{\"type\":\"missing\",\"loc\":[\"body\",\"name\"],\"msg\":\"Field required\",\"input\":{}}"
      )
    }))
})
