import { AgentLocks } from "@mission-control/core"
import { Effect, Layer, Schedule } from "effect"
import pg from "pg"
import type { PgConnectionConfig } from "./config.js"
import { toNodePgConfig } from "./config.js"

/**
 * Agent locks across processes: an in-process lock per key first (advisory locks are re-entrant per session), then a
 * Postgres session advisory lock taken on one dedicated connection per process. If that connection drops, Postgres
 * releases its locks; provisioning converges, so an overlap then costs duplicate work, never a duplicate agent.
 */
export const layer = (config: PgConnectionConfig) =>
  Layer.scoped(
    AgentLocks.AgentLocks,
    Effect.gen(function*() {
      const local = AgentLocks.makeMemory()
      let client: pg.Client | null = null
      const connection = Effect.gen(function*() {
        if (client !== null) return client
        const fresh = new pg.Client(toNodePgConfig(config, "mission-control-locks"))
        fresh.on("error", () => {
          if (client === fresh) client = null
        })
        fresh.on("end", () => {
          if (client === fresh) client = null
        })
        yield* Effect.tryPromise(() => fresh.connect())
        client = fresh
        return fresh
      })
      yield* Effect.addFinalizer(() => Effect.promise(async () => client?.end().catch(() => undefined)))
      const query = (text: string, key: string) =>
        connection.pipe(
          Effect.flatMap((open) => Effect.tryPromise(() => open.query<{ readonly ok: boolean }>(text, [key]))),
          Effect.retry(Schedule.exponential("50 millis").pipe(Schedule.upTo("30 seconds")))
        )
      const acquire = (key: string) =>
        query("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", key).pipe(
          Effect.flatMap((result) => result.rows[0]?.ok === true ? Effect.void : Effect.fail("busy" as const)),
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
