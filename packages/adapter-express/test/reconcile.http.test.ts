// The reconciler's routes over HTTP on real Postgres, against the gateway simulator (2026.9): the dry-run plan of a
// drifted gateway, applying it, and the plan after.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { ForbiddenResponse, NotFoundResponse } from "@mission-control/core/http"
import express from "express"
import { failureOf, run, startApi } from "./harness.js"

let api: Awaited<ReturnType<typeof startApi>>
beforeAll(async () => {
  api = await startApi(express as never)
})
afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

const summary = (
  items: ReadonlyArray<
    {
      readonly kind: string
      readonly gateway_agent_id: string
      readonly file: string | null
      readonly reason: string | null
    }
  >
) =>
  items.map((item) =>
    [item.kind, item.gateway_agent_id, item.file, item.reason].filter((part) => part !== null).join(" ")
  )
    .sort()

describe("/gateways/{gateway_id}/reconcile", () => {
  it("plans each drift without changing anything, applies it, and a second plan is empty but for kept orphans", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const gatewayId = api.world.gateway.id
    const gateway = { params: { gateway_id: gatewayId } }
    await run(owner.gateways.syncTemplates({ ...gateway, query: {}, headers: {} }))
    const first = await run(owner.agents.create({ payload: { board_id: api.world.board.id, name: "Drift One" } }))
    const second = await run(owner.agents.create({ payload: { board_id: api.world.board.id, name: "Drift Two" } }))
    const third = await run(owner.agents.create({ payload: { board_id: api.world.board.id, name: "Drift Three" } }))
    const clean = await run(owner.reconcile.plan(gateway))
    assert.deepStrictEqual([clean.in_sync, clean.items], [true, []], JSON.stringify(clean.items))
    assert.deepStrictEqual(clean.foreign.map((agent) => agent.gateway_agent_id), ["main"])

    const simulator = api.simulator
    const orphan = "mc-00000000-0000-4000-8000-0000000000ff"
    simulator.putAgent(orphan, "/srv/openclaw/workspace-orphan")
    simulator.removeAgent(`mc-${first.id}`)
    simulator.putFile(`mc-${second.id}`, "SOUL.md", "# changed by hand\n")
    const tokenFile = simulator.file(`mc-${third.id}`, "AGENTS.md")!
    simulator.putFile(`mc-${third.id}`, "AGENTS.md", tokenFile.replace(/AUTH_TOKEN=.*/, "AUTH_TOKEN=stale"))
    const mainKey = `mc-gateway-${gatewayId}`
    simulator.mergeConfig({ agents: { entries: { [mainKey]: { heartbeat: { every: "2h" } } } } })

    simulator.clearCalls()
    const plan = await run(owner.reconcile.plan(gateway))
    assert.deepStrictEqual(summary(plan.items), [
      `file mc-${second.id} SOUL.md differs`,
      `heartbeat ${mainKey}`,
      `missing mc-${first.id}`,
      `orphan ${orphan}`,
      `token mc-${third.id} AGENTS.md mismatch`
    ])
    const heartbeat = plan.items.find((item) => item.kind === "heartbeat")!
    assert.strictEqual(heartbeat.current?.["every"], "2h")
    const writes = ["agents.create", "agents.update", "agents.delete", "agents.files.set", "config.patch"]
    assert.deepStrictEqual(simulator.calls().filter((call) => writes.includes(call.method)), [])

    const applied = await run(owner.reconcile.apply({ ...gateway, query: {} }))
    assert.deepStrictEqual(
      applied.reprovisioned.map((outcome) => [outcome.gateway_agent_id, outcome.ok, outcome.error]).sort(),
      [[`mc-${first.id}`, true, null], [`mc-${second.id}`, true, null], [`mc-${third.id}`, true, null]].sort()
    )
    assert.deepStrictEqual(applied.heartbeats_patched, [mainKey])
    assert.deepStrictEqual([applied.orphans_kept, applied.orphans_deleted], [[orphan], []])
    // The changed file was replaced against the hash it was read with.
    const soulWrite = simulator.calls().find((call) =>
      call.method === "agents.files.set" && call.params["agentId"] === `mc-${second.id}` &&
      call.params["name"] === "SOUL.md"
    )
    assert.strictEqual(typeof soulWrite?.params["expectedHash"], "string")
    assert.isTrue(simulator.agents().has(`mc-${first.id}`))
    // The re-keyed agent authenticates with the token now in its file.
    const token = /AUTH_TOKEN=(.*)/.exec(simulator.file(`mc-${third.id}`, "AGENTS.md") ?? "")?.[1] ?? ""
    assert.notStrictEqual(token, "stale")
    const self = await run(api.clientAs({ agentToken: token }).agentBoards.list({ query: {} }))
    assert.isAtLeast(self.items.length, 1)

    const after = await run(owner.reconcile.plan(gateway))
    assert.deepStrictEqual(summary(after.items), [`orphan ${orphan}`])
    const deleted = await run(owner.reconcile.apply({ ...gateway, query: { delete_orphans: true } }))
    assert.deepStrictEqual([deleted.orphans_kept, deleted.orphans_deleted, deleted.reprovisioned], [[], [orphan], []])
    assert.isFalse(simulator.agents().has(orphan))
    const empty = await run(owner.reconcile.plan(gateway))
    assert.deepStrictEqual([empty.in_sync, empty.items], [true, []])
    assert.isTrue(simulator.agents().has("main"))
  })

  it("is for org admins of the gateway's organization: 403 for members, 404 for another organization's gateway", async () => {
    const gateway = { params: { gateway_id: api.world.gateway.id } }
    const writer = api.clientAs({ user: api.world.writer })
    const forbidden = await failureOf(writer.reconcile.plan(gateway), ForbiddenResponse)
    assert.strictEqual(forbidden.detail, "Forbidden")
    await failureOf(writer.reconcile.apply({ ...gateway, query: {} }), ForbiddenResponse)
    const other = api.clientAs({ user: api.world.other.admin })
    const missing = await failureOf(other.reconcile.plan(gateway), NotFoundResponse)
    assert.strictEqual(missing.detail, "Gateway not found")
  })
})
