// Check-in and re-wake, and the rotated token's grace, end to end: the API on Postgres, the gateway simulator, the
// real clock (with short deadlines).
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { checkInOverdueAgents, missedCheckInReason, Settings } from "@mission-control/core"
import { Duration, Layer } from "effect"
import express from "express"
import { run, startApi, tokenOnGateway } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api

const testSettings = Layer.succeed(Settings, {
  ...Settings.defaultValue(),
  baseUrl: "http://mission-control.test",
  checkinDeadline: Duration.millis(300),
  maxWakeAttempts: 2
})

beforeAll(async () => {
  api = await startApi(express as never, testSettings)
})
afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

const pause = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))
const sweep = async () =>
  (await api.runtime.runPromise(checkInOverdueAgents())).map((outcome) => `${outcome.result}:${outcome.wakeAttempts}`)
const heartbeat = (token: string) => api.call("POST", "/agent/heartbeat", { agentToken: token, contentType: null })

describe("check-in over HTTP", () => {
  it("a silent agent is woken again, then offline with the reason; its earlier token still checks it in", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const created = await run(owner.agents.create({ payload: { board_id: api.world.board.id, name: "Silent" } }))
    assert.strictEqual(created.wake_attempts, 1)
    assert.isNotNull(created.checkin_deadline_at)
    const first = tokenOnGateway(api.simulator, created)!

    await pause(350)
    assert.deepStrictEqual(await sweep(), ["rewoken:2"])
    const second = tokenOnGateway(api.simulator, created)!
    assert.notStrictEqual(second, first)
    await pause(350)
    assert.deepStrictEqual(await sweep(), ["offline:2"])
    const offline = await run(owner.agents.get({ params: { agent_id: created.id } }))
    assert.deepStrictEqual(
      [offline.wake_attempts, offline.checkin_deadline_at, offline.last_provision_error],
      [2, null, missedCheckInReason]
    )

    // The token the re-wake replaced is in its grace: the agent's heartbeat with it is its check-in.
    const back = await heartbeat(first)
    assert.strictEqual(back.status, 200, JSON.stringify(back.body))
    assert.deepStrictEqual(
      [back.body.status, back.body.wake_attempts, back.body.checkin_deadline_at, back.body.last_provision_error],
      ["online", 0, null, null]
    )
    // Once the new token is used, the old one is refused.
    assert.strictEqual((await heartbeat(second)).status, 200)
    const refused = await heartbeat(first)
    assert.deepStrictEqual([refused.status, refused.body.detail], [401, "Unauthorized"])
  })
})
