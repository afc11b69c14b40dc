import { Context, Effect, Layer } from "effect"
import type { KeyedPermits } from "./keyedPermits.js"
import { makeKeyedPermits } from "./keyedPermits.js"

/** Serialises work on one agent, so that concurrent provisioning of it never interleaves. */
export class AgentLocks extends Context.Service<AgentLocks, {
  readonly withLock: KeyedPermits
}>()("@mission-control/core/AgentLocks") {}

/** Locks held in this process: one permit per key. */
export const makeMemory = (): AgentLocks["Service"] => ({ withLock: makeKeyedPermits(1) })

/** `makeMemory` as a layer: enough for one process; the Postgres adapter adds cross-process locks. */
export const layerMemory = Layer.sync(AgentLocks, makeMemory)

/**
 * Work on an agent's gateway side, under both of its locks: `agent/<id>`, which requests hold, then `agent-run/<id>`,
 * which a durable workflow's attempt takes alone (a request waiting for that workflow holds the first). Always in
 * this order, so that nothing waits for the other in a cycle.
 */
export const withAgentLocks = (agentId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    AgentLocks,
    (locks) => locks.withLock(`agent/${agentId}`)(locks.withLock(`agent-run/${agentId}`)(effect))
  )

/** The lock a durable workflow's attempt holds while it changes the agent on its gateway (see `withAgentLocks`). */
export const withAgentRunLock = (agentId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(AgentLocks, (locks) => locks.withLock(`agent-run/${agentId}`)(effect))
