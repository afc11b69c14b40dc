export { countStatements } from "./statementCounter.js"
export type { StatementCounter } from "./statementCounter.js"
import { PgClient, PgConnection } from "@effect/sql-pg"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { redactUrl, toPgClientConfig } from "../config.js"
import type { PgConnectionConfig } from "../config.js"
import type { EmbeddedDatabase } from "../embedded.js"
import { layerOnEmbedded, startEmbedded } from "../embedded.js"
import { layer } from "../layer.js"
import { migrate } from "../migrations.js"

/** The Postgres tests use: `DATABASE_URL`, else the machine's default. */
export const defaultDatabaseUrl = (): string => process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

/** Runs `text` on a session of its own to the database of `url`, and returns its rows. */
export const runStatement = (url: string, text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* PgConnection.make({ url: Redacted.make(url), applicationName: "mission-control-tests" })
    return (yield* session.query(text, params, false)).rows
  }))

/** True when a Postgres server answers at the URL within two seconds. */
export const serverReachable = (url: string = defaultDatabaseUrl()): Promise<boolean> =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const session = yield* PgConnection.make({ url: Redacted.make(url), connectTimeout: "2 seconds" })
      yield* session.query("SELECT 1")
      return true
    })).pipe(Effect.catch(() => Effect.succeed(false)))
  )

const adminQuery = (url: string, text: string): Promise<void> =>
  Effect.runPromise(Effect.asVoid(runStatement(url, text)))

/** Creates an empty database next to the one of `url`; returns its URL and a function that drops it. */
export const createDatabase = async (url: string = defaultDatabaseUrl()) => {
  const name = `mc_test_${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`
  await adminQuery(url, `CREATE DATABASE ${name}`)
  const target = new URL(url)
  target.pathname = `/${name}`
  return { url: target.toString(), drop: () => adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** Which database a test run uses. */
export type TestDatabaseKind = "postgres" | "pglite"

/** Postgres when a server is reachable, else PGlite (said once on stderr). */
export const chooseTestDatabase = async (): Promise<TestDatabaseKind> => {
  const forced = process.env["MC_TEST_DATABASE"]
  if (forced === "postgres" || forced === "pglite") return forced
  if (await serverReachable()) return "postgres"
  warnOnce(`No Postgres at ${redactUrl(defaultDatabaseUrl())}: the Postgres suites run on embedded PGlite.`)
  return "pglite"
}

/** A database created for tests, with how to reach it and how to remove it. */
export interface TestDatabase {
  readonly kind: TestDatabaseKind
  readonly config: PgConnectionConfig
  readonly embedded: EmbeddedDatabase | null
  readonly close: () => Promise<void>
}

/** Creates and migrates a database for tests. */
export const createTestDatabase = async (kind?: TestDatabaseKind): Promise<TestDatabase> => {
  const chosen = kind ?? (await chooseTestDatabase())
  if (chosen === "postgres") {
    const database = await createDatabase()
    const config: PgConnectionConfig = { url: Redacted.make(database.url), maxConnections: 10 }
    await Effect.runPromise(migrate.pipe(Effect.provide(PgClient.layer(toPgClientConfig(config)))))
    return { kind: chosen, config, embedded: null, close: database.drop }
  }
  const scope = Effect.runSync(Scope.make())
  const embedded = await Effect.runPromise(startEmbedded().pipe(Scope.provide(scope)))
  await Effect.runPromise(migrate.pipe(Effect.provide(PgClient.layer(toPgClientConfig(embedded.config)))))
  return {
    kind: chosen,
    config: embedded.config,
    embedded,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

let shared: Promise<TestDatabase> | undefined

/** The database shared by the tests of this module (a test file); created on first use. */
export const sharedTestDatabase = (): Promise<TestDatabase> => (shared ??= createTestDatabase())

/** Drops the shared database; call it from `afterAll`. */
export const closeSharedTestDatabase = async (): Promise<void> => {
  const current = shared
  shared = undefined
  if (current !== undefined) await (await current).close()
}

const tables = [
  "mc_agent_changes",
  "mc_activity_events",
  "mc_tasks",
  "mc_agents",
  "mc_board_memory",
  "mc_board_access",
  "mc_boards",
  "mc_gateways",
  "mc_organization_members",
  "mc_users",
  "mc_organizations",
  "mc_rate_limits"
]

const truncateStatement = `TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE`

/** Empties every table of a test database. */
export const truncateTestDatabase = async (database: TestDatabase): Promise<void> => {
  if (database.embedded !== null) {
    await database.embedded.db.exec(truncateStatement)
    return
  }
  if (database.config.url !== undefined) await adminQuery(Redacted.value(database.config.url), truncateStatement)
}

/** The adapter on a database for one test: `database`'s, emptied first. */
export const layerOnTestDatabase = (database: TestDatabase) =>
  Layer.unwrap(
    Effect.promise(() => truncateTestDatabase(database)).pipe(Effect.as(
      database.embedded === null ? layer(database.config, { pruneEvery: "1 hour" }) : layerOnEmbedded(database.embedded)
    ))
  )

/** The adapter on this test file's shared database, emptied first: a clean slate for every test. */
export const layerTestDatabase = Layer.unwrap(
  Effect.promise(sharedTestDatabase).pipe(Effect.map(layerOnTestDatabase))
)

let warned = false
const warnOnce = (message: string) => {
  if (warned) return
  warned = true
  console.warn(message)
}
