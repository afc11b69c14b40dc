import { Context, Effect, Layer, Semaphore } from "effect"

/** Serialises work on one agent, so that concurrent provisioning of it never interleaves. */
export class AgentLocks extends Context.Service<AgentLocks, {
  readonly withLock: (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>()("@mission-control/core/AgentLocks") {}

/** Locks held in this process: one semaphore per key, dropped when nobody holds or waits for it. */
export const makeMemory = (): AgentLocks["Service"] => {
  const locks = new Map<string, { readonly semaphore: Semaphore.Semaphore; users: number }>()
  return {
    withLock: (key) => (effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          let entry = locks.get(key)
          if (entry === undefined) {
            entry = { semaphore: Semaphore.makeUnsafe(1), users: 0 }
            locks.set(key, entry)
          }
          entry.users++
          return entry
        }),
        (entry) => entry.semaphore.withPermits(1)(effect),
        (entry) =>
          Effect.sync(() => {
            entry.users--
            if (entry.users === 0) locks.delete(key)
          })
      )
  }
}

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
