// The span tree of a create and of a template sync over the HTTP API, read from an in-memory tracer.
import { assert, describe, it } from "@effect/vitest"
import { Observability } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Effect } from "effect"
import { testLayer } from "../support/layer.js"
import {
  ancestry,
  everyAttributeKey,
  everyAttributeText,
  isDatabaseSpan,
  parentOf,
  serveApi,
  spanNamed,
  withFreshMetrics
} from "./support.js"

const { AttributeKey } = Observability
const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

/** A world, the API as its owner, and a recorder of every span the test starts. */
const setUp = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const send = yield* serveApi(world.owner)
  return { world, send }
})

const traced = <A, E, R>(recorder: Observability.SpanRecorder, effect: Effect.Effect<A, E, R>) =>
  withFreshMetrics(Effect.withTracer(effect, recorder.tracer))

describe("spans", () => {
  it.live("a create: request → createAgent → provisionAgentRecord → applyAgentLifecycle, with ids and no token", () => {
    const recorder = Observability.makeSpanRecorder()
    return traced(
      recorder,
      Effect.gen(function*() {
        const { world, send } = yield* setUp
        const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name: "Scout" } })
        assert.strictEqual(created.status, 200, created.body)
        const agentId: string = JSON.parse(created.body).id
        const spans = recorder.spans()

        const request = spanNamed(spans, "http POST /api/v1/agents")
        assert.strictEqual(request.attributes.get("http.route"), "/api/v1/agents")
        assert.strictEqual(request.attributes.get("http.request.method"), "POST")
        assert.strictEqual(request.attributes.get("http.response.status_code"), 200)
        // Under Effect's own server span, as a host's runtime with a tracer serves it.
        const server = parentOf(request, spans)!
        assert.strictEqual(server.kind, "server")
        assert.strictEqual(server.attributes.get("http.route"), "/api/v1/agents")

        const create = spanNamed(spans, "createAgent")
        assert.strictEqual(ancestry(create, spans)[0], request.name)
        assert.strictEqual(create.attributes.get(AttributeKey.organizationId), world.organization.id)
        assert.strictEqual(create.attributes.get(AttributeKey.boardId), world.board.id)
        assert.strictEqual(create.attributes.get(AttributeKey.gatewayId), world.gateway.id)
        assert.strictEqual(create.attributes.get(AttributeKey.agentId), agentId)

        const provision = spans.find((span) =>
          span.name === "provisionAgentRecord" && span.attributes.get(AttributeKey.agentId) === agentId
        )!
        assert.deepStrictEqual(ancestry(provision, spans).slice(0, 2), ["createAgent", request.name])
        assert.strictEqual(provision.attributes.get(AttributeKey.provisionAction), "provision")
        assert.strictEqual(provision.attributes.get(AttributeKey.outcome), "completed")
        assert.strictEqual(provision.attributes.get(AttributeKey.boardId), world.board.id)
        assert.strictEqual(provision.attributes.get(AttributeKey.organizationId), world.organization.id)
        assert.strictEqual(provision.status._tag, "Ended")

        const lifecycle = spans.find((span) =>
          span.name === "applyAgentLifecycle" && span.attributes.get(AttributeKey.agentId) === agentId
        )!
        assert.strictEqual(ancestry(lifecycle, spans)[0], "provisionAgentRecord")
        for (const child of ["renderWorkspace", "writeWorkspace"]) {
          const span = spans.find((candidate) =>
            candidate.name === child && ancestry(candidate, spans)[0] === "applyAgentLifecycle" &&
            candidate.parent._tag === "Some" && candidate.parent.value.spanId === lifecycle.spanId
          )
          assert.isDefined(span, child)
        }

        // The agent's token was written into its workspace; it is on no span, nor is any token attribute.
        const memory = yield* MemoryGateway
        const token = tokenIn(memory.file(world.gateway.id, `mc-${agentId}`, "TOOLS.md"))
        assert.isString(token)
        const text = everyAttributeText(spans)
        assert.notInclude(text, token!)
        assert.notMatch(everyAttributeKey(spans).join(" "), /token|secret|password/i)
      }).pipe(Effect.provide(testLayer()))
    )
  })

  it.live("an agent's heartbeat: no span of its own, its ids on the request's span", () => {
    const recorder = Observability.makeSpanRecorder()
    return traced(
      recorder,
      Effect.gen(function*() {
        const { world, send } = yield* setUp
        const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name: "Scout" } })
        const agentId: string = JSON.parse(created.body).id
        const memory = yield* MemoryGateway
        const token = tokenIn(memory.file(world.gateway.id, `mc-${agentId}`, "TOOLS.md"))!
        recorder.clear()

        const beat = yield* send("POST", "/api/v1/agent/heartbeat", { body: { name: "Scout" }, agentToken: token })
        assert.strictEqual(beat.status, 200, beat.body)
        const spans = recorder.spans()
        const request = spanNamed(spans, "http POST /api/v1/agent/heartbeat")
        assert.strictEqual(request.attributes.get(AttributeKey.agentId), agentId)
        assert.strictEqual(request.attributes.get(AttributeKey.boardId), world.board.id)
        assert.strictEqual(request.attributes.get(AttributeKey.gatewayId), world.gateway.id)
        assert.strictEqual(request.attributes.get("http.response.status_code"), 200)
        const names = spans.map((span) => span.name)
        assert.notInclude(names, "heartbeatAgent")
        assert.notInclude(names, "authenticateAgent")
        assert.notInclude(everyAttributeText(spans), token)
      }).pipe(Effect.provide(testLayer()))
    )
  })

  it.live("a template sync: request → syncGatewayTemplatesAsAdmin → syncGatewayTemplates → a span per agent", () => {
    const recorder = Observability.makeSpanRecorder()
    return traced(
      recorder,
      Effect.gen(function*() {
        const { world, send } = yield* setUp
        const ids: Array<string> = []
        for (const name of ["First", "Second"]) {
          const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name } })
          ids.push(JSON.parse(created.body).id)
        }
        recorder.clear()

        const synced = yield* send("POST", `/api/v1/gateways/${world.gateway.id}/templates/sync`)
        assert.strictEqual(synced.status, 200, synced.body)
        const spans = recorder.spans()
        const request = spanNamed(spans, "http POST /api/v1/gateways/:gateway_id/templates/sync")
        const admin = spanNamed(spans, "syncGatewayTemplatesAsAdmin")
        assert.strictEqual(ancestry(admin, spans)[0], request.name)
        const sync = spanNamed(spans, "syncGatewayTemplates")
        assert.strictEqual(ancestry(sync, spans)[0], "syncGatewayTemplatesAsAdmin")
        assert.strictEqual(sync.attributes.get(AttributeKey.gatewayId), world.gateway.id)
        assert.strictEqual(sync.attributes.get(AttributeKey.organizationId), world.organization.id)
        assert.strictEqual(sync.attributes.get(AttributeKey.outcome), "completed")
        assert.strictEqual(sync.attributes.get(AttributeKey.syncAgentsUpdated), 2)
        assert.strictEqual(sync.attributes.get(AttributeKey.syncErrors), 0)

        const perAgent = spans.filter((span) => span.name === "syncAgentTemplates")
        // The two workers and the gateway agent, each under the sync, with its outcome.
        assert.strictEqual(perAgent.length, 3)
        for (const span of perAgent) {
          assert.strictEqual(ancestry(span, spans)[0], "syncGatewayTemplates")
          assert.strictEqual(span.attributes.get(AttributeKey.outcome), "updated")
          assert.strictEqual(span.attributes.get(AttributeKey.gatewayId), world.gateway.id)
        }
        for (const id of ids) {
          const agent = perAgent.find((span) => span.attributes.get(AttributeKey.agentId) === id)!
          assert.strictEqual(agent.attributes.get(AttributeKey.boardId), world.board.id)
          const children = spans.filter((span) =>
            span.parent._tag === "Some" && span.parent.value.spanId === agent.spanId && !isDatabaseSpan(span)
          )
          assert.deepStrictEqual(children.map((span) => span.name), ["readBackToken", "applyAgentLifecycle"])
        }
        assert.notMatch(everyAttributeKey(spans).join(" "), /token|secret|password/i)
      }).pipe(Effect.provide(testLayer()))
    )
  })
})
