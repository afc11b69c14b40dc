// Row 1: agent-token authentication, our indexed digest lookup against the reference's scheme (scan every agent,
// PBKDF2-SHA256 with 200,000 iterations each), on the same Postgres table.
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import type { MissionControlServices } from "@mission-control/core"
import { authenticateAgent } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { referenceHash, referenceVerify } from "../reference.js"
import type { Row } from "../support.js"
import { median, round, time } from "../support.js"

export const authenticationRows = async (database: TestDatabase): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(layerOnTestDatabase(database), TestKit.layerServices, TestKit.layerGateway()) as Layer.Layer<
      MissionControlServices | SqlClient.SqlClient
    >
  )
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
    const { agent, token } = await runtime.runPromise(
      Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
    )
    await sql("UPDATE mc_agents SET reference_token_hash = $1 WHERE id = $2", [await referenceHash(token), agent.id])
    const samples: Array<number> = []
    for (let run = 0; run < 200; run++) {
      samples.push(await time(() => runtime.runPromise(authenticateAgent(token, { touchPresence: false }))))
    }
    const ours = median(samples)
    // The reference: load every agent with a hash, verify each until one matches.
    const scan = async (limit?: number) => {
      const rows = (await sql(
        `SELECT id, reference_token_hash FROM mc_agents WHERE reference_token_hash IS NOT NULL ORDER BY (id = $1), created_at${
          limit === undefined ? "" : ` LIMIT ${limit}`
        }`,
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
      note = `reference scaled from a measured scan of 100 agents (${round(sample)} ms); PBKDF2 ${
        round(perHash)
      } ms each`
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
  return rows
}
