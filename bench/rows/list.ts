// Row 5: listing a page of agents out of 100,000 through the `listAgents` program against the bare SQL it ends with.
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import type { MissionControlServices } from "@mission-control/core"
import { listAgents } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import type { Row } from "../support.js"
import { median, round, time } from "../support.js"

type BenchServices = MissionControlServices | SqlClient.SqlClient

export const listRow = async (database: TestDatabase): Promise<Row> => {
  let row: Row | undefined
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(layerOnTestDatabase(database), TestKit.layerServices, TestKit.layerGateway()) as Layer.Layer<
      BenchServices
    >
  )
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
  for (let run = 0; run < 130; run++) {
    ours.push(
      await time(() => runtime.runPromise(listAgents(world.owner, { boardId: world.board.id, limit: 200, offset: 0 })))
    )
    bare.push(
      await time(() =>
        Promise.all([
          sql(`SELECT * FROM mc_agents WHERE board_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200 OFFSET 0`, [
            world.board.id
          ]),
          sql(`SELECT count(*) FROM mc_agents WHERE board_id = $1`, [world.board.id])
        ])
      )
    )
  }
  const oursMedian = median(ours.slice(30))
  const bareMedian = median(bare.slice(30))
  row = {
    name: "list a page of 200 agents out of 100,000 (median)",
    ours: round(oursMedian),
    reference: round(bareMedian),
    unit: "ms",
    ratio: round(oursMedian / bareMedian),
    goal: "ratio ≤ 1.3 against the bare page + count queries",
    meets: oursMedian / bareMedian <= 1.3
  }
  await runtime.dispose()
  return row
}
