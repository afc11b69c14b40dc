// Load: 200 agents heartbeating for 10 seconds while 50 clients watch the stream. No error, no lost event (every
// subscriber sees every heartbeat), memory flat. Bounded: it stops by itself after the 10 seconds.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import { Effect } from "effect"
import express from "express"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { outcomeOf, startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

// A full collection before each heap reading, so "flat" compares live memory, not garbage not yet collected.
setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void
const liveHeap = () => {
  collect()
  collect()
  return process.memoryUsage().heapUsed
}

const agentsCount = 200
const subscribers = 50
const durationMs = 10_000

describe("load", () => {
  it(
    `${agentsCount} agents heartbeating for ${durationMs / 1000} s with ${subscribers} stream subscribers`,
    async () => {
      const api = await startApi(express as never)
      try {
        const { world } = api
        // The agents, with their raw tokens (inserted directly: provisioning is not what this measures).
        const tokens = await api.runtime.runPromise(Effect.forEach(
          Array.from({ length: agentsCount }, (_, index) => index),
          (index) =>
            Fixtures.agent({
              gatewayId: world.gateway.id,
              boardId: world.board.id,
              name: `Load ${index}`,
              lastSeenAt: null
            }).pipe(
              Effect.map(({ agent, token }) => ({ id: agent.id, token }))
            )
        ))

        // The subscribers: each counts the heartbeat events it receives, per agent. They read the frames themselves (raw
        // requests): decoding every event of 50 streams with the typed client would load the process the server runs in.
        const controllers: Array<AbortController> = []
        const seen: Array<Map<string, number>> = []
        const readers: Array<Promise<void>> = []
        for (let index = 0; index < subscribers; index++) {
          const abort = new AbortController()
          controllers.push(abort)
          const counts = new Map<string, number>()
          seen.push(counts)
          const response = await fetch(`${api.base}/agents/stream`, {
            headers: { authorization: `Bearer ${api.tokenFor(world.owner)}` },
            signal: abort.signal
          })
          const reader = response.body!.getReader()
          const decoder = new TextDecoder()
          readers.push((async () => {
            let buffer = ""
            try {
              while (true) {
                const { value, done } = await reader.read()
                if (done) {
                  return
                }
                buffer += decoder.decode(value, { stream: true })
                let end = buffer.indexOf("\r\n\r\n")
                while (end >= 0) {
                  const frame = buffer.slice(0, end)
                  buffer = buffer.slice(end + 4)
                  const data = /\r\ndata: (.*)$/.exec(frame)?.[1]
                  if (frame.startsWith("event: agent") && data !== undefined) {
                    const agent = JSON.parse(data).agent as { id: string; status: string }
                    if (agent.status.startsWith("beat-")) counts.set(agent.id, (counts.get(agent.id) ?? 0) + 1)
                  }
                  end = buffer.indexOf("\r\n\r\n")
                }
              }
            } catch {
              // aborted at the end
            }
          })())
        }
        await new Promise((resolve) => setTimeout(resolve, 200))

        const heapBefore = liveHeap()
        const sent = new Map<string, number>()
        const errors: Array<string> = []
        const deadline = Date.now() + durationMs
        await Promise.all(tokens.map(async ({ id, token }) => {
          const client = api.clientAs({ agentToken: token })
          let beat = 0
          while (Date.now() < deadline) {
            beat++
            const outcome = await outcomeOf(client.agent.heartbeat({ payload: { name: "x", status: `beat-${beat}` } }))
            if (outcome._tag === "Failure") errors.push(`${String(outcome.failure)} ${JSON.stringify(outcome.failure)}`)
            else sent.set(id, beat)
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }))
        const total = [...sent.values()].reduce((sum, count) => sum + count, 0)
        // Let the last events arrive, then stop the subscribers.
        for (let attempt = 0; attempt < 100; attempt++) {
          const complete = seen.every((counts) => [...sent].every(([id, count]) => (counts.get(id) ?? 0) >= count))
          if (complete) break
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        for (const abort of controllers) abort.abort()
        await Promise.all(readers)
        const heapAfter = liveHeap()

        assert.deepStrictEqual(errors, [])
        assert.isAtLeast(total, agentsCount) // every agent beat; throughput itself is a benchmark (bench/), not a test
        for (const counts of seen) {
          for (const [id, count] of sent) {
            assert.strictEqual(
              counts.get(id),
              count,
              `subscriber missed heartbeats of ${id}`
            )
          }
        }
        // Flat: after the run, live memory is back near where it started (nothing kept per event or per request).
        const delivered = total * subscribers
        assert.isBelow(heapAfter - heapBefore, 16 * 1024 * 1024)
        console.log(
          `load: ${total} heartbeats, ${delivered} events delivered, heap ${
            Math.round((heapAfter - heapBefore) / 1024 / 1024)
          } MiB`
        )
      } finally {
        await api.stop()
      }
    },
    120_000
  )
})
