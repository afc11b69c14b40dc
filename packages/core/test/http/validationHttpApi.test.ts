import { afterAll, assert, describe, it } from "@effect/vitest"
import { AgentCreate, AgentUpdate, BoardId, GatewayId } from "@mission-control/core"
import { QueryBoolean, QueryInt, requestValidationIssues, uuidOf, ValidationIssue } from "@mission-control/core/http"
import { Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware } from "effect/http-api"

// A toy API with the real wire bodies and query fields, answering FastAPI's 422 from a schema-error middleware.
// Expected bodies are FastAPI 0.131's answers to the same requests (UUID texts: the uuid crate 1.18's).

class ValidationFailed extends Schema.Error<ValidationFailed>("ValidationFailed")({
  detail: Schema.Array(ValidationIssue)
}, { httpApiStatus: 422 }) {}

class Validation extends HttpApiMiddleware.Service<Validation>()("test/Validation", { error: ValidationFailed }) {}

const Echo = Schema.Struct({ received: Schema.Unknown })

class Agents extends HttpApiGroup.make("agents").add(
  HttpApiEndpoint.get("list", "/agents", {
    query: {
      limit: QueryInt({ minimum: 1, maximum: 200, default: 200 }),
      offset: QueryInt({ minimum: 0, default: 0 }),
      board_id: Schema.optional(uuidOf(BoardId)),
      rotate_tokens: QueryBoolean(false)
    },
    success: Echo
  }),
  HttpApiEndpoint.post("create", "/agents", { payload: AgentCreate, success: Echo }),
  HttpApiEndpoint.patch("update", "/agents/:agent_id", {
    params: { agent_id: Schema.String },
    query: { force: QueryBoolean(false) },
    payload: AgentUpdate,
    success: Echo
  }),
  HttpApiEndpoint.post("sync", "/gateways/:gateway_id/templates/sync", {
    params: { gateway_id: uuidOf(GatewayId) },
    query: { rotate_tokens: QueryBoolean(false) },
    success: Echo
  })
).middleware(Validation) {}

class Api extends HttpApi.make("validation-test")
  .add(Agents)
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "ignore" })
  .annotate(HttpApi.QueryParseOptions, { errors: "all", onExcessProperty: "ignore" })
  .annotate(HttpApi.ParamsParseOptions, { errors: "all" })
{}

const ValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  Validation,
  (error, { endpoint }) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const detail = yield* requestValidationIssues(request, error, endpoint)
      return yield* detail === undefined ? Effect.fail(error) : Effect.fail(new ValidationFailed({ detail }))
    })
)

const AgentsLive = HttpApiBuilder.group(Api, "agents", (handlers) =>
  handlers
    .handle("list", ({ query }) => Effect.succeed({ received: query }))
    .handle("create", ({ payload }) => Effect.succeed({ received: payload }))
    .handle("update", ({ payload, query }) => Effect.succeed({ received: { payload, query } }))
    .handle("sync", ({ params }) => Effect.succeed({ received: params })))

const { dispose, handler } = HttpRouter.toWebHandler(
  HttpApiBuilder.layer(Api).pipe(
    Layer.provide(AgentsLive),
    Layer.provide(ValidationLive),
    Layer.provide(HttpServer.layerServices)
  ),
  { disableLogger: true }
)
afterAll(() => dispose())

const send = (method: string, path: string, body?: string) =>
  Effect.promise(async () => {
    const response = await handler(
      new Request(`http://localhost${path}`, {
        method,
        ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } })
      })
    )
    return { status: response.status, body: await response.json() as unknown }
  })

const invalidCharacter = (character: string, at: number) =>
  `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${character}\` at ${at}`

const boolParsing = (loc: ReadonlyArray<string | number>, input: string) => ({
  type: "bool_parsing",
  loc,
  msg: "Input should be a valid boolean, unable to interpret input",
  input
})

describe("FastAPI's 422 bodies from an HttpApi", () => {
  it.effect("GET ?limit=abc&offset=-1: one entry per parameter, once each", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* send("GET", "/agents?limit=abc&offset=-1"), {
        status: 422,
        body: {
          detail: [
            {
              type: "int_parsing",
              loc: ["query", "limit"],
              msg: "Input should be a valid integer, unable to parse string as an integer",
              input: "abc"
            },
            {
              type: "greater_than_equal",
              loc: ["query", "offset"],
              msg: "Input should be greater than or equal to 0",
              input: "-1",
              ctx: { ge: 0 }
            }
          ]
        }
      })
    }))

  it.effect("GET ?limit=1000&board_id=garbage&rotate_tokens=maybe", () =>
    Effect.gen(function*() {
      const error = invalidCharacter("g", 1)
      assert.deepStrictEqual(yield* send("GET", "/agents?limit=1000&board_id=garbage&rotate_tokens=maybe"), {
        status: 422,
        body: {
          detail: [
            {
              type: "less_than_equal",
              loc: ["query", "limit"],
              msg: "Input should be less than or equal to 200",
              input: "1000",
              ctx: { le: 200 }
            },
            {
              type: "uuid_parsing",
              loc: ["query", "board_id"],
              msg: `Input should be a valid UUID, ${error}`,
              input: "garbage",
              ctx: { error }
            },
            boolParsing(["query", "rotate_tokens"], "maybe")
          ]
        }
      })
    }))

  it.effect("a valid query reaches the handler parsed: defaults, a canonical board id", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* send("GET", "/agents?board_id=6F0C3A3E5B8E4A529D1C2D7F3C1F4B10&rotate_tokens=on"), {
        status: 200,
        body: {
          received: { limit: 200, offset: 0, board_id: "6f0c3a3e-5b8e-4a52-9d1c-2d7f3c1f4b10", rotate_tokens: true }
        }
      })
    }))

  it.effect("POST with invalid JSON: json_invalid at Python's position", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* send("POST", "/agents", "{\"name\": \"a\","), {
        status: 422,
        body: {
          detail: [{
            type: "json_invalid",
            loc: ["body", 13],
            msg: "JSON decode error",
            input: {},
            ctx: { error: "Expecting property name enclosed in double quotes" }
          }]
        }
      })
    }))

  it.effect("POST with bad fields: inputs read back from the body HttpApi already read", () =>
    Effect.gen(function*() {
      const error = invalidCharacter("n", 1)
      assert.deepStrictEqual(yield* send("POST", "/agents", "{\"name\": \"   \", \"board_id\": \"nope\"}"), {
        status: 422,
        body: {
          detail: [
            {
              type: "uuid_parsing",
              loc: ["body", "board_id"],
              msg: `Input should be a valid UUID, ${error}`,
              input: "nope",
              ctx: { error }
            },
            {
              type: "string_too_short",
              loc: ["body", "name"],
              msg: "String should have at least 1 character",
              input: "   ",
              ctx: { min_length: 1 }
            }
          ]
        }
      })
    }))

  it.effect("POST with no body: the body is missing", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* send("POST", "/agents", ""), {
        status: 422,
        body: { detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] }
      })
    }))

  it.effect("a bad query and a bad body: both reported, query first, as FastAPI does", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* send("PATCH", "/agents/x?force=maybe", "{\"is_gateway_main\": \"maybe\"}"), {
        status: 422,
        body: {
          detail: [boolParsing(["query", "force"], "maybe"), boolParsing(["body", "is_gateway_main"], "maybe")]
        }
      })
    }))

  it.effect("a malformed UUID path parameter and a bad query: 422 for both, path first", () =>
    Effect.gen(function*() {
      const error = invalidCharacter("n", 1)
      assert.deepStrictEqual(yield* send("POST", "/gateways/not-a-uuid/templates/sync?rotate_tokens=maybe"), {
        status: 422,
        body: {
          detail: [
            {
              type: "uuid_parsing",
              loc: ["path", "gateway_id"],
              msg: `Input should be a valid UUID, ${error}`,
              input: "not-a-uuid",
              ctx: { error }
            },
            boolParsing(["query", "rotate_tokens"], "maybe")
          ]
        }
      })
    }))
})
