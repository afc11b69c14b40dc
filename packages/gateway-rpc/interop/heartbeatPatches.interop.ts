// Heartbeat settings of 50 agents at once against a real OpenClaw gateway (run by `pnpm test:interop`, which starts
// one and sets these variables): one client, 50 concurrent `patchHeartbeats`, all applied, the `config.patch` count
// told and within the gateway's limit of 30 a minute per client; on 2026.4.1 (3 a minute) also patches one after
// another past the limit, the refusal waited out.
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { GatewayError, HeartbeatEntry } from "@mission-control/core"
import { isTransientGatewayError } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Redacted, Schedule } from "effect"

const url = process.env["OPENCLAW_GATEWAY_URL"]
const token = process.env["OPENCLAW_GATEWAY_TOKEN"]
const version = process.env["OPENCLAW_GATEWAY_VERSION"] ?? "unknown"
const stateDir = process.env["OPENCLAW_STATE_DIR"] ?? "/tmp/openclaw"
const disposableGateway = process.env["MC_INTEROP_GATEWAY_DISPOSABLE"] === "1"
/** 2026.4.1 allows 3 config writes a minute per client (2026.9.6: 30 per method). */
const smallBudget = /^2026\.[1-8]\./.test(version)

// What the core retries: a call caught by a restart after a config write (2026.4 restarts on its first one).
const retryTransient = <A>(effect: Effect.Effect<A, GatewayError>) =>
  effect.pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20, while: isTransientGatewayError }))

/** A connection of its own to the gateway under test, with a fresh device identity. */
const connect = () =>
  GatewayRpc.makeConnection({
    url: url!,
    token: token === undefined ? null : Redacted.make(token),
    device: GatewayRpc.generateDeviceIdentity()
  })

/**
 * Waits until the gateway answers `health` on fresh connections three times in a row, a second apart (bounded): the
 * restarts its config writes cause (2026.4) must be over before the next file's tests start.
 */
const gatewaySettled = Effect.gen(function*() {
  let inARow = 0
  for (let attempt = 0; attempt < 90 && inARow < 3; attempt++) {
    const answered = yield* Effect.scoped(Effect.gen(function*() {
      const connection = yield* connect()
      return yield* connection.request("health", {})
    })).pipe(Effect.timeout("5 seconds"), Effect.isSuccess)
    inARow = answered ? inARow + 1 : 0
    yield* Effect.sleep("1 second")
  }
})

describe.skipIf(url === undefined)(`heartbeat settings of 50 agents on OpenClaw ${version}`, () => {
  afterAll(() => Effect.runPromise(gatewaySettled), 120_000)

  it.live(
    "50 concurrent patchHeartbeats through one client: all applied, few config.patch calls",
    () =>
      Effect.gen(function*() {
        const connection = yield* connect()
        const sent = { patches: 0, refused: 0 }
        const counted: GatewayRpc.GatewayConnection = {
          ...connection,
          request: (method, params, options) =>
            method !== "config.patch" ? connection.request(method, params, options) : Effect.suspend(() => {
              sent.patches++
              return connection.request(method, params, options).pipe(
                Effect.tapError((error) => Effect.sync(() => error.retryAfterMs !== null && sent.refused++))
              )
            })
        }
        const client = GatewayRpc.makeClient(counted)
        const stamp = Date.now().toString(36)
        const entries: Array<HeartbeatEntry> = Array.from({ length: 50 }, (_, index) => {
          const agentId = `mc-hb-${stamp}-${index}`
          return { agentId, workspace: `${stateDir}/workspace-${agentId}`, heartbeat: { every: "45m", target: "none" } }
        })
        // Files stay: the gateway's HOME is thrown away after the run, and deleting them makes each delete slower.
        // The agents stay too on a gateway `pnpm test:interop` throws away after this file.
        const cleanup = disposableGateway ? Effect.void : Effect.forEach(
          entries,
          (entry) => Effect.ignore(retryTransient(client.deleteAgent(entry.agentId, { deleteFiles: false }))),
          { concurrency: 2, discard: true }
        )
        // One at a time, each until the gateway has loaded it: 2026.9.6 reloads its config after every create, and
        // creating faster stalled its reload here (a model runtime reload timed out after five minutes).
        const createLoaded = (entry: HeartbeatEntry) =>
          Effect.gen(function*() {
            yield* retryTransient(client.createAgent({ agentId: entry.agentId, workspace: entry.workspace }))
            let listed = yield* Effect.result(client.listFiles(entry.agentId))
            for (let attempt = 0; attempt < 100 && listed._tag === "Failure"; attempt++) {
              yield* Effect.sleep("200 millis")
              listed = yield* Effect.result(client.listFiles(entry.agentId))
            }
          })
        yield* Effect.gen(function*() {
          const createdAt = Date.now()
          yield* Effect.forEach(entries, createLoaded, { discard: true })
          console.log(`${version}: 50 agents created and loaded one at a time in ${Date.now() - createdAt} ms`)
          const startedAt = Date.now()
          const results = yield* Effect.forEach(entries, (entry) => retryTransient(client.patchHeartbeats([entry])), {
            concurrency: "unbounded"
          })
          console.log(
            `${version}: 50 concurrent patchHeartbeats → ${sent.patches} config.patch sent, ${sent.refused} refused ` +
              `with retryAfterMs, ${Date.now() - startedAt} ms`
          )
          assert.strictEqual(results.length, 50)
          assert.isAtMost(sent.patches, 30)
          // The gateway holds every agent's settings: nothing left to patch.
          assert.deepStrictEqual(yield* retryTransient(client.heartbeatDrift(entries)), [])
          const again = yield* retryTransient(client.patchHeartbeats(entries))
          assert.isFalse(again.patched)
        }).pipe(Effect.ensuring(cleanup))
      }),
    { timeout: 240_000 }
  )

  // Only where the budget is small (2026.4.1: 3 a minute). On 2026.9.6 it takes 31 patches of one agent in a minute,
  // and in one run here that churn, beside the other interop files, sent the gateway into a recovery restart
  // ("hot reload recovery: runtime commit") from which it never came back, failing every test after it.
  it.live.skipIf(!smallBudget)(
    "patches one after another past the write limit: the refused one waits for the window and is applied",
    () =>
      Effect.gen(function*() {
        const connection = yield* connect()
        const refusals: Array<GatewayError> = []
        const client = GatewayRpc.makeClient({
          ...connection,
          request: (method, params, options) =>
            connection.request(method, params, options).pipe(
              Effect.tapError((error) => Effect.sync(() => error.retryAfterMs !== null && refusals.push(error)))
            )
        })
        const agentId = `mc-limit-${Date.now().toString(36)}`
        const workspace = `${stateDir}/workspace-${agentId}`
        yield* Effect.gen(function*() {
          yield* retryTransient(client.createAgent({ agentId, workspace }))
          // One more than the budget of a minute, each one a change.
          const budget = 3
          const startedAt = Date.now()
          for (let index = 0; index <= budget; index++) {
            const entry = { agentId, workspace, heartbeat: { every: `${index + 1}m`, target: "none" } }
            yield* retryTransient(client.patchHeartbeats([entry]))
          }
          const first = refusals[0]
          console.log(
            `${version}: ${budget + 1} patches one after another in ${Date.now() - startedAt} ms, ${refusals.length} ` +
              `refused${
                first === undefined ? "" : `: ${first.code} "${first.detail}" retryAfterMs=${first.retryAfterMs}`
              }`
          )
          for (const refusal of refusals) {
            assert.deepStrictEqual([refusal.code, refusal.retryable], ["UNAVAILABLE", true])
          }
          const wanted = { agentId, workspace, heartbeat: { every: `${budget + 1}m`, target: "none" } }
          assert.deepStrictEqual(yield* retryTransient(client.heartbeatDrift([wanted])), [])
        }).pipe(
          Effect.ensuring(Effect.ignore(retryTransient(client.deleteAgent(agentId, { deleteFiles: false }))))
        )
      }),
    { timeout: 300_000 }
  )
})
