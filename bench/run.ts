// pnpm bench: each row runs our implementation and the reference's approach side by side, in this one process run,
// on the same data; prints a table and writes bench/results.json.
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as SqlClient from "@effect/sql/SqlClient"
import { authenticateAgent, listAgents, provisionAgentRecord, syncGatewayTemplates } from "@mission-control/core"
import type { MissionControlServices } from "@mission-control/core"
type BenchServices = MissionControlServices | SqlClient.SqlClient
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { createTestDatabase, layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { connectionPerCallLayer, referenceHash, referenceVerify } from "./reference.js"

interface Row {
  readonly name: string
  readonly ours: number
  readonly reference: number
  readonly unit: string
  readonly ratio: number
  readonly goal: string
  readonly meets: boolean
  readonly note?: string
}
const rows: Array<Row> = []

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
const time = async (f: () => Promise<unknown>) => {
  const started = performance.now()
  await f()
  return performance.now() - started
}
const round = (value: number) => Math.round(value * 1000) / 1000

const database = await createTestDatabase()
console.log(`database: ${database.kind}`)

// --- 1. Agent-token authentication: one digest lookup against a PBKDF2 scan of every agent.
{
  const runtime = ManagedRuntime.make(Layer.mergeAll(layerOnTestDatabase(database), TestKit.layerServices, TestKit.layerGateway()) as Layer.Layer<BenchServices>)
  const world = await runtime.runPromise(Fixtures.world())
  const sql = (text: string, values: Array<unknown> = []) =>
    runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, (client) => client.unsafe(text, values)))
  await sql("ALTER TABLE mc_agents ADD COLUMN IF NOT EXISTS reference_token_hash text")
  const perHash = median(await Promise.all([0, 1, 2].map(() => time(() => referenceHash("warm-up")))))
  let inserted = 0
  for (const fleet of [100, 1000, 10_000]) {
    // Every agent has our digest and a reference hash; the agent looked up is the last one the scan reaches.
    const filler = await referenceHash("someone-else")
    const batch = fleet - inserted
    await sql(
      `INSERT INTO mc_agents (id, board_id, gateway_id, name, status, agent_token_digest, reference_token_hash, is_board_lead, created_at, updated_at)
       SELECT gen_random_uuid(), $1, $2, 'bench-' || ($3 + g), 'online', 'sha256$filler-' || ($3 + g), $4, false, now(), now()
       FROM generate_series(1, $5) AS g`,
      [world.board.id, world.gateway.id, inserted, filler, batch]
    )
    inserted = fleet
    const { agent, token } = await runtime.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
    await sql("UPDATE mc_agents SET reference_token_hash = $1 WHERE id = $2", [await referenceHash(token), agent.id])
    const samples: Array<number> = []
    for (let run = 0; run < 200; run++) samples.push(await time(() => runtime.runPromise(authenticateAgent(token, { touchPresence: false }))))
    const ours = median(samples)
    // The reference: load every agent with a hash, verify each until one matches.
    const scan = async (limit?: number) => {
      const rows = (await sql(
        `SELECT id, reference_token_hash FROM mc_agents WHERE reference_token_hash IS NOT NULL ORDER BY (id = $1), created_at${limit === undefined ? "" : ` LIMIT ${limit}`}`,
        [agent.id]
      )) as Array<{ readonly id: string; readonly reference_token_hash: string }>
      for (const row of rows) if (await referenceVerify(token, row.reference_token_hash)) return row.id
      return undefined
    }
    let reference: number
    let note: string | undefined
    if (fleet <= 100) {
      reference = median([await time(() => scan()), await time(() => scan()), await time(() => scan())])
    } else {
      // A full scan of this fleet takes minutes; measure 100 verifications and scale to the fleet (worst case).
      const sample = await time(() => scan(100))
      reference = sample / 100 * (fleet + 1)
      note = `reference scaled from a measured scan of 100 agents (${round(sample)} ms); PBKDF2 ${round(perHash)} ms each`
    }
    rows.push({
      name: `agent-token authentication, ${fleet} agents (median)`,
      ours: round(ours),
      reference: round(reference),
      unit: "ms",
      ratio: round(reference / ours),
      goal: "ours faster, flat in the fleet size",
      meets: ours < reference,
      ...(note === undefined ? {} : { note })
    })
  }
  await runtime.dispose()
}

// --- 2. Template sync of 200 agents over the simulator (2 ms per call).
{
  const simulator = await startGatewaySimulator({ latencyMs: 2 })
  const ours = ManagedRuntime.make(Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer()))
  const world = await ours.runPromise(Fixtures.world({
    gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/bench" }
  }))
  const agentIds = []
  for (let index = 0; index < 200; index++) {
    const { agent } = await ours.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `Agent ${index}` }))
    agentIds.push(agent.id)
  }
  await ours.runPromise(Effect.forEach(agentIds, (id) =>
    provisionAgentRecord(id, { action: "provision", gateway: world.gateway, board: world.board, user: world.owner, wake: false }), { concurrency: 8 }))
  const callsBefore = simulator.calls().length
  const oursMs = await time(() => ours.runPromise(syncGatewayTemplates(world.gateway, { includeMain: false, concurrency: 8 })))
  const ourCalls = simulator.calls().length - callsBefore
  // The same sync, the same data, through a client that opens a socket per call, one agent at a time.
  const referenceRuntime = ManagedRuntime.make(Layer.merge(
    Layer.succeedContext(await ours.runtime().then((runtime) => runtime.context)),
    connectionPerCallLayer
  ) as Layer.Layer<MissionControlServices>)
  const referenceMs = await time(() => referenceRuntime.runPromise(syncGatewayTemplates(world.gateway, { includeMain: false, concurrency: 1 })))
  const lowerBound = ourCalls * 2 / 8
  rows.push({
    name: `template sync, 200 agents, 2 ms per call (${ourCalls} calls)`,
    ours: round(oursMs),
    reference: round(referenceMs),
    unit: "ms",
    ratio: round(referenceMs / oursMs),
    goal: "ours faster than a socket per call, sequential",
    meets: oursMs < referenceMs
  })
  rows.push({
    name: "template sync, 200 agents: ours against the lower bound (calls × latency ÷ concurrency 8)",
    ours: round(oursMs),
    reference: round(lowerBound),
    unit: "ms",
    ratio: round(oursMs / lowerBound),
    goal: "close to the lower bound",
    meets: oursMs < lowerBound * 3
  })
  await referenceRuntime.dispose()
  await ours.dispose()
  await simulator.stop()
}

// --- 5. Listing a page of agents out of 100,000 against the bare SQL.
{
  const runtime = ManagedRuntime.make(Layer.mergeAll(layerOnTestDatabase(database), TestKit.layerServices, TestKit.layerGateway()) as Layer.Layer<BenchServices>)
  const world = await runtime.runPromise(Fixtures.world())
  const sql = (text: string, values: Array<unknown> = []) =>
    runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, (client) => client.unsafe(text, values)))
  await sql(
    `INSERT INTO mc_agents (id, board_id, gateway_id, name, status, agent_token_digest, is_board_lead, created_at, updated_at)
     SELECT gen_random_uuid(), $1, $2, 'agent-' || g, 'online', 'sha256$list-' || g, false, now() - (g || ' seconds')::interval, now()
     FROM generate_series(1, 100000) AS g`,
    [world.board.id, world.gateway.id]
  )
  await sql("ANALYZE mc_agents")
  const ours: Array<number> = []
  const bare: Array<number> = []
  for (let run = 0; run < 30; run++) {
    ours.push(await time(() => runtime.runPromise(listAgents(world.owner, { boardId: world.board.id, limit: 200, offset: 0 }))))
    bare.push(await time(() => Promise.all([
      sql(`SELECT * FROM mc_agents WHERE board_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200 OFFSET 0`, [world.board.id]),
      sql(`SELECT count(*) FROM mc_agents WHERE board_id = $1`, [world.board.id])
    ])))
  }
  const oursMedian = median(ours.slice(5))
  const bareMedian = median(bare.slice(5))
  rows.push({
    name: "list a page of 200 agents out of 100,000 (median)",
    ours: round(oursMedian),
    reference: round(bareMedian),
    unit: "ms",
    ratio: round(oursMedian / bareMedian),
    goal: "ratio ≤ 1.3 against the bare page + count queries",
    meets: oursMedian / bareMedian <= 1.3
  })
  await runtime.dispose()
}

await database.close()

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, database: database.kind }
console.table(rows.map(({ note: _, ...row }) => row))
for (const row of rows) if (row.note !== undefined) console.log(`${row.name}: ${row.note}`)
writeFileSync(new URL("./results.json", import.meta.url), `${JSON.stringify({ machine, rows }, null, 2)}\n`)
