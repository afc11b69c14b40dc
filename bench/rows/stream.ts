// Row 4: 1,000 open SSE streams. Ours (pushed from one change listener) against the reference's design (each stream
// polls the database every 2 s): statements per second while nothing changes, and heartbeat → event latency.
import { createMissionControlRouter } from "@mission-control/adapter-express"
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { countStatements } from "@mission-control/adapter-pg/testing"
import { Redacted } from "effect"
import express from "express"
import pg from "pg"
import { openStreamClients } from "../load.js"
import { listen, startWorld } from "../server.js"
import type { Row } from "../support.js"
import { percentile, round, sleep } from "../support.js"

const streams = Number(process.env["BENCH_STREAMS"] ?? 1000)
const beatsCount = 10
const idleMs = 6_000
const referencePollMs = 2_000

/** The reference's stream: every 2 s, each open stream queries the agents changed since its cursor. */
const referenceStream = (pool: pg.Pool, boardId: string): express.RequestHandler => (req, res) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" })
  res.flushHeaders()
  let cursor = new Date()
  let open = true
  req.on("close", () => {
    open = false
  })
  const poll = async () => {
    while (open) {
      const { rows } = await pool.query(
        `SELECT * FROM mc_agents WHERE board_id = $1 AND (updated_at >= $2 OR last_seen_at >= $2) ORDER BY updated_at, id`,
        [boardId, cursor]
      )
      for (const row of rows) {
        const changed = [row.updated_at, row.last_seen_at].filter((value): value is Date => value instanceof Date)
        for (const at of changed) if (at > cursor) cursor = at
        res.write(`event: agent\r\ndata: ${JSON.stringify({ agent: row })}\r\n\r\n`)
      }
      await sleep(referencePollMs)
    }
  }
  poll().catch(() => res.end())
}

export const streamRows = async (database: TestDatabase): Promise<ReadonlyArray<Row>> => {
  const { runtime, world, agents } = await startWorld(database, beatsCount, "Streamed")
  const pool = new pg.Pool({ connectionString: Redacted.value(database.config.url!), max: 10 })

  const app = express()
  app.use("/api/v1", createMissionControlRouter({ runtime, authenticateUser: () => world.owner }))
  app.get("/reference/agents/stream", referenceStream(pool, world.board.id))
  const { base, close } = await listen(app)

  const measure = async (side: string, streamPath: string) => {
    const clients = await openStreamClients({
      streamUrl: `${base}${streamPath}`,
      streamHeaders: { authorization: "Bearer owner" },
      streams,
      beatUrl: `${base}/api/v1/agent/heartbeat`,
      beats: agents.map(({ token }, index) => ({
        headers: { "x-agent-token": token },
        status: `${side}-${index}-${Date.now()}`
      })),
      spacingMs: 200,
      settleMs: 10_000
    })
    await sleep(500)
    const counter = countStatements()
    await sleep(idleMs)
    const idleStatements = counter.count()
    counter.stop()
    const { latencies, missing, statuses } = await clients.beat()
    await clients.close()
    await sleep(referencePollMs + 200) // the reference's polls notice the closed streams
    if (statuses.some((status) => status !== 200)) {
      throw new Error(`${side}: heartbeats answered ${statuses.join(", ")}`)
    }
    return { opened: clients.opened, perSecond: idleStatements / (idleMs / 1000), latencies, missing }
  }

  const ours = await measure("ours", "/api/v1/agents/stream")
  const reference = await measure("reference", "/reference/agents/stream")
  await close()
  await pool.end()
  await runtime.dispose()

  const opened =
    `${ours.opened} / ${reference.opened} streams open; events never delivered: ${ours.missing} / ${reference.missing}`
  const complete = ours.opened === streams && ours.missing === 0
  const latencyRow = (label: string, fraction: number, note?: string): Row => {
    const oursAt = percentile(ours.latencies, fraction)
    const referenceAt = percentile(reference.latencies, fraction)
    return {
      name: `SSE, ${streams} streams: heartbeat → event on every stream, ${label}`,
      ours: round(oursAt),
      reference: round(referenceAt),
      unit: "ms",
      ratio: round(oursAt / referenceAt),
      goal: "faster than a 2 s poll, nothing lost",
      meets: oursAt < referenceAt && complete,
      ...(note === undefined ? {} : { note })
    }
  }
  return [
    {
      name: `SSE, ${streams} open streams, nothing changing: database statements per second`,
      ours: round(ours.perSecond),
      reference: round(reference.perSecond),
      unit: "statements/s",
      ratio: round(ours.perSecond / reference.perSecond),
      goal: "zero per subscriber (ours: none at all while idle)",
      meets: ours.perSecond === 0 && complete,
      note: opened
    },
    latencyRow("p50", 0.5, `${beatsCount} heartbeats × ${streams} streams each; ${opened}`),
    latencyRow("p99", 0.99)
  ]
}
