import { Effect, Semaphore } from "effect"

/** Runs an effect under one of its key's permits: at most so many such effects of one key run at once. */
export type KeyedPermits = (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Permits held in this process: `permits` per key, a key's semaphore dropped when nobody holds or waits for it. */
export const makeKeyedPermits = (permits: number): KeyedPermits => {
  const entries = new Map<string, { readonly semaphore: Semaphore.Semaphore; users: number }>()
  return (key) => (effect) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        let entry = entries.get(key)
        if (entry === undefined) {
          entry = { semaphore: Semaphore.makeUnsafe(permits), users: 0 }
          entries.set(key, entry)
        }
        entry.users++
        return entry
      }),
      (entry) => entry.semaphore.withPermits(1)(effect),
      (entry) =>
        Effect.sync(() => {
          entry.users--
          if (entry.users === 0) entries.delete(key)
        })
    )
}
