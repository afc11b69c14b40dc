// The 422 bodies of bad input, without HTTP: FastAPI's `{loc, msg, type}`, one entry per field, under the wire key.
import { assert, describe, it } from "@effect/vitest"
import { AgentCreate, AgentHeartbeatCreate, AgentUpdate, GatewayCreate, Pagination } from "@mission-control/core"
import { Effect, Schema } from "effect"
import { decode, isJsonContentType, toValidationIssues } from "../src/http.js"

const issuesOf = (schema: Parameters<typeof decode>[0], input: unknown, source: "body" | "query" = "body") =>
  decode(schema, input, source).pipe(
    Effect.flip,
    Effect.map((error) => error.issues.map(({ loc, type }) => `${loc.join(".")} ${type}`))
  )

describe("422 details", () => {
  it.effect("one entry per bad field, at its wire key", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { board_id: 42, name: ["x"], heartbeat_config: "x" }), [
        "body.board_id string_type",
        "body.name string_type",
        "body.heartbeat_config dict_type"
      ])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, { board_id: "nope", name: "   " }), [
        "body.board_id uuid_parsing",
        "body.name string_too_short"
      ])
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, {}), ["body.name missing"])
      assert.deepStrictEqual(yield* issuesOf(AgentUpdate, { name: null, is_gateway_main: "yes" }), [
        "body.is_gateway_main bool_parsing",
        "body.name string_type"
      ])
      assert.deepStrictEqual(yield* issuesOf(GatewayCreate, { name: "x", url: "http://a", workspace_root: " " }), [
        "body.url value_error",
        "body.workspace_root string_too_short"
      ])
    }))

  it.effect("a body that is not an object", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(AgentCreate, [1, 2]), ["body model_attributes_type"])
    }))

  it.effect("pagination: unparsable, below and above its bounds", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* issuesOf(Pagination, { limit: "abc", offset: "-1" }, "query"), [
        "query.limit int_parsing",
        "query.offset greater_than_equal"
      ])
      assert.deepStrictEqual(yield* issuesOf(Pagination, { limit: "0" }, "query"), ["query.limit greater_than_equal"])
      assert.deepStrictEqual(yield* issuesOf(Pagination, { limit: "500" }, "query"), ["query.limit less_than_equal"])
    }))

  it.effect("messages as pydantic words them; our own checks keep theirs", () =>
    Effect.gen(function*() {
      const error = yield* decode(GatewayCreate, { url: "http://a" }, "body").pipe(Effect.flip)
      assert.deepStrictEqual(error.issues, [
        { loc: ["body", "name"], msg: "Field required", type: "missing" },
        { loc: ["body", "url"], msg: "Expected a ws:// or wss:// URL", type: "value_error" },
        { loc: ["body", "workspace_root"], msg: "Field required", type: "missing" }
      ])
    }))

  it.effect("valid input decodes to the domain's names", () =>
    Effect.gen(function*() {
      const body = yield* decode(AgentCreate, { name: " Scout ", board_id: null, extra: 1 }, "body")
      assert.strictEqual(body.name, "Scout")
      assert.isNull(body.boardId)
      assert.deepStrictEqual(yield* decode(Pagination, {}, "query"), { limit: 200, offset: 0 })
    }))

  it.effect("too long: pydantic's string_too_long with the limit", () =>
    Effect.gen(function*() {
      const error = yield* decode(AgentCreate, { name: "x".repeat(3000), status: "y".repeat(101) }, "body").pipe(
        Effect.flip
      )
      assert.deepStrictEqual(error.issues, [
        { loc: ["body", "name"], msg: "String should have at most 200 characters", type: "string_too_long" },
        { loc: ["body", "status"], msg: "String should have at most 100 characters", type: "string_too_long" }
      ])
      const one = Schema.Struct({ code: Schema.String.check(Schema.isMaxLength(1)) })
      assert.deepStrictEqual((yield* decode(one, { code: "ab" }, "body").pipe(Effect.flip)).issues, [
        { loc: ["body", "code"], msg: "String should have at most 1 character", type: "string_too_long" }
      ])
    }))

  it.effect("checks that name their errorType answer it, with their own message", () =>
    Effect.gen(function*() {
      const error = yield* decode(AgentHeartbeatCreate, { name: "a\u0000b", status: "\u0000" }, "body").pipe(
        Effect.flip
      )
      assert.deepStrictEqual(error.issues, [
        { loc: ["body", "status"], msg: "Input should not contain NUL characters", type: "string_nul_character" },
        { loc: ["body", "name"], msg: "Input should not contain NUL characters", type: "string_nul_character" }
      ])
      let deep: unknown = {}
      for (let depth = 0; depth < 20; depth++) deep = { a: deep }
      const json = yield* decode(AgentCreate, { name: "x", heartbeat_config: deep }, "body").pipe(Effect.flip)
      assert.deepStrictEqual(json.issues, [
        { loc: ["body", "heartbeat_config"], msg: "JSON should be nested at most 16 levels deep", type: "json_limits" }
      ])
      const custom = Schema.Struct({
        code: Schema.String.check(
          Schema.makeFilter((text: string) => text === "ok" || "Not ok", { errorType: "not_ok" })
        )
      })
      assert.deepStrictEqual((yield* decode(custom, { code: "ko" }, "body").pipe(Effect.flip)).issues, [
        { loc: ["body", "code"], msg: "Not ok", type: "not_ok" }
      ])
    }))

  it.effect("an input that is huge or nested 100,000 deep is never printed into the answer", () =>
    Effect.gen(function*() {
      let deep: unknown = 1
      for (let depth = 0; depth < 100_000; depth++) deep = [deep]
      const huge = "x".repeat(2_000_000)
      // Every kind of leaf: wrong types, a failed union, a failed check, a wrong literal.
      const schema = Schema.Struct({
        text: Schema.String,
        either: Schema.Union([Schema.Number, Schema.Boolean]),
        literal: Schema.Literal("a"),
        nullable: Schema.NullOr(Schema.Number),
        checked: Schema.String.check(Schema.isMaxLength(3)),
        // Both members match: a `OneOf` issue, which Effect's default message prints the input into.
        oneOf: Schema.Union([Schema.Unknown, Schema.Unknown], { mode: "oneOf" })
      })
      for (const input of [deep, huge]) {
        const error = yield* decode(schema, {
          text: input,
          either: input,
          literal: input,
          nullable: input,
          checked: huge,
          oneOf: input
        }, "body")
          .pipe(Effect.flip)
        assert.strictEqual(error.issues.length, input === huge ? 5 : 6)
        assert.isBelow(JSON.stringify(error.issues).length, 1000)
      }
      // A raw issue with the input attached (as `reportInput` leaves it) formats the same.
      const failed = Schema.decodeUnknownExit(Schema.String)(deep)
      assert.isTrue(failed._tag === "Failure")
      const issue = failed._tag === "Failure"
        ? (failed.cause.reasons[0] as { error: Schema.SchemaError }).error.issue
        : undefined
      assert.deepStrictEqual(toValidationIssues(issue!, "body"), [
        { loc: ["body"], msg: "Input should be a valid string", type: "string_type" }
      ])
    }))

  it("JSON content types: application/json and application/*+json, with parameters", () => {
    for (
      const type of [
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/vnd.api+json",
        "application/merge-patch+json ; q=1"
      ]
    ) {
      assert.isTrue(isJsonContentType(type), type)
    }
    for (
      const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/json",
        "application/jsonx",
        "application/+json",
        "json"
      ]
    ) {
      assert.isFalse(isJsonContentType(type), type)
    }
  })
})
