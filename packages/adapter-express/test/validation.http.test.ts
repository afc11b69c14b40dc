// Bad input over the wire: the whole 422 bodies, field by field, as FastAPI 0.131 / pydantic 2.12 (the reference's
// stack) answer the same requests on the reference's routes (UUID texts: the Rust uuid crate's, as pydantic-core shows
// them). Our body adds `request_id`. The typed client checks its own input, so these requests are sent raw; the
// answers that are not about bad input (404s, the accepted `since`, a 422 with a text) go through the typed client.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { ValidationIssue } from "@mission-control/core/http"
import { NotFoundResponse, UnprocessableResponse } from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Effect, Option, Stream } from "effect"
import express from "express"
import { failureOf, run, startApi } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api
/** An agent of the seeded board (the lead: it may call every agent route), and its token. */
let agentId = ""
let agentToken = ""

beforeAll(async () => {
  api = await startApi(express as never)
  const lead = await api.runtime.runPromise(Fixtures.agent({
    gatewayId: api.world.gateway.id,
    boardId: api.world.board.id,
    isBoardLead: true,
    name: "Validated Lead"
  }))
  agentId = lead.agent.id
  agentToken = lead.token
}, 120_000)
afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

type Sent = Pick<NonNullable<Parameters<Api["call"]>[2]>, "body" | "raw">
type Caller = "owner" | "agent"

/**
 * The `detail` of a raw request's 422, after checking the rest of the body: exactly `{detail, request_id}` (the
 * request id the response's header carries), each entry's keys in pydantic's order (`type`, `loc`, `msg`, `input`,
 * then `ctx` when there is one).
 */
const detailOf = async (
  method: string,
  path: string,
  sent: Sent = {},
  caller: Caller = "owner"
): Promise<ReadonlyArray<ValidationIssue>> => {
  const response = await api.call(method, path, {
    ...sent,
    ...(caller === "owner" ? { user: api.world.owner } : { agentToken })
  })
  const text = JSON.stringify(response.body)
  assert.strictEqual(response.status, 422, text)
  assert.deepStrictEqual(Object.keys(response.body), ["detail", "request_id"], text)
  assert.strictEqual(response.body.request_id, response.headers.get("x-request-id"))
  const detail: ReadonlyArray<ValidationIssue> = response.body.detail
  for (const entry of detail) {
    assert.deepStrictEqual(Object.keys(entry), ["type", "loc", "msg", "input", ...("ctx" in entry ? ["ctx"] : [])])
  }
  return detail
}

type Loc = ReadonlyArray<string | number>

const issue = (
  type: string,
  loc: Loc,
  msg: string,
  input: unknown,
  ctx?: Readonly<Record<string, unknown>>
): ValidationIssue => ctx === undefined ? { type, loc, msg, input } : { type, loc, msg, input, ctx }

const missing = (loc: Loc, input: unknown) => issue("missing", loc, "Field required", input)
const stringType = (loc: Loc, input: unknown) => issue("string_type", loc, "Input should be a valid string", input)
const tooShort = (loc: Loc, input: string) =>
  issue("string_too_short", loc, "String should have at least 1 character", input, { min_length: 1 })
const tooLong = (loc: Loc, input: string, maxLength: number) =>
  issue("string_too_long", loc, `String should have at most ${maxLength} characters`, input, {
    max_length: maxLength
  })
const intParsing = (loc: Loc, input: string) =>
  issue("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer", input)
const atLeast = (loc: Loc, input: string, ge: number) =>
  issue("greater_than_equal", loc, `Input should be greater than or equal to ${ge}`, input, { ge })
const atMost = (loc: Loc, input: string, le: number) =>
  issue("less_than_equal", loc, `Input should be less than or equal to ${le}`, input, { le })
const boolParsing = (loc: Loc, input: unknown) =>
  issue("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", input)
const notAnObject = (input: unknown) =>
  issue("model_attributes_type", ["body"], "Input should be a valid dictionary or object to extract fields from", input)
const jsonInvalid = (position: number, error: string) =>
  issue("json_invalid", ["body", position], "JSON decode error", {}, { error })

const invalidCharacter = (character: string, at: number) =>
  `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${character}\` at ${at}`
const uuidParsing = (loc: Loc, input: string, error: string) =>
  issue("uuid_parsing", loc, `Input should be a valid UUID, ${error}`, input, { error })
/** The entry of `garbage` as an id in a query. */
const garbageId = (name: string) => uuidParsing(["query", name], "garbage", invalidCharacter("g", 1))
/** The entry of `not-a-uuid` as the gateway id of a path. */
const malformedGatewayId = uuidParsing(["path", "gateway_id"], "not-a-uuid", invalidCharacter("n", 1))

const syncPath = (gateway: string) => `/gateways/${gateway}/templates/sync`

describe("FastAPI's 422 bodies over HTTP, field by field", () => {
  it("missing: a required field (input: the object it is missing from), and a body left out (input: null)", async () => {
    assert.deepStrictEqual(await detailOf("POST", "/agents", { body: {} }), [missing(["body", "name"], {})])
    const gateway = { url: "ws://gateway.test" }
    assert.deepStrictEqual(await detailOf("POST", "/gateways", { body: gateway }), [
      missing(["body", "name"], gateway),
      missing(["body", "workspace_root"], gateway)
    ])
    assert.deepStrictEqual(await detailOf("POST", "/agent/heartbeat", { body: {} }, "agent"), [
      missing(["body", "name"], {})
    ])
    assert.deepStrictEqual(await detailOf("POST", "/agents"), [missing(["body"], null)])
    assert.deepStrictEqual(await detailOf("POST", "/agents", { raw: "null" }), [missing(["body"], null)])
  })

  it("json_invalid: at CPython's position, with its error text, input {}", async () => {
    assert.deepStrictEqual(await detailOf("POST", "/agents", { raw: "{\"name\": \"a\"," }), [
      jsonInvalid(13, "Expecting property name enclosed in double quotes")
    ])
    assert.deepStrictEqual(await detailOf("POST", "/agents", { raw: "not json" }), [jsonInvalid(0, "Expecting value")])
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}`, { raw: "{\"name\": \"a\"} x" }), [
      jsonInvalid(14, "Extra data")
    ])
  })

  it("string_type: the input as sent, null included", async () => {
    assert.deepStrictEqual(await detailOf("POST", "/agents", { body: { name: 5 } }), [stringType(["body", "name"], 5)])
    assert.deepStrictEqual(
      await detailOf("POST", "/gateways", { body: { name: 1, url: null, workspace_root: "/srv/w" } }),
      [stringType(["body", "name"], 1), stringType(["body", "url"], null)]
    )
  })

  it("string_too_short and string_too_long, with their ctx", async () => {
    assert.deepStrictEqual(await detailOf("POST", "/agents", { body: { name: "   " } }), [
      tooShort(["body", "name"], "   ")
    ])
    assert.deepStrictEqual(
      await detailOf("PATCH", `/gateways/${api.world.gateway.id}`, { body: { workspace_root: "" } }),
      [tooShort(["body", "workspace_root"], "")]
    )
    const name = "x".repeat(300)
    const status = "y".repeat(101)
    assert.deepStrictEqual(await detailOf("POST", "/agents", { body: { name, status } }), [
      tooLong(["body", "name"], name, 200),
      tooLong(["body", "status"], status, 100)
    ])
  })

  it("int_parsing: not an integer, a fraction, nothing", async () => {
    for (const value of ["abc", "1.5", ""]) {
      assert.deepStrictEqual(await detailOf("GET", `/agents?limit=${value}`), [intParsing(["query", "limit"], value)])
    }
    assert.deepStrictEqual(await detailOf("GET", "/gateways?offset=x"), [intParsing(["query", "offset"], "x")])
  })

  it("greater_than_equal and less_than_equal: the raw input and the bound in ctx, one entry each", async () => {
    assert.deepStrictEqual(await detailOf("GET", "/agents?limit=0"), [atLeast(["query", "limit"], "0", 1)])
    assert.deepStrictEqual(await detailOf("GET", "/agents?offset=-1"), [atLeast(["query", "offset"], "-1", 0)])
    assert.deepStrictEqual(await detailOf("GET", "/agent/agents?limit=0", {}, "agent"), [
      atLeast(["query", "limit"], "0", 1)
    ])
    // One entry, not one per failed alternative.
    assert.deepStrictEqual(await detailOf("GET", "/agents?limit=1000"), [atMost(["query", "limit"], "1000", 200)])
    assert.deepStrictEqual(await detailOf("GET", "/gateways?limit=201"), [atMost(["query", "limit"], "201", 200)])
  })

  it("bool_parsing: query flags and a body field", async () => {
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}?force=maybe`, { body: {} }), [
      boolParsing(["query", "force"], "maybe")
    ])
    assert.deepStrictEqual(await detailOf("POST", `${syncPath(api.world.gateway.id)}?rotate_tokens=maybe`), [
      boolParsing(["query", "rotate_tokens"], "maybe")
    ])
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}`, { body: { is_gateway_main: "maybe" } }), [
      boolParsing(["body", "is_gateway_main"], "maybe")
    ])
  })

  it("uuid_parsing: a malformed gateway_id in a path (the reference declares it a UUID)", async () => {
    assert.deepStrictEqual(await detailOf("POST", syncPath("not-a-uuid")), [malformedGatewayId])
    assert.deepStrictEqual(await detailOf("GET", "/gateways/not-a-uuid"), [malformedGatewayId])
    assert.deepStrictEqual(await detailOf("PATCH", "/gateways/not-a-uuid", { body: {} }), [malformedGatewayId])
    assert.deepStrictEqual(await detailOf("DELETE", "/gateways/not-a-uuid"), [malformedGatewayId])
  })

  it("uuid_parsing: ids in queries and in a body", async () => {
    assert.deepStrictEqual(await detailOf("GET", "/agents?board_id=garbage"), [garbageId("board_id")])
    assert.deepStrictEqual(await detailOf("GET", "/agents?gateway_id=garbage"), [garbageId("gateway_id")])
    assert.deepStrictEqual(await detailOf("GET", "/agents/stream?board_id=garbage"), [garbageId("board_id")])
    assert.deepStrictEqual(await detailOf("GET", "/agent/agents?board_id=garbage", {}, "agent"), [
      garbageId("board_id")
    ])
    assert.deepStrictEqual(await detailOf("POST", `${syncPath(api.world.gateway.id)}?board_id=garbage`), [
      garbageId("board_id")
    ])
    assert.deepStrictEqual(await detailOf("POST", "/agents", { body: { name: "a", board_id: "nope" } }), [
      uuidParsing(["body", "board_id"], "nope", invalidCharacter("n", 1))
    ])
  })

  it("model_attributes_type: a body that is not an object", async () => {
    for (const raw of ["[1,2]", "\"x\"", "5"]) {
      assert.deepStrictEqual(await detailOf("POST", "/agents", { raw }), [notAnObject(JSON.parse(raw))], raw)
    }
    // A body that may be left out (`null` or an object): still one entry.
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}`, { raw: "5" }), [notAnObject(5)])
  })

  it("one entry per bad field: every query parameter once; a nullable body field once, for its non-null type", async () => {
    assert.deepStrictEqual(await detailOf("GET", "/agents?limit=1000&offset=-1&board_id=garbage&gateway_id=garbage"), [
      atMost(["query", "limit"], "1000", 200),
      atLeast(["query", "offset"], "-1", 0),
      garbageId("board_id"),
      garbageId("gateway_id")
    ])
    assert.deepStrictEqual(
      await detailOf("POST", `${syncPath(api.world.gateway.id)}?include_main=2&rotate_tokens=maybe&board_id=garbage`),
      [
        boolParsing(["query", "include_main"], "2"),
        boolParsing(["query", "rotate_tokens"], "maybe"),
        garbageId("board_id")
      ]
    )
    assert.deepStrictEqual(
      await detailOf("POST", "/agents", { body: { name: "a", board_id: 5, heartbeat_config: 5 } }),
      [
        issue("uuid_type", ["body", "board_id"], "UUID input should be a string, bytes or UUID object", 5),
        issue("dict_type", ["body", "heartbeat_config"], "Input should be a valid dictionary", 5)
      ]
    )
    // The body of PATCH is `null` or the update: a bad field answers once, as the update's.
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}`, { body: { name: 5 } }), [
      stringType(["body", "name"], 5)
    ])
  })

  it("path, query and body issues of one request come together in one 422", async () => {
    // `force` is a query parameter of a dependency (`_agent_update_params`): its issue first, then the body's.
    assert.deepStrictEqual(
      await detailOf("PATCH", `/agents/${agentId}?force=maybe`, { body: { is_gateway_main: "maybe", name: "" } }),
      [
        boolParsing(["query", "force"], "maybe"),
        boolParsing(["body", "is_gateway_main"], "maybe"),
        tooShort(["body", "name"], "")
      ]
    )
    assert.deepStrictEqual(await detailOf("PATCH", "/gateways/not-a-uuid", { body: { name: "" } }), [
      malformedGatewayId,
      tooShort(["body", "name"], "")
    ])
  })

  // FastAPI solves a route's dependencies before its own parameters, so the issues of the sync's flags (parameters of
  // the reference's `_template_sync_query` dependency) come before the path's `gateway_id`.
  it("the sync's query issues (a dependency's) come before its path's, as FastAPI orders them", async () => {
    assert.deepStrictEqual(await detailOf("POST", `${syncPath("not-a-uuid")}?rotate_tokens=maybe&board_id=garbage`), [
      boolParsing(["query", "rotate_tokens"], "maybe"),
      garbageId("board_id"),
      malformedGatewayId
    ])
  })

  // FastAPI parses the JSON body before it validates anything (`get_request_handler`) and answers an undecodable one
  // at once, its `json_invalid` alone.
  it("an undecodable body is answered alone, whatever else is wrong", async () => {
    assert.deepStrictEqual(await detailOf("PATCH", "/gateways/not-a-uuid", { raw: "{bad" }), [
      jsonInvalid(1, "Expecting property name enclosed in double quotes")
    ])
    assert.deepStrictEqual(await detailOf("PATCH", `/agents/${agentId}?force=maybe`, { raw: "{bad" }), [
      jsonInvalid(1, "Expecting property name enclosed in double quotes")
    ])
  })
})

describe("what is not a validation error", () => {
  it("a malformed agent_id or board_id in a path (the reference declares them str): 404 Not Found", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const lead = api.clientAs({ agentToken })
    const refusals = [
      owner.agents.get({ params: { agent_id: "not-a-uuid" } }),
      owner.agents.update({ params: { agent_id: "not-a-uuid" }, query: {}, payload: {} }),
      owner.agents.delete({ params: { agent_id: "not-a-uuid" } }),
      owner.agents.heartbeat({ params: { agent_id: "not-a-uuid" }, payload: {} }),
      owner.boards.ensureLead({ params: { board_id: "garbage" }, payload: {} }),
      lead.agent.deleteBoardAgent({ params: { board_id: "garbage", agent_id: "garbage" } })
    ]
    for (const refusal of refusals) {
      const notFound = await failureOf(refusal, NotFoundResponse)
      assert.strictEqual(notFound.detail, "Not Found")
      assert.isString(notFound.request_id)
    }
    // The string passes validation, so a bad body beside it is the only issue.
    assert.deepStrictEqual(await detailOf("PATCH", "/agents/not-a-uuid", { body: { name: 5 } }), [
      stringType(["body", "name"], 5)
    ])
  })

  it("GET /agents/stream?since=garbage is accepted and read as now (nothing earlier replayed)", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const { agent } = await api.runtime.runPromise(
      Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, name: "Seen Before" })
    )
    /** The events `since` gives until the agent seen before (at most 500 ms of them); `None` when it never comes. */
    const untilSeenBefore = (since: string) =>
      run(Effect.flatMap(
        owner.agents.stream({ query: { board_id: api.world.board.id, since }, headers: {} }),
        (stream) =>
          Stream.runCollect(Stream.takeUntil(stream, (event) => event.data.agent.id === agent.id)).pipe(
            Effect.timeoutOption("500 millis")
          )
      ))
    assert.isTrue(Option.isNone(await untilSeenBefore("garbage")))
    const replayed = await untilSeenBefore("2000-01-01T00:00:00Z")
    assert.isTrue(Option.isSome(replayed) && replayed.value.at(-1)?.data.agent.id === agent.id)
  })

  it("a well-formed request the rules refuse: a 422 with a text, not a list", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const refused = await failureOf(owner.agents.create({ payload: { name: "No Board" } }), UnprocessableResponse)
    assert.strictEqual(refused.detail, "board_id is required")
  })

  it("an unknown path or method under the mount: JSON 404 / 405 with detail", async () => {
    const headers = { authorization: `Bearer ${api.tokenFor(api.world.owner)}` }
    const unknown = await fetch(`${api.base}/agents/x/y/z`, { headers })
    assert.strictEqual(unknown.status, 404)
    assert.strictEqual(unknown.headers.get("content-type"), "application/json")
    assert.deepStrictEqual(await unknown.json(), {
      detail: "Not Found",
      request_id: unknown.headers.get("x-request-id")
    })
    const wrongMethod = await fetch(`${api.base}/agents`, { method: "PUT", headers })
    assert.strictEqual(wrongMethod.status, 405)
    assert.strictEqual(wrongMethod.headers.get("allow"), "GET, POST, HEAD")
    assert.deepStrictEqual(await wrongMethod.json(), {
      detail: "Method Not Allowed",
      request_id: wrongMethod.headers.get("x-request-id")
    })
  })
})
