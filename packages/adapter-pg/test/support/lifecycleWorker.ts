// A server process for the durable lifecycle tests: the adapter on Postgres, the gateway client, and the lifecycle's
// workflows, on Postgres (MC_DATABASE_URL) or on the embedded database (MC_EMBEDDED_DIR). `seed` seeds the fixture
// world first, then does what `create` does; `create` provisions agents (printing `created <id>` as each answers); `sync` runs a template sync of the
// gateway rotating tokens; `resume` only serves, finishing whatever workflows it finds. Killed with SIGKILL by the
// tests, at the point they choose.
//   MC_DATABASE_URL or MC_EMBEDDED_DIR, MC_MODE (seed | create | sync | resume), MC_BOARD_ID, MC_OWNER_ID,
//   MC_GATEWAY_ID (or MC_GATEWAY_URL and MC_GATEWAY_TOKEN to seed), MC_AGENTS (how many), MC_RUNNER_PORT, MC_REPORT
import * as PgAdapter from "@mission-control/adapter-pg"
import type { BoardId, GatewayId, UserId } from "@mission-control/core"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  AgentTokens,
  createAgent,
  OrganizationRepository,
  syncGatewayTemplatesAsAdmin,
  TemplateRenderer
} from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Layer, Option, Redacted, Schedule, Schema } from "effect"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const embeddedDir = process.env["MC_EMBEDDED_DIR"]
const gatewayServices = Layer.mergeAll(AgentTokens.layer, TemplateRenderer.layer, GatewayRpc.layer())
// On the embedded database (PGlite in this process, its data in MC_EMBEDDED_DIR): one process, runners in memory.
const layer = embeddedDir !== undefined
  ? Layer.provideMerge(
    PgAdapter.PgLifecycle.layerEmbedded(),
    Layer.merge(PgAdapter.layerEmbedded({ dataDir: embeddedDir }), gatewayServices)
  )
  : (() => {
    const config = { url: Redacted.make(env("MC_DATABASE_URL")), maxConnections: 10 }
    return Layer.provideMerge(
      PgAdapter.PgLifecycle.layer(config, {
        runnerAddress: { host: "127.0.0.1", port: Number(env("MC_RUNNER_PORT")) },
        shardLockExpiration: "3 seconds",
        pollInterval: "500 millis"
      }),
      Layer.merge(PgAdapter.layer(config), gatewayServices)
    )
  })()

/** `seed`: the fixture world on the gateway at MC_GATEWAY_URL (MC_GATEWAY_TOKEN), its ids printed as `world {…}`. */
const seed = Effect.gen(function*() {
  const world = yield* Fixtures.world({
    gateway: {
      url: env("MC_GATEWAY_URL"),
      token: Redacted.make(env("MC_GATEWAY_TOKEN")),
      workspaceRoot: "/srv/openclaw"
    }
  })
  process.env["MC_BOARD_ID"] = world.board.id
  process.env["MC_OWNER_ID"] = world.owner.id
  process.env["MC_GATEWAY_ID"] = world.gateway.id
  console.log(`world ${JSON.stringify({ boardId: world.board.id, ownerId: world.owner.id })}`)
})

/** With MC_REPORT: the board's agents still pending, as `pending <n>`, every 200 ms. */
const report = Effect.gen(function*() {
  const agents = yield* AgentRepository
  const onBoard = yield* agents.listByBoards([env("MC_BOARD_ID") as BoardId])
  const pending = onBoard.filter((agent) => agent.provisionAction !== null || agent.agentTokenDigest === null)
  console.log(`pending ${pending.length} of ${onBoard.length}`)
}).pipe(Effect.repeat(Schedule.spaced("200 millis")))

const owner = Effect.flatMap(OrganizationRepository, (repo) => repo.findUser(env("MC_OWNER_ID") as UserId)).pipe(
  Effect.map(Option.getOrThrow)
)

const sync = Effect.gen(function*() {
  const summary = yield* syncGatewayTemplatesAsAdmin(yield* owner, env("MC_GATEWAY_ID") as GatewayId, {
    rotateTokens: true
  })
  console.log(`synced ${summary.agentsUpdated}`)
  console.log("done")
})

const create = Effect.gen(function*() {
  const actor = Actor.user(yield* owner)
  const count = Number(env("MC_AGENTS"))
  yield* Effect.forEach(
    Array.from({ length: count }, (_, index) => index),
    (index) =>
      createAgent(
        actor,
        Schema.decodeUnknownSync(AgentCreate)({ board_id: env("MC_BOARD_ID") as BoardId, name: `Worker ${index}` })
      ).pipe(
        Effect.tap((agent) => Effect.sync(() => console.log(`created ${agent.id} ${agent.status}`)))
      ),
    { concurrency: count, discard: true }
  )
  console.log("done")
})

const main = Effect.gen(function*() {
  console.log("ready")
  if (env("MC_MODE") === "seed") yield* seed
  if (env("MC_MODE") === "create" || env("MC_MODE") === "seed") yield* create
  if (process.env["MC_REPORT"] !== undefined) yield* Effect.forkChild(report)
  if (env("MC_MODE") === "sync") yield* sync
  return yield* Effect.never
}).pipe(Effect.provide(layer))

Effect.runFork(main)
