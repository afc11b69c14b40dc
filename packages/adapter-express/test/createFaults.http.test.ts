// Creates under faults over HTTP on real Postgres (issue 12, item 4): database connections killed during a burst of
// creates, and a gateway URL that refuses connections.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase, serverReachable } from "@mission-control/adapter-pg/testing"
import { Settings } from "@mission-control/core"
import { Duration, Layer, Redacted } from "effect"
import express from "express"
import { createServer } from "node:net"
import pg from "pg"
import { startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

const reachable = await serverReachable()

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

describe.skipIf(!reachable)("creates under faults over HTTP", () => {
  it(
    "a burst of creates while backends are killed: every 5xx retried succeeds, no 409, nothing half-created",
    async () => {
      const api = await startApi(express as never)
      const admin = new pg.Client({ connectionString: Redacted.value(api.database.config.url!) })
      await admin.connect()
      try {
        const names = Array.from({ length: 60 }, (_, index) => `Burst ${index}`)
        const create = (name: string) =>
          api.call("POST", "/agents", { user: api.world.owner, body: { board_id: api.world.board.id, name } })
        let stop = false
        let killed = 0
        const killer = (async () => {
          for (let round = 0; round < 6 && !stop; round++) {
            await new Promise((resolve) => setTimeout(resolve, 60))
            const { rows } = await admin.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'mission-control'`
            )
            killed += rows.length
          }
        })()
        const first: Array<Awaited<ReturnType<typeof create>>> = []
        for (let start = 0; start < names.length; start += 10) {
          first.push(...await Promise.all(names.slice(start, start + 10).map(create)))
        }
        stop = true
        await killer
        const failed = names.filter((_, index) => first[index]!.status >= 500)
        assert.isAbove(killed, 0) // the burst did meet killed connections
        for (const response of first) assert.include([200, 201, 503], response.status, JSON.stringify(response.body))
        // Each create that failed with a 5xx, retried (the database is back): it succeeds or returns the agent.
        for (const name of failed) {
          let retried = await create(name)
          for (let attempt = 0; attempt < 5 && retried.status === 503; attempt++) retried = await create(name)
          assert.include([200, 201], retried.status, `${name}: ${JSON.stringify(retried.body)}`)
          assert.strictEqual(retried.body.name, name)
        }
        // One agent per name, and none without either its token (provisioned) or its pending provisioning recorded.
        const { rows } = await admin.query(
          `SELECT name, agent_token_digest IS NOT NULL AS provisioned, provision_action FROM mc_agents
         WHERE board_id = $1 AND name LIKE 'Burst %'`,
          [api.world.board.id]
        )
        assert.strictEqual(rows.length, names.length)
        assert.strictEqual(new Set(rows.map((row) => row.name)).size, names.length)
        for (const row of rows) assert.isTrue(row.provisioned || row.provision_action !== null, JSON.stringify(row))
      } finally {
        await admin.end()
        await api.stop()
      }
    },
    120_000
  )

  it(
    "a gateway URL that refuses connections: 502 within the deadline, no address in the answer, nothing saved",
    async () => {
      const deadline = Duration.seconds(2)
      const settings = Settings.defaultValue()
      const api = await startApi(
        express as never,
        Layer.succeed(Settings, { ...settings, operationRetry: { ...settings.operationRetry, deadline } })
      )
      try {
        const port = await closedPort()
        const started = Date.now()
        const response = await api.call("POST", "/gateways", {
          user: api.world.owner,
          body: { name: "Refusing", url: `ws://127.0.0.1:${port}`, workspace_root: "/srv/refusing" }
        })
        const elapsed = Date.now() - started
        assert.strictEqual(response.status, 502)
        // "unreachable" once the client reports the refusal, "no answer" when the deadline came first.
        assert.match(
          response.body.detail,
          /^Gateway provision failed: Gateway unreachable after 2 seconds \(gateway coordination timeout\)\. Last error: (unreachable|no answer)$/
        )
        assert.notInclude(JSON.stringify(response.body), String(port))
        assert.notInclude(JSON.stringify(response.body), "ECONNREFUSED")
        assert.isBelow(elapsed, 8_000)
        const listed = await api.call("GET", "/gateways", { user: api.world.owner })
        assert.isFalse(listed.body.items.some((gateway: { name: string }) => gateway.name === "Refusing"))
      } finally {
        await api.stop()
      }
    },
    60_000
  )
})
