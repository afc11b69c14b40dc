// Row 3: heartbeats through our Express router on Postgres against a minimal hand-written Express + `pg` handler
// that issues the same SQL statements, both under the same closed-loop load from a worker thread.
import { createMissionControlRouter } from "@mission-control/adapter-express"
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { Redacted } from "effect"
import express from "express"
import { createHash, randomUUID } from "node:crypto"
import { performance } from "node:perf_hooks"
import pg from "pg"
import type { LoadResult } from "../load.js"
import { requestsPerSecond, runLoad } from "../load.js"
import { listen, startWorld } from "../server.js"
import type { Row } from "../support.js"
import { percentile, round } from "../support.js"

const agentsCount = 200
const concurrency = 32
const durationMs = 5_000
const warmupMs = 1_000

// Our repository's heartbeat write, as `pg` receives it: the agent's row and its activity entry in one statement (the
// change feed takes no lock: its trigger records the writing transaction).
const heartbeatStatement = `
  WITH updated AS (
    UPDATE mc_agents SET status = $1, last_seen_at = now(), last_heartbeat_at = now(), updated_at = now()
    WHERE id = $2 RETURNING *
  ), recorded AS (
    INSERT INTO mc_activity_events (id, event_type, message, agent_id, task_id, created_at)
    SELECT $3::uuid, 'agent.heartbeat', $4::text, $2::uuid, NULL, now() FROM updated
  )
  SELECT * FROM updated`

type Measured = LoadResult & { readonly busyMsPerRequest: number }

const sum = (counts: Readonly<Record<string, number>>) =>
  Object.values(counts).reduce((total, count) => total + count, 0)

export const heartbeatRow = async (database: TestDatabase): Promise<Row> => {
  const { runtime, agents } = await startWorld(database, agentsCount, "Beat")
  const clients = agents.map(({ token }) => ({ "x-agent-token": token }))
  // The server's event loop busy time per answered request: what each side costs the process that serves it.
  const load = async (base: string, path: string) => {
    const before = performance.eventLoopUtilization()
    const result = await runLoad({
      url: `${base}${path}`,
      method: "POST",
      clients,
      body: { name: "heartbeat", status: "online" },
      concurrency,
      durationMs,
      warmupMs
    })
    // Utilization over the whole run (warm-up included) at the measured rate: the busy time of one request.
    const busy = performance.eventLoopUtilization(before)
    return {
      ...result,
      busyMsPerRequest: busy.utilization * 1000 /
        (requestsPerSecond(result) + sum(result.failures) / (durationMs / 1000))
    }
  }

  // Ours: the router, as a host mounts it. Its agent-token rate limit counts every request, as in production, with
  // a limit far above what the load sends (60 a minute would refuse most of it: the reference's limiter has no place
  // in the minimal handler either).
  const app = express()
  app.use(
    "/api/v1",
    createMissionControlRouter({
      runtime,
      authenticateUser: () => undefined,
      agentRateLimit: { limit: 1_000_000, windowMillis: 60_000 }
    })
  )
  const oursServer = await listen(app)

  // The minimal handler: the same statements our heartbeat runs (the token lookup, then the write), by hand on `pg`.
  const pool = new pg.Pool({ connectionString: Redacted.value(database.config.url!), max: 10 })
  const minimal = express()
  minimal.use(express.json())
  minimal.post("/agent/heartbeat", async (req, res) => {
    try {
      const digest = `sha256$${createHash("sha256").update(String(req.header("x-agent-token"))).digest("hex")}`
      const client = await pool.connect()
      try {
        const found = await client.query("SELECT * FROM mc_agents WHERE agent_token_digest = $1", [digest])
        const agent = found.rows[0]
        if (agent === undefined) {
          res.status(401).json({ detail: "Unauthorized" })
          return
        }
        const updated = await client.query(heartbeatStatement, [
          req.body.status ?? agent.status,
          agent.id,
          randomUUID(),
          `Heartbeat received from ${agent.name}.`
        ])
        res.json(updated.rows[0])
      } finally {
        client.release()
      }
    } catch (error) {
      res.status(500).json({ detail: String(error) })
    }
  })
  const minimalServer = await listen(minimal)
  // Three rounds, alternating, the best of each side counted: a background hiccup does not decide the ratio.
  const oursRuns: Array<Measured> = []
  const referenceRuns: Array<Measured> = []
  for (let round = 0; round < 3; round++) {
    oursRuns.push(await load(oursServer.base, "/api/v1/agent/heartbeat"))
    referenceRuns.push(await load(minimalServer.base, "/agent/heartbeat"))
  }
  const best = (runs: ReadonlyArray<Measured>) =>
    runs.reduce((a, b) => requestsPerSecond(b) > requestsPerSecond(a) ? b : a)
  const ours = best(oursRuns)
  const reference = best(referenceRuns)
  await oursServer.close()
  await minimalServer.close()
  await pool.end()
  await runtime.dispose()

  const describe = (result: Measured) =>
    `${Math.round(requestsPerSecond(result))}/s, p50 ${round(percentile(result.latencies, 0.5))} ms, p99 ${
      round(percentile(result.latencies, 0.99))
    } ms, server busy ${round(result.busyMsPerRequest)} ms a request, failures ${JSON.stringify(result.failures)}`
  const ratio = requestsPerSecond(ours) / requestsPerSecond(reference)
  return {
    name: `heartbeats through the router, ${concurrency} concurrent clients, ${agentsCount} agents (requests/s)`,
    ours: round(requestsPerSecond(ours)),
    reference: round(requestsPerSecond(reference)),
    unit: "req/s",
    ratio: round(ratio),
    goal: "ratio ≥ 0.9 against a hand-written Express + pg handler doing the same SQL",
    meets: ratio >= 0.9 && Object.keys(ours.failures).length === 0,
    note: `ours ${describe(ours)}; minimal ${describe(reference)}`
  }
}
