// Liveness from the gateway, end to end: the API on Postgres, the liveness watcher running in its runtime, and the
// gateway simulator pushing the events gateway 2026.9.6 sends. The real clock, short intervals.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { LivenessWatcher } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { DateTime, Effect, Fiber, Layer } from "effect"
import express from "express"
import { run, startApi } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api

beforeAll(async () => {
  api = await startApi(express as never)
})
afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

const pause = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

describe("liveness from the gateway over HTTP", () => {
  it("an agent that works without heartbeats is shown online, and a woken one checked in", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const created = await run(owner.agents.create({ payload: { board_id: api.world.board.id, name: "Quiet" } }))
    assert.isNotNull(created.checkin_deadline_at)
    const { agent: idle } = await api.runtime.runPromise(
      Effect.flatMap(DateTime.now, (now) =>
        Fixtures.agent({
          gatewayId: api.world.gateway.id,
          boardId: api.world.board.id,
          name: "Idle",
          lastSeenAt: DateTime.subtractDuration(now, "1 hour")
        }))
    )
    const get = (id: string) => run(owner.agents.get({ params: { agent_id: id } }))
    assert.strictEqual((await get(idle.id)).status, "offline")
    assert.strictEqual((await get(created.id)).status, "provisioning")

    const watcher = api.runtime.runFork(
      Layer.launch(LivenessWatcher.layer({ throttle: "1 second", rescanInterval: "200 millis" }))
    )
    try {
      // The events go to every connected client: sent again until the watcher, subscribing meanwhile, gets them.
      const updatedAt = Date.now() - 1_000
      const emit = () => {
        api.simulator.emitHealth([{ agentId: "main", sessions: [] }, {
          agentId: idle.openclawSessionId!.split(":")[1]!,
          sessions: [{ key: idle.openclawSessionId!, updatedAt }]
        }])
        api.simulator.emitRun({ sessionKey: created.openclaw_session_id!, reply: "Workspace read; starting work." })
      }
      let idleNow = await get(idle.id)
      let createdNow = await get(created.id)
      for (
        let attempt = 0;
        attempt < 200 && (idleNow.status !== "online" || createdNow.status !== "online");
        attempt++
      ) {
        emit()
        await pause(25)
        idleNow = await get(idle.id)
        createdNow = await get(created.id)
      }
      assert.strictEqual(idleNow.status, "online")
      assert.isNull(idleNow.last_heartbeat_at)
      assert.deepStrictEqual(
        [createdNow.status, createdNow.checkin_deadline_at, createdNow.wake_attempts],
        ["online", null, 0]
      )
    } finally {
      await Effect.runPromise(Fiber.interrupt(watcher))
    }
  })
})
