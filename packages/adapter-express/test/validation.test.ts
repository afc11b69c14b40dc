// The 422 bodies of bad input, without HTTP: FastAPI's `{loc, msg, type}`, one entry per field, under the wire key.
import { assert, describe, it } from "@effect/vitest"
import { AgentCreate, AgentUpdate, GatewayCreate, Pagination } from "@mission-control/core"
import { Effect } from "effect"
import { decode } from "../src/http.js"

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
})
