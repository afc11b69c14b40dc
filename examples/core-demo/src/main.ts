// Drives the core programs against the in-memory test kit: a board gets its lead, a worker is created, templates
// are synced, and the worker is deleted. Prints what happened as JSON lines.
import {
  Actor,
  AgentCreate,
  computedStatus,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  syncGatewayTemplates,
  toSyncResult
} from "@mission-control/core"
import { Fixtures, MemoryGateway, TestKit } from "@mission-control/core/testing"
import { DateTime, Effect, Schema } from "effect"

const demo = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const gateway = yield* MemoryGateway
  const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
  console.log(JSON.stringify({ step: "lead", id: lead.agent.id, created: lead.created, status: lead.agent.status }))
  const worker = yield* createAgent(
    Actor.user(world.owner),
    Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Researcher" })
  )
  // The status the API shows: provisioning until the worker's first heartbeat.
  console.log(JSON.stringify({ step: "create", id: worker.id, status: computedStatus(worker, yield* DateTime.now) }))
  const sync = yield* syncGatewayTemplates(world.gateway)
  console.log(JSON.stringify({ step: "sync", result: toSyncResult(sync) }))
  yield* deleteAgent(world.owner, worker.id)
  console.log(JSON.stringify({ step: "delete", id: worker.id }))
  console.log(JSON.stringify({ step: "gateway-calls", total: gateway.calls().length }))
})

Effect.runPromise(demo.pipe(Effect.provide(TestKit.layer()))).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
