import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  authenticateAgent,
  createAgent,
  ensureBoardLeadAgent,
  Settings,
  syncGatewayTemplates,
  syncGatewayTemplatesAsAdmin,
  syncGatewayTemplatesStream,
  SyncProgress,
  SyncResult,
  toSyncProgress,
  toSyncResult
} from "@mission-control/core"
import { Fixtures, MemoryGateway, modernBehaviour } from "@mission-control/core/testing"
import { Duration, Effect, Option, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { runWithTestClock } from "./support/clock.js"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)

/** A world with a provisioned lead, two workers and the gateway agent. */
const provisionedWorld = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
  yield* TestClock.adjust(Duration.seconds(1))
  const first = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "First" }))
  yield* TestClock.adjust(Duration.seconds(1))
  const second = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Second" }))
  yield* syncGatewayTemplatesAsAdmin(world.owner, world.gateway.id, {})
  const gateway = yield* MemoryGateway
  gateway.clearCalls()
  return { ...world, lead: lead.agent, first: first.id, second: second.id, memory: gateway }
})

const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

describe("syncGatewayTemplates", () => {
  it.effect("re-syncs every agent and the gateway agent, with one heartbeat patch at most", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const result = yield* syncGatewayTemplates(world.gateway, { resetSessions: true })
      assert.deepStrictEqual(result, {
        gatewayId: world.gateway.id,
        includeMain: true,
        resetSessions: true,
        agentsUpdated: 3,
        agentsSkipped: 0,
        mainUpdated: true,
        errors: [],
        unsupportedFiles: []
      })
      const methods = world.memory.calls().map((call) => call.method)
      assert.strictEqual(methods.filter((method) => method === "config.patch").length, 0)
      assert.strictEqual(methods.filter((method) => method === "sessions.reset").length, 4)
      assert.strictEqual(methods.filter((method) => method === "chat.send").length, 0)
      assert.strictEqual(methods.filter((method) => method === "agents.files.set").length, 0)
    }).pipe(Effect.provide(testLayer())))

  it.effect("skips an agent whose token cannot be read back, and re-keys it on request", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.putFile(world.gateway.id, `mc-${world.first}`, "TOOLS.md", "BASE_URL=x\n")
      const skipped = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(skipped.agentsSkipped, 1)
      assert.strictEqual(skipped.agentsUpdated, 2)
      assert.deepStrictEqual(skipped.errors, [{
        agentId: world.first,
        agentName: "First",
        boardId: world.board.id,
        message: "Skipping agent: unable to read AUTH_TOKEN from TOOLS.md (run with rotate_tokens=true to re-key)."
      }])
      const rotated = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
      assert.strictEqual(rotated.agentsUpdated, 3)
      assert.deepStrictEqual(rotated.errors, [])
      const token = tokenIn(world.memory.file(world.gateway.id, `mc-${world.first}`, "TOOLS.md"))!
      const agent = yield* authenticateAgent(token)
      assert.strictEqual(agent.id, world.first)
    }).pipe(Effect.provide(testLayer())))

  it.effect("warns about a token the database does not know, and replaces it when rotating", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const path = [world.gateway.id, `mc-${world.second}`, "TOOLS.md"] as const
      world.memory.putFile(...path, world.memory.file(...path)!.replace(/^AUTH_TOKEN=.*$/m, "AUTH_TOKEN=forged"))
      const warned = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(warned.agentsUpdated, 3)
      assert.deepStrictEqual(warned.errors.map((error) => error.message), [
        "Warning: AUTH_TOKEN in TOOLS.md does not match backend token hash (agent auth may be broken)."
      ])
      yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
      const token = tokenIn(world.memory.file(...path))!
      assert.notStrictEqual(token, "forged")
      assert.strictEqual((yield* authenticateAgent(token)).id, world.second)
    }).pipe(Effect.provide(testLayer())))

  it.effect("keeps the old token in the database when the gateway refuses the rotated files", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const path = [world.gateway.id, `mc-${world.first}`, "TOOLS.md"] as const
      const original = tokenIn(world.memory.file(...path))!
      world.memory.putFile(...path, "no token here")
      world.memory.fail({
        method: "agents.files.set",
        reason: "Rejected",
        message: "read-only",
        times: Infinity,
        agentId: `mc-${world.first}`
      })
      const result = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
      assert.deepStrictEqual(result.errors.map((error) => error.message), ["Failed to sync templates: read-only"])
      assert.strictEqual((yield* authenticateAgent(original)).id, world.first)
    }).pipe(Effect.provide(testLayer())))

  it.effect("stores a rotated token once its files are written, even when a later step of the sync fails", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const path = [world.gateway.id, `mc-${world.first}`, "TOOLS.md"] as const
      world.memory.putFile(...path, "no token here") // re-keyed by the rotation
      // The files carrying the new token are accepted; the session reset after them is refused.
      world.memory.fail({ method: "sessions.reset", reason: "Rejected", message: "busy", times: Infinity })
      const result = yield* syncGatewayTemplates(world.gateway, {
        includeMain: false,
        rotateTokens: true,
        resetSessions: true
      })
      assert.isAbove(result.errors.length, 0, JSON.stringify(result.errors))
      // The token in the workspace is the one the database knows: the agent is not locked out.
      const token = tokenIn(world.memory.file(...path))!
      assert.strictEqual((yield* authenticateAgent(token)).id, world.first)
    }).pipe(Effect.provide(testLayer())))

  it.effect("skips agents of paused boards silently until they are resumed", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      yield* Fixtures.chatCommand(world.board.id, " /PAUSE ")
      const paused = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.deepStrictEqual([paused.agentsUpdated, paused.agentsSkipped, paused.errors.length], [0, 3, 0])
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fixtures.chatCommand(world.board.id, "/resume")
      const resumed = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(resumed.agentsUpdated, 3)
    }).pipe(Effect.provide(testLayer())))

  it.effect("reports an unreachable gateway after ten minutes, once", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.fail({ method: "health", reason: "Transport", message: "connection refused", times: Infinity })
      const result = yield* runWithTestClock(syncGatewayTemplates(world.gateway), { step: "5 seconds" })
      assert.deepStrictEqual(result.errors, [{
        agentId: null,
        agentName: null,
        boardId: null,
        message: "Gateway unreachable after 10 minutes (template sync timeout). Last error: unreachable"
      }])
      assert.strictEqual(result.agentsUpdated, 0)
    }).pipe(Effect.provide(testLayer())))

  it.effect("stops at the first agent that times out; agents before it are reported, none after it start", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.fail({
        method: "agents.files.get",
        reason: "Timeout",
        message: "request timed out",
        times: Infinity,
        agentId: `mc-${world.first}`
      })
      const result = yield* runWithTestClock(syncGatewayTemplates(world.gateway, { concurrency: 1 }), {
        step: "5 seconds"
      })
      assert.strictEqual(result.agentsUpdated, 1)
      assert.strictEqual(result.agentsSkipped, 1)
      assert.isFalse(result.mainUpdated)
      assert.deepStrictEqual(result.errors.map((error) => [error.agentId, error.message]), [[
        world.first,
        "Gateway unreachable after 10 minutes (template sync timeout). Last error: request timed out"
      ]])
      const touched = new Set(world.memory.calls().map((call) => call.params["agentId"]))
      assert.isFalse(touched.has(`mc-${world.second}`))
    }).pipe(Effect.provide(testLayer())))

  it.effect("gives the same result whatever the concurrency", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.putFile(world.gateway.id, `mc-${world.second}`, "TOOLS.md", "")
      const sequential = yield* syncGatewayTemplates(world.gateway, { concurrency: 1 })
      const parallel = yield* syncGatewayTemplates(world.gateway, { concurrency: 16 })
      assert.deepStrictEqual(parallel, sequential)
    }).pipe(Effect.provide(testLayer())))

  it.effect("reports per-agent failures and goes on", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.fail({
        method: "agents.update",
        reason: "Rejected",
        message: "bad workspace",
        times: 1,
        agentId: `mc-${world.first}`
      })
      const result = yield* syncGatewayTemplates(world.gateway, { concurrency: 1 })
      assert.deepStrictEqual([result.agentsUpdated, result.agentsSkipped, result.mainUpdated], [2, 1, true])
      assert.deepStrictEqual(result.errors.map((error) => error.message), ["Failed to sync templates: bad workspace"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("refuses a board of another gateway, and reports a missing gateway agent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const foreign = yield* syncGatewayTemplates(world.gateway, { boardId: world.other.board.id })
      assert.deepStrictEqual(foreign.errors.map((error) => error.message), ["Board does not belong to this gateway."])
      const noMain = yield* syncGatewayTemplates(world.gateway)
      assert.deepStrictEqual(noMain.errors.map((error) => error.message), [
        "Gateway agent record not found; skipping gateway agent template sync."
      ])
      const urlless = yield* Fixtures.gateway(world.organization.id, { url: " " })
      const noUrl = yield* syncGatewayTemplates(urlless)
      assert.deepStrictEqual(noUrl.errors.map((error) => error.message), [
        "Gateway URL is not configured for this gateway."
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("skips the gateway agent when its token is unreadable", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.putFile(world.gateway.id, `mc-gateway-${world.gateway.id}`, "TOOLS.md", "")
      const result = yield* syncGatewayTemplates(world.gateway)
      assert.isFalse(result.mainUpdated)
      assert.strictEqual(result.agentsSkipped, 1)
      assert.deepStrictEqual(result.errors.map((error) => error.message), [
        "Skipping agent: unable to read AUTH_TOKEN from TOOLS.md (run with rotate_tokens=true to re-key).",
        "Skipping gateway agent: unable to read AUTH_TOKEN from TOOLS.md."
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("streams one progress event per agent, numbered out of the total, then the summary", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const main = Option.getOrThrow(
        yield* Effect.flatMap(AgentRepository, (repo) => repo.findGatewayMain(world.gateway.id))
      )
      const events = yield* Stream.runCollect(syncGatewayTemplatesStream(world.gateway, { concurrency: 2 }))
      assert.strictEqual(events.length, 5)
      const progress = events.slice(0, 4).flatMap((event) => event.type === "agent" ? [event] : [])
      assert.strictEqual(progress.length, 4)
      assert.deepStrictEqual(progress.map((event) => [event.index, event.total]), [[1, 4], [2, 4], [3, 4], [4, 4]])
      assert.deepStrictEqual(
        progress.map((event) => event.agentId).sort(),
        [world.lead.id, world.first, world.second, main.id].sort()
      )
      assert.isTrue(progress.every((event) => event.outcome === "updated" && event.message === null))
      const last = events.at(-1)!
      assert.strictEqual(last.type, "result")
      if (last.type === "result") assert.strictEqual(last.summary.agentsUpdated, 3)
    }).pipe(Effect.provide(testLayer())))

  it.effect("renders the summary and the progress in the reference's wire shapes", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.putFile(world.gateway.id, `mc-${world.first}`, "TOOLS.md", "BASE_URL=x\n")
      const events = yield* Stream.runCollect(syncGatewayTemplatesStream(world.gateway, { includeMain: false }))
      const skipped = events.flatMap((event) =>
        event.type === "agent" && event.agentId === world.first ? [event] : []
      )[0]
      assert.isDefined(skipped)
      const message = "Skipping agent: unable to read AUTH_TOKEN from TOOLS.md (run with rotate_tokens=true to re-key)."
      const progress = toSyncProgress(skipped!)
      assert.deepStrictEqual(progress, {
        type: "agent",
        agent_id: world.first,
        agent_name: "First",
        board_id: world.board.id,
        outcome: "failed",
        message,
        index: skipped!.index,
        total: 3
      })
      const last = events.at(-1)!
      assert.strictEqual(last.type, "result")
      if (last.type !== "result") return
      const result = toSyncResult(last.summary)
      assert.deepStrictEqual(result, {
        gateway_id: world.gateway.id,
        include_main: false,
        reset_sessions: false,
        agents_updated: 2,
        agents_skipped: 1,
        main_updated: false,
        errors: [{ agent_id: world.first, agent_name: "First", board_id: world.board.id, message }],
        unsupported_files: []
      })
      // Both are values of their wire schemas.
      assert.deepStrictEqual(Schema.decodeUnknownSync(SyncResult)(result), result)
      assert.deepStrictEqual(Schema.decodeUnknownSync(SyncProgress)(progress), progress)
    }).pipe(Effect.provide(testLayer())))

  it.effect("on a modern gateway reads the token from AGENTS.md and reports refused files", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const result = yield* runWithTestClock(
        Effect.gen(function*() {
          yield* ensureBoardLeadAgent(world.board, world.owner)
          yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Modern" }))
          return yield* syncGatewayTemplatesAsAdmin(world.owner, world.gateway.id, {})
        }),
        { step: "100 millis" }
      )
      assert.deepStrictEqual(result.errors, [])
      assert.strictEqual(result.agentsUpdated, 2)
      assert.isTrue(result.mainUpdated)
      assert.deepStrictEqual(result.unsupportedFiles, ["HEARTBEAT.md", "TOOLS.md"])
    }).pipe(Effect.provide(testLayer(modernBehaviour))))

  for (const behaviour of [undefined, modernBehaviour]) {
    it.effect(`writes the same files whatever the file concurrency (${behaviour === undefined ? "classic" : "modern"} gateway)`, () =>
      Effect.gen(function*() {
        const outcomes = []
        for (const workspaceFileConcurrency of [1, 8]) {
          const outcome = yield* Effect.gen(function*() {
            const world = yield* Fixtures.world()
            const agent = yield* runWithTestClock(
              createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Same" })),
              { step: "100 millis" }
            )
            const gateway = yield* MemoryGateway
            const files = gateway.agents(world.gateway.id).get(`mc-${agent.id}`)!.files
            const writes = gateway.calls().filter((call) => call.method === "agents.files.set").length
            const sync = yield* syncGatewayTemplates(world.gateway, { includeMain: false, forceBootstrap: true })
            return { files: [...files.keys()].sort(), writes, unsupported: sync.unsupportedFiles, errors: sync.errors }
          }).pipe(
            Effect.provide(testLayer(behaviour)),
            Effect.provideService(Settings, { ...Settings.defaultValue(), workspaceFileConcurrency })
          )
          outcomes.push(outcome)
        }
        assert.deepStrictEqual(outcomes[1], outcomes[0])
        assert.isAbove(outcomes[0]!.writes, 3)
      }))
  }
})
