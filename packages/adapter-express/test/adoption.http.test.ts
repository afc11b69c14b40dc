// Adopting agents that already exist on a gateway, over HTTP on real Postgres through the typed client, against the
// gateway simulator (2026.9): discover, link (the workspace and token brought under management), unlink (the gateway
// agent left in place), and the refusals.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import {
  ConflictResponse,
  ForbiddenResponse,
  NotFoundResponse,
  UnauthorizedResponse,
  UnprocessableResponse
} from "@mission-control/core/http"
import express from "express"
import { failureOf, run, startApi, tokenOnGateway } from "./harness.js"

let api: Awaited<ReturnType<typeof startApi>>
beforeAll(async () => {
  api = await startApi(express as never)
}, 120_000)
afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

let orphans = 0
/** An agent put on the simulator behind Mission Control's back, named as a crashed create leaves one. */
const orphanOnGateway = () => {
  const id = `mc-00000000-0000-4000-8000-${String(++orphans).padStart(12, "0")}`
  api.simulator.putAgent(id, `/srv/openclaw/workspace-${id}`)
  return id
}

const writes = ["agents.create", "agents.delete", "agents.files.set", "config.patch", "sessions.reset"]

describe("adopting an agent over HTTP", () => {
  it("discover shows an orphan made on the simulator; link manages it in place; unlink leaves it, an orphan again", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const gatewayId = api.world.gateway.id
    const simulator = api.simulator
    const orphan = orphanOnGateway()
    simulator.putFile(orphan, "USER.md", "# the operator wrote this\n")

    const discovered = await run(owner.agentAdoption.discover({ params: { gateway_id: gatewayId } }))
    const found = discovered.find((agent) => agent.agent_id === orphan)
    assert.deepStrictEqual(found, {
      agent_id: orphan,
      name: orphan,
      workspace: `/srv/openclaw/workspace-${orphan}`,
      linked: false,
      linked_agent_name: null,
      linked_agent_id: null,
      linked_board_id: null,
      kind: "orphan"
    })
    assert.strictEqual(discovered.find((agent) => agent.agent_id === "main")?.kind, "foreign")

    simulator.clearCalls()
    const linked = await run(owner.agentAdoption.link({
      payload: { gateway_agent_id: orphan, board_id: api.world.board.id, name: "Found Again", role: "Researcher" }
    }))
    assert.deepStrictEqual(
      [linked.name, linked.board_id, linked.gateway_id, linked.openclaw_session_id, linked.is_board_lead],
      ["Found Again", api.world.board.id, gatewayId, `agent:${orphan}:main`, false]
    )
    assert.deepStrictEqual([linked.status, linked.last_provision_error], ["provisioning", null])
    assert.deepStrictEqual(linked.identity_profile, { role: "Researcher" })
    // The same gateway agent, in its workspace: created by nobody, reset by nobody.
    const agentsAfter = simulator.agents()
    assert.strictEqual(agentsAfter.get(orphan)?.workspace, `/srv/openclaw/workspace-${orphan}`)
    assert.isFalse([...agentsAfter.keys()].some((id) => id === `mc-${linked.id}`))
    const calls = simulator.calls().map((call) => call.method)
    assert.notInclude(calls, "sessions.reset")
    assert.isTrue(simulator.calls().every((call) => call.method !== "agents.create" || call.params["name"] === orphan))
    // Its files are Mission Control's now, the operator's USER.md kept, and its token is in them.
    assert.include(simulator.file(orphan, "AGENTS.md") ?? "", "Found Again")
    assert.include(simulator.file(orphan, "IDENTITY.md") ?? "", "Researcher")
    assert.strictEqual(simulator.file(orphan, "USER.md"), "# the operator wrote this\n")
    const token = tokenOnGateway(simulator, linked)
    assert.isDefined(token)
    const entries = simulator.config()["agents"] as { readonly entries: Record<string, { heartbeat?: unknown }> }
    assert.isDefined(entries.entries[orphan]?.heartbeat)
    // The token authenticates the agent's own routes: its heartbeat brings it online.
    const beat = await run(api.clientAs({ agentToken: token! }).agent.heartbeat({ payload: { name: "Found Again" } }))
    assert.deepStrictEqual([beat.id, beat.status], [linked.id, "online"])

    const managed = await run(owner.agentAdoption.discover({ params: { gateway_id: gatewayId } }))
    const now = managed.find((agent) => agent.agent_id === orphan)
    assert.deepStrictEqual(
      [now?.kind, now?.linked, now?.linked_agent_id, now?.linked_agent_name, now?.linked_board_id],
      ["managed", true, linked.id, "Found Again", api.world.board.id]
    )
    const plan = await run(owner.reconcile.plan({ params: { gateway_id: gatewayId } }))
    assert.isFalse(plan.items.some((item) => item.gateway_agent_id === orphan), JSON.stringify(plan.items))

    const files = new Map(simulator.agents().get(orphan)!.files)
    simulator.clearCalls()
    assert.deepStrictEqual(await run(owner.agentAdoption.unlink({ params: { agent_id: linked.id } })), { ok: true })
    assert.deepStrictEqual(simulator.calls().filter((call) => writes.includes(call.method)), [])
    assert.deepStrictEqual(new Map(simulator.agents().get(orphan)!.files), files)
    await failureOf(owner.agents.get({ params: { agent_id: linked.id } }), NotFoundResponse)
    await failureOf(
      api.clientAs({ agentToken: token! }).agent.heartbeat({ payload: { name: "Found Again" } }),
      UnauthorizedResponse
    )
    const after = await run(owner.reconcile.plan({ params: { gateway_id: gatewayId } }))
    assert.deepStrictEqual(
      after.items.filter((item) => item.gateway_agent_id === orphan).map((item) => [item.kind, item.workspace]),
      [["orphan", `/srv/openclaw/workspace-${orphan}`]]
    )
    // The reconciler keeps orphans unless told otherwise.
    const applied = await run(owner.reconcile.apply({ params: { gateway_id: gatewayId }, query: {} }))
    assert.include(applied.orphans_kept, orphan)
    assert.isTrue(simulator.agents().has(orphan))
  })

  it("refuses an agent the gateway lacks (404), a managed one (409), another gateway's board and a moved workspace (422)", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const board = api.world.board.id
    const unknown = await failureOf(
      owner.agentAdoption.link({ payload: { gateway_agent_id: "nobody", board_id: board, name: "Nobody" } }),
      NotFoundResponse
    )
    assert.strictEqual(unknown.detail, "Agent 'nobody' not found on gateway")

    const made = await run(owner.agents.create({ payload: { board_id: board, name: "Made Here" } }))
    const managed = await failureOf(
      owner.agentAdoption.link({ payload: { gateway_agent_id: `mc-${made.id}`, board_id: board, name: "Again" } }),
      ConflictResponse
    )
    assert.strictEqual(managed.detail, `Agent 'mc-${made.id}' is already linked to Mission Control`)

    const second = await run(owner.gateways.create({
      payload: { name: "Second", url: api.simulator.url, workspace_root: "/srv/second", token: api.simulator.token! }
    }))
    const elsewhere = await failureOf(
      owner.agentAdoption.link({
        payload: { gateway_agent_id: orphanOnGateway(), board_id: board, name: "Elsewhere", gateway_id: second.id }
      }),
      UnprocessableResponse
    )
    assert.strictEqual(elsewhere.detail, "Board belongs to another gateway")
    // The gateway's own `main` agent lives in ~/.openclaw/workspace: provisioning would move it.
    const moved = await failureOf(
      owner.agentAdoption.link({ payload: { gateway_agent_id: "main", board_id: board, name: "Main" } }),
      UnprocessableResponse
    )
    assert.strictEqual(
      moved.detail,
      "Agent 'main' has its workspace at ~/.openclaw/workspace, not at /srv/openclaw/workspace-main where Mission " +
        "Control keeps the workspaces of this gateway (workspace_root)"
    )
    assert.isTrue(api.simulator.agents().has("main"))
    await run(owner.agents.delete({ params: { agent_id: made.id } }))
  })

  it("validates the body as the reference does, and answers who may call", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const raw = await api.call("POST", "/agents/link", {
      user: api.world.owner,
      body: { gateway_agent_id: "", board_id: "not-a-uuid" }
    })
    assert.strictEqual(raw.status, 422)
    assert.deepStrictEqual(
      raw.body.detail.map((issue: { readonly type: string; readonly loc: ReadonlyArray<string> }) => [
        issue.type,
        issue.loc.join(".")
      ]).sort(),
      [["missing", "body.name"], ["string_too_short", "body.gateway_agent_id"], ["uuid_parsing", "body.board_id"]]
    )
    await failureOf(
      owner.agentAdoption.discover({ params: { gateway_id: api.world.other.gateway.id } }),
      NotFoundResponse
    )
    const orphan = orphanOnGateway()
    const writer = api.clientAs({ user: api.world.writer })
    await failureOf(
      writer.agentAdoption.link({ payload: { gateway_agent_id: orphan, board_id: api.world.board.id, name: "W" } }),
      ForbiddenResponse
    )
    await failureOf(owner.agentAdoption.unlink({ params: { agent_id: "not-an-id" } }), NotFoundResponse)
    const unauthenticated = await api.call("POST", `/agents/${api.world.board.id}/unlink`)
    assert.strictEqual(unauthenticated.status, 401)
  })
})
