// Spans and metrics of gateway calls: the core over HTTP, the real client over WebSocket, the simulator.
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Observability } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import type { Tracer } from "effect"
import { Effect, Layer, Redacted } from "effect"
import {
  ancestry,
  everyAttributeKey,
  everyAttributeText,
  serveApi,
  spanNamed,
  withFreshMetrics
} from "../../core/test/observability/support.js"

const { AttributeKey } = Observability
const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

/** A world on a simulator, the API as its owner, every span recorded and a fresh metric registry. */
const onSimulator = <A, E>(
  behaviour: Partial<SimulatorBehaviour>,
  body: (context: {
    readonly simulator: GatewaySimulator
    readonly world: Effect.Success<ReturnType<typeof Fixtures.world>>
    readonly send: Effect.Success<ReturnType<typeof serveApi>>
    readonly spans: () => ReadonlyArray<Tracer.Span>
  }) => Effect.Effect<A, E>
) => {
  const recorder = Observability.makeSpanRecorder()
  return Effect.gen(function*() {
    const simulator = yield* Effect.promise(() => startGatewaySimulator(behaviour))
    running.push(simulator)
    return yield* Effect.gen(function*() {
      const world = yield* Fixtures.world({
        gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/openclaw" }
      })
      const send = yield* serveApi(world.owner)
      return yield* body({ simulator, world, send, spans: recorder.spans })
    }).pipe(
      Effect.provide(
        Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() }))
      )
    )
  }).pipe(Effect.withTracer(recorder.tracer), withFreshMetrics)
}

const childrenOf = (span: Tracer.Span, spans: ReadonlyArray<Tracer.Span>) =>
  spans.filter((candidate) => candidate.parent._tag === "Some" && candidate.parent.value.spanId === span.spanId)

describe("gateway calls: spans and metrics", () => {
  it.live("a create: request → createAgent → provisionAgentRecord → applyAgentLifecycle → gateway calls", () =>
    onSimulator({}, ({ send, simulator, spans, world }) =>
      Effect.gen(function*() {
        const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name: "Scout" } })
        assert.strictEqual(created.status, 200, created.body)
        const agentId: string = JSON.parse(created.body).id
        const all = spans()

        const lifecycle = all.find((span) =>
          span.name === "applyAgentLifecycle" && span.attributes.get(AttributeKey.agentId) === agentId
        )!
        assert.deepStrictEqual(ancestry(lifecycle, all), [
          "provisionAgentRecord",
          "createAgent",
          "http POST /api/v1/agents",
          "POST" // Effect's server span
        ])
        const calls = childrenOf(lifecycle, all).filter((span) => span.name.startsWith("gateway "))
        assert.includeMembers(calls.map((span) => span.name), [
          "gateway agents.create",
          "gateway agents.update",
          "gateway sessions.reset",
          "gateway sessions.patch",
          "gateway chat.send"
        ])
        const write = childrenOf(spanNamed(childrenOf(lifecycle, all), "writeWorkspace"), all)
        assert.include(write.map((span) => span.name), "gateway agents.files.set")

        const createCall = spanNamed(calls, "gateway agents.create")
        assert.strictEqual(createCall.kind, "client")
        assert.strictEqual(createCall.attributes.get(AttributeKey.rpcSystem), "openclaw_gateway")
        assert.strictEqual(createCall.attributes.get(AttributeKey.rpcMethod), "agents.create")
        assert.strictEqual(createCall.attributes.get(AttributeKey.gatewayId), world.gateway.id)
        assert.strictEqual(createCall.attributes.get(AttributeKey.serverAddress), "127.0.0.1")
        assert.strictEqual(createCall.attributes.get(AttributeKey.serverPort), simulator.port)
        assert.strictEqual(createCall.attributes.get(AttributeKey.outcome), "ok")
        assert.strictEqual(createCall.status._tag, "Ended")

        // Neither the gateway's token nor the agent's (written into its workspace) is on any span.
        const agentToken = tokenIn(simulator.file(`mc-${agentId}`, "AGENTS.md"))
        assert.isString(agentToken)
        const text = everyAttributeText(all)
        assert.notInclude(text, simulator.token!)
        assert.notInclude(text, agentToken!)
        assert.notMatch(everyAttributeKey(all).join(" "), /token|secret|password/i)
      })))

  it.live("a template sync: each agent's gateway calls under its span; RPC latency and errors by method and reason", () =>
    onSimulator(
      { faults: [{ method: "sessions.reset", kind: "error", message: "unknown session", times: 1 }] },
      ({ send, spans, world }) =>
        Effect.gen(function*() {
          const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name: "Scout" } })
          assert.strictEqual(created.status, 200, created.body)
          const agentId: string = JSON.parse(created.body).id
          const synced = yield* send("POST", `/api/v1/gateways/${world.gateway.id}/templates/sync`)
          assert.strictEqual(synced.status, 200, synced.body)
          const all = spans()

          const agentSync = all.find((span) =>
            span.name === "syncAgentTemplates" && span.attributes.get(AttributeKey.agentId) === agentId
          )!
          assert.deepStrictEqual(ancestry(agentSync, all).slice(0, 2), [
            "syncGatewayTemplates",
            "syncGatewayTemplatesAsAdmin"
          ])
          assert.strictEqual(agentSync.attributes.get(AttributeKey.outcome), "updated")
          const readBack = spanNamed(childrenOf(agentSync, all), "readBackToken")
          assert.deepStrictEqual(childrenOf(readBack, all).map((span) => span.name), ["gateway agents.files.get"])
          const applied = spanNamed(childrenOf(agentSync, all), "applyAgentLifecycle")
          assert.include(childrenOf(applied, all).map((span) => span.name), "gateway agents.update")

          // The create's session reset failed once with "unknown session": tolerated, recorded as NotFound.
          const reset = all.find((span) =>
            span.name === "gateway sessions.reset" && span.attributes.get(AttributeKey.outcome) === "error"
          )!
          assert.strictEqual(reset.attributes.get(AttributeKey.errorType), "NotFound")

          const text = yield* Observability.prometheusText()
          const gateway = `mission_control_gateway_id="${world.gateway.id}"`
          assert.include(text, "# TYPE rpc_client_duration_seconds histogram")
          // Scout's, then the gateway agent's (the sync route provisions it first).
          assert.match(
            text,
            new RegExp(
              `^rpc_client_duration_seconds_count\\{(?=[^}]*rpc_system="openclaw_gateway")(?=[^}]*${gateway})` +
                `(?=[^}]*rpc_method="agents\\.create")(?![^}]*error_type)[^}]*\\} 2$`,
              "m"
            )
          )
          assert.match(
            text,
            new RegExp(
              `^mission_control_gateway_rpc_errors_total\\{(?=[^}]*${gateway})(?=[^}]*rpc_method="sessions\\.reset")` +
                `(?=[^}]*error_type="NotFound")[^}]*\\} 1$`,
              "m"
            )
          )
          assert.match(
            text,
            new RegExp(
              `^rpc_client_duration_seconds_count\\{(?=[^}]*rpc_method="agents\\.files\\.get")[^}]*\\} \\d+$`,
              "m"
            )
          )
          assert.match(
            text,
            new RegExp(`^mission_control_template_sync_agents_total\\{(?=[^}]*mission_control_outcome="updated")`, "m")
          )
        })
    ))
})
