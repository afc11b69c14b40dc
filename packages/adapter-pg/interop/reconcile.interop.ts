// The reconciler's drift scenarios on a real OpenClaw gateway (run by `pnpm test:interop`, which starts one), on a
// real Postgres: an orphan agent created directly on the gateway, a gateway agent deleted behind our back, a workspace
// file changed, a stale token. The dry-run plan lists each; applying converges each (the orphan only with
// `deleteOrphans`), and the plan after is empty.
import { afterAll, assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  applyGatewayReconcile,
  authenticateAgent,
  createAgent,
  ensureBoardLeadAgent
} from "@mission-control/core"
import { Option, Schema } from "effect"
import type { RealWorld } from "./support/realWorld.js"
import { durableInteropRuns, gatewayVersion, planUntil, setUpWorld, tokenIn, until } from "./support/realWorld.js"

let world: RealWorld | undefined
afterAll(() => world?.cleanup(), 120_000)

describe.skipIf(!durableInteropRuns)(`the reconciler on a real OpenClaw gateway ${gatewayVersion}`, () => {
  it(
    "an orphan, a deleted gateway agent, a changed file, a stale token: planned, applied, then nothing to do",
    async () => {
      world = await setUpWorld({ relay: true })
      const current = world
      const { board, gateway, owner } = current.world
      const run = current.runtime.runPromise
      const lead = (await run(ensureBoardLeadAgent(board, owner))).agent
      const create = (name: string) =>
        run(createAgent(Actor.user(owner), Schema.decodeUnknownSync(AgentCreate)({ board_id: board.id, name })))
      const first = await create("Drift First")
      const second = await create("Drift Second")
      const startedAt = Date.now()
      assert.deepStrictEqual(await planUntil(current, []), [])
      const cleanPlanMs = Date.now() - startedAt

      const leadKey = `lead-${board.id}`
      const firstKey = `mc-${first.id}`
      const secondKey = `mc-${second.id}`
      const orphan = `mc-${globalThis.crypto.randomUUID()}`
      await current.observe(current.observer.createAgent({
        agentId: orphan,
        workspace: `${current.workspaceRoot}/workspace-orphan`
      }))
      await current.observe(current.observer.deleteAgent(firstKey, { deleteFiles: false }))
      await until("the gateway to list the orphan and not the deleted agent", async () => {
        const listed = new Set((await current.worldAgents()).map((agent) => agent.id))
        return listed.has(orphan) && !listed.has(firstKey)
      }, 30_000)
      await current.observe(current.observer.writeFile(secondKey, "SOUL.md", "# SOUL\nEdited behind our back.\n"))
      const leadTokens = await current.observe(current.observer.readFile(leadKey, current.tokenFile))
      const leadContent = Option.isSome(leadTokens) ? leadTokens.value.content : ""
      assert.isDefined(tokenIn(leadContent))
      await current.observe(
        current.observer.writeFile(
          leadKey,
          current.tokenFile,
          leadContent.replace(/AUTH_TOKEN=\S+/, "AUTH_TOKEN=stale")
        )
      )

      const drift = [
        `file ${secondKey} SOUL.md differs`,
        `missing ${firstKey}`,
        `orphan ${orphan}`,
        `token ${leadKey} ${current.tokenFile} mismatch`
      ]
      assert.deepStrictEqual(await planUntil(current, drift), drift)

      const applyStartedAt = Date.now()
      const report = await run(applyGatewayReconcile(gateway))
      const applyMs = Date.now() - applyStartedAt
      assert.deepStrictEqual(
        report.reprovisioned.map((outcome) => [outcome.gatewayAgentId, outcome.ok, outcome.error]).sort(),
        [[firstKey, true, null], [leadKey, true, null], [secondKey, true, null]].sort()
      )
      assert.deepStrictEqual([report.orphansKept, report.orphansDeleted], [[orphan], []])
      const listed = new Set((await current.worldAgents()).map((agent) => agent.id))
      assert.isTrue(listed.has(firstKey) && listed.has(orphan))
      const soul = await current.observe(current.observer.readFile(secondKey, "SOUL.md"))
      assert.notInclude(Option.isSome(soul) ? soul.value.content : "", "Edited behind our back.")
      const leadToken = tokenIn(
        Option.getOrUndefined(
          await current.observe(current.observer.readFile(leadKey, current.tokenFile))
        )?.content
      )
      assert.notStrictEqual(leadToken, "stale")
      assert.strictEqual((await run(authenticateAgent(leadToken))).id, lead.id)

      // Orphans are reported, not deleted, until asked.
      assert.deepStrictEqual(await planUntil(current, [`orphan ${orphan}`]), [`orphan ${orphan}`])
      const deleted = await run(applyGatewayReconcile(gateway, { deleteOrphans: true }))
      assert.deepStrictEqual([deleted.orphansKept, deleted.orphansDeleted], [[], [orphan]])
      await until(
        "the gateway to drop the orphan",
        async () => !(await current.worldAgents()).some((agent) => agent.id === orphan),
        30_000
      )
      assert.deepStrictEqual(await planUntil(current, []), [])
      console.log(
        `${gatewayVersion}: reconcile of 3 agents: first clean plan after ${cleanPlanMs} ms; 4 drifts applied in ${applyMs} ms`
      )
    },
    180_000
  )
})
