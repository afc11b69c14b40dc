// Request logs: one line per request, and no token in any of them.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import { Layer, References } from "effect"
import express from "express"
import { outcomeOf, startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

describe("request logs", () => {
  it("name every request and carry no token", async () => {
    const lines: Array<string> = []
    const original = { log: console.log, info: console.info, error: console.error, warn: console.warn }
    const capture = (...args: Array<unknown>) => void lines.push(args.map(String).join(" "))
    Object.assign(console, { log: capture, info: capture, error: capture, warn: capture })
    const api = await startApi(express as never, Layer.succeed(References.MinimumLogLevel, "Debug"))
    try {
      const { token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id })
      )
      const owner = api.clientAs({ user: api.world.owner })
      // Answered or refused (the forged token's 401), each is a request to log.
      await outcomeOf(api.clientAs({ agentToken: token }).agent.heartbeat({ payload: { name: "x" } }))
      await outcomeOf(api.clientAs({ agentToken: `${token}x` }).agent.heartbeat({ payload: { name: "x" } }))
      await outcomeOf(owner.agents.list({ query: {} }))
      await outcomeOf(owner.gateways.create({
        payload: { name: "G", url: api.simulator.url, workspace_root: "/w", token: "gateway-secret-123" }
      }))
      await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      Object.assign(console, original)
      await api.stop()
    }
    const requests = lines.filter((line) => line.includes("request"))
    assert.isAtLeast(requests.length, 4)
    const all = lines.join("\n")
    assert.notInclude(all, "gateway-secret-123")
    assert.notMatch(all, /user-[0-9a-f-]{36}/)
    assert.notMatch(all, /[A-Za-z0-9_-]{43}/)
  })
})
