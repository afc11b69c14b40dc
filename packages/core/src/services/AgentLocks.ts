import { Context, Effect, Layer } from "effect"

/** Serialises work on one agent, so that concurrent provisioning of it never interleaves. */
export class AgentLocks extends Context.Tag("@mission-control/core/AgentLocks")<AgentLocks, {
  readonly withLock: (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>() {}

/** Locks held in this process: one semaphore per key, dropped when nobody holds or waits for it. */
export const makeMemory = (): AgentLocks["Type"] => {
  const locks = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()
  return {
    withLock: (key) => (effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          let entry = locks.get(key)
          if (entry === undefined) {
            entry = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
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
