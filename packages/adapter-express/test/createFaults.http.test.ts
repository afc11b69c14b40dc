// Creates under faults over HTTP on real Postgres (issue 12, item 4): database connections killed during a burst of
// creates, and a gateway URL that refuses connections.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase, serverReachable } from "@mission-control/adapter-pg/testing"
import { GatewayFailureResponse, UnavailableResponse } from "@mission-control/core/http"
import { Redacted } from "effect"
import express from "express"
import { createServer } from "node:net"
import pg from "pg"
import { failureOf, outcomeOf, run, startApi } from "./harness.js"

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
        const owner = api.clientAs({ user: api.world.owner })
        const create = (name: string) =>
          outcomeOf(owner.agents.create({ payload: { board_id: api.world.board.id, name } }))
        /** A 503: the database went away under the request (retryable). */
        const unavailable = (outcome: Awaited<ReturnType<typeof create>>) =>
          outcome._tag === "Failure" && outcome.failure instanceof UnavailableResponse
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
        const failed = names.filter((_, index) => first[index]!._tag === "Failure")
        assert.isAbove(killed, 0) // the burst did meet killed connections
        // Each create succeeded or answered a 503 (nothing else: no 409, no 500).
        for (const outcome of first) {
          assert.isTrue(outcome._tag === "Success" || unavailable(outcome), JSON.stringify(outcome))
        }
        // Each create that failed with a 5xx, retried (the database is back): it succeeds or returns the agent.
        for (const name of failed) {
          let retried = await create(name)
          for (let attempt = 0; attempt < 5 && unavailable(retried); attempt++) retried = await create(name)
          assert.strictEqual(retried._tag, "Success", `${name}: ${JSON.stringify(retried)}`)
          if (retried._tag === "Success") assert.strictEqual(retried.success.name, name)
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
    "a gateway URL that refuses connections: 502 within seconds naming the URL and the cause, no address, nothing saved",
    async () => {
      const api = await startApi(express as never)
      try {
        const port = await closedPort()
        const owner = api.clientAs({ user: api.world.owner })
        const started = Date.now()
        const url = `ws://localhost:${port}`
        const refused = await failureOf(
          owner.gateways.create({ payload: { name: "Refusing", url, workspace_root: "/srv/refusing" } }),
          GatewayFailureResponse
        )
        const elapsed = Date.now() - started
        assert.strictEqual(
          refused.detail,
          `Gateway provision failed: cannot reach the gateway at ${url} (connection refused)`
        )
        // The URL as the admin gave it; never the address it resolved to, nor the system's error text.
        assert.notInclude(JSON.stringify(refused), "127.0.0.1")
        assert.notInclude(JSON.stringify(refused), "ECONNREFUSED")
        // The check's deadline is five seconds, whatever the deadline of the work on saved gateways.
        assert.isBelow(elapsed, 7_000)
        const listed = await run(owner.gateways.list({ query: {} }))
        assert.isFalse(listed.items.some((gateway) => gateway.name === "Refusing"))
      } finally {
        await api.stop()
      }
    },
    60_000
  )
})
