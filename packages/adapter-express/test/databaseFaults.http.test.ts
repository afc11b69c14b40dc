// A database connection killed in the middle of a request, over HTTP: the client gets a clean JSON error (no hang, no
// crash), nothing of the request is written, and the next request succeeds. Needs a Postgres server (PGlite has no
// second backend to kill), else skipped.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase, serverReachable } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import { Redacted } from "effect"
import express from "express"
import pg from "pg"
import { run, startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

const reachable = await serverReachable()

describe.skipIf(!reachable)("database faults over HTTP", () => {
  it(
    "a heartbeat whose connection is killed mid-statement: a JSON 503 (retryable), nothing written, the next one succeeds",
    async () => {
      const api = await startApi(express as never)
      const admin = new pg.Client({ connectionString: Redacted.value(api.database.config.url!) })
      await admin.connect()
      try {
        const { agent, token } = await api.runtime.runPromise(
          Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, status: "before" })
        )
        const activities = async () =>
          Number(
            (await admin.query("SELECT count(*) AS n FROM mc_activity_events WHERE agent_id = $1", [agent.id])).rows[0]
              .n
          )
        const before = await activities()

        // Hold the agent's row, so the heartbeat's write waits inside its transaction, until it is killed there. A raw
        // request: its answer's exact keys are checked.
        await admin.query("BEGIN")
        await admin.query("SELECT id FROM mc_agents WHERE id = $1 FOR UPDATE", [agent.id])
        const pending = api.call("POST", "/agent/heartbeat", {
          agentToken: token,
          body: { name: agent.name, status: "during" }
        })
        let killed = 0
        for (let attempt = 0; attempt < 100 && killed === 0; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          const { rows } = await admin.query(
            `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'mission-control' AND wait_event_type = 'Lock'`
          )
          killed = rows.length
        }
        await admin.query("COMMIT")
        assert.strictEqual(killed, 1)

        const response = await pending
        assert.strictEqual(response.status, 503)
        assert.deepStrictEqual(Object.keys(response.body).sort(), ["detail", "request_id"])
        assert.strictEqual(response.body.detail, "Database unavailable, try again")
        // Nothing of it was written: not the status, not the activity.
        const stored = (await admin.query("SELECT status FROM mc_agents WHERE id = $1", [agent.id])).rows[0]
        assert.strictEqual(stored.status, "before")
        assert.strictEqual(await activities(), before)

        const next = await run(
          api.clientAs({ agentToken: token }).agent.heartbeat({ payload: { name: agent.name, status: "after" } })
        )
        assert.strictEqual(next.status, "after")
        assert.strictEqual(await activities(), before + 1)
      } finally {
        await admin.end()
        await api.stop()
      }
    },
    60_000
  )
})
