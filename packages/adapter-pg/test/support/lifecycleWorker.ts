// A server process for the durable lifecycle tests: the adapter on Postgres, the gateway client, and the lifecycle's
// workflows. `create` provisions agents (printing `created <id>` as each answers); `sync` runs a template sync of the
// gateway rotating tokens; `resume` only serves, finishing whatever workflows it finds. Killed with SIGKILL by the
// tests, at the point they choose.
//   MC_DATABASE_URL, MC_MODE (create | sync | resume), MC_BOARD_ID, MC_OWNER_ID, MC_GATEWAY_ID, MC_AGENTS (how
//   many), MC_RUNNER_PORT
import * as PgAdapter from "@mission-control/adapter-pg"
import type { BoardId, GatewayId, UserId } from "@mission-control/core"
import {
  Actor,
  AgentCreate,
  AgentTokens,
  createAgent,
  OrganizationRepository,
  syncGatewayTemplatesAsAdmin,
  TemplateRenderer
} from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Layer, Option, Redacted, Schema } from "effect"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const config = { url: Redacted.make(env("MC_DATABASE_URL")), maxConnections: 10 }
const services = Layer.mergeAll(
  PgAdapter.layer(config),
  AgentTokens.layer,
  TemplateRenderer.layer,
  GatewayRpc.layer()
)
const lifecycle = PgAdapter.PgLifecycle.layer(config, {
  runnerAddress: { host: "127.0.0.1", port: Number(env("MC_RUNNER_PORT")) },
  shardLockExpiration: "3 seconds",
  pollInterval: "500 millis"
})
const layer = Layer.provideMerge(lifecycle, services)

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
  if (env("MC_MODE") === "create") yield* create
  if (env("MC_MODE") === "sync") yield* sync
  return yield* Effect.never
}).pipe(Effect.provide(layer))

Effect.runFork(main)
