import type { Scope } from "effect"
import { Context, Effect, Layer } from "effect"

/**
 * How the change hub learns that changes were committed: the source calls `signal` ("look for changes") for as long
 * as the scope is open. A plain callback, as it runs on every agent write of every process.
 */
export type ChangeSignals = (signal: () => void) => Effect.Effect<void, never, Scope.Scope>

/**
 * Pokes from this process's own agent writes, for databases that cannot notify (embedded PGlite: one process, one
 * connection). The repository pokes once the write has committed.
 */
export class LocalChangeSignal extends Context.Service<
  LocalChangeSignal,
  { readonly poke: Effect.Effect<void>; readonly signals: ChangeSignals }
>()("@mission-control/adapter-pg/LocalChangeSignal") {}

/** A `LocalChangeSignal` for one process. */
export const layerLocalSignal = Layer.sync(LocalChangeSignal, () => {
  const listeners = new Set<() => void>()
  return LocalChangeSignal.of({
    poke: Effect.sync(() => listeners.forEach((listener) => listener())),
    signals: (signal) =>
      Effect.acquireRelease(
        Effect.sync(() => listeners.add(signal)),
        () => Effect.sync(() => listeners.delete(signal))
      ).pipe(Effect.asVoid)
  })
})
