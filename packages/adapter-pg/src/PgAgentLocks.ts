import { PgConnection } from "@effect/sql-pg"
import { AgentLocks } from "@mission-control/core"
import { Effect, Exit, Layer, Option, Schedule, Scope, Semaphore } from "effect"
import type { PgConnectionConfig } from "./config.js"
import { toConnectionConfig } from "./config.js"

/**
 * Agent locks across processes: an in-process lock per key first (advisory locks are re-entrant per session), then a
 * Postgres session advisory lock taken on one dedicated session per process. If that session drops, Postgres
 * releases its locks; provisioning converges, so an overlap then costs duplicate work, never a duplicate agent.
 */
export const layer = (config: PgConnectionConfig) =>
  Layer.effect(
    AgentLocks.AgentLocks,
    Effect.gen(function*() {
      const local = AgentLocks.makeMemory()
      const scope = yield* Effect.scope
      // The session, opened on first use and again after it fails; each one lives in its own scope, closed when it
      // is replaced or when the layer is released.
      let current: { readonly connection: PgConnection.PgConnection; readonly scope: Scope.Closeable } | undefined
      const opening = yield* Semaphore.make(1)
      const session = opening.withPermits(1)(Effect.gen(function*() {
        if (current !== undefined) return current
        const own = yield* Scope.fork(scope, "sequential")
        const connection = yield* PgConnection.make(toConnectionConfig(config, "mission-control-locks")).pipe(
          Scope.provide(own),
          Effect.onError(() => Scope.close(own, Exit.void))
        )
        current = { connection, scope: own }
        return current
      }))
      const discard = (failed: typeof current) =>
        Effect.suspend(() => {
          if (failed === undefined || current !== failed) return Effect.void
          current = undefined
          return Scope.close(failed.scope, Exit.void)
        })
      const query = (text: string, key: string) =>
        session.pipe(
          Effect.flatMap((open) => open.connection.query(text, [key]).pipe(Effect.tapError(() => discard(open)))),
          Effect.map((result) => Option.fromNullishOr(result.rows[0]?.["ok"])),
          Effect.retry(Schedule.exponential("50 millis").pipe(Schedule.upTo({ duration: "30 seconds" })))
        )
      const acquire = (key: string) =>
        query("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", key).pipe(
          Effect.flatMap((ok) => Option.contains(ok, true) ? Effect.void : Effect.fail("busy" as const)),
          Effect.retry(Schedule.spaced("25 millis")),
          Effect.orDie
        )
      const release = (key: string) =>
        query("SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS ok", key).pipe(Effect.ignore)
      return AgentLocks.AgentLocks.of({
        withLock: (key) => (effect) =>
          local.withLock(key)(Effect.acquireUseRelease(acquire(key), () => effect, () => release(key)))
      })
    })
  )
