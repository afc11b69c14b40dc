// The gateway operator calls against a real OpenClaw gateway (run by `pnpm test:interop`): sessions, chat history,
// the handshake's catalog and version, and connecting without device pairing.
import { assert, describe, it } from "@effect/vitest"
import type { GatewayId, GatewayTarget } from "@mission-control/core"
import { checkGatewayVersion, GatewayControlPlane, gatewayVersionOf, parseCalVer } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Redacted } from "effect"

const url = process.env["OPENCLAW_GATEWAY_URL"]
const token = process.env["OPENCLAW_GATEWAY_TOKEN"]
const version = process.env["OPENCLAW_GATEWAY_VERSION"] ?? "unknown"
/**
 * 2026.4.1 (protocol 3), installed offline, fails the agent run a chat message starts (its session code loads a
 * module the install lacks: shared/spec/gateway-versions.md), so the message never reaches the history; and it clears
 * the scopes of a token-only client without a device, so connecting without device pairing serves no call.
 */
const isOlderGateway = /^2026\.[1-8]\./.test(version)

const target = (disableDevicePairing: boolean, id: string): GatewayTarget => ({
  gatewayId: id as GatewayId,
  url: url!,
  token: token === undefined ? null : Redacted.make(token),
  allowInsecureTls: false,
  disableDevicePairing
})

const clientOf = (t: GatewayTarget) => Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(t))

const pool = GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() })

describe.skipIf(url === undefined)(`gateway operator calls on OpenClaw ${version}`, () => {
  it.live("version, catalog, sessions, a message and its history", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(target(false, "7d1f3a52-6c3e-4b8e-9a1d-000000000001"))
      const reported = yield* gatewayVersionOf(client)
      assert.isString(reported)
      assert.isDefined(parseCalVer(reported!), `CalVer: ${reported}`)
      assert.isTrue((yield* checkGatewayVersion(client)).compatible)
      const catalog = yield* client.catalog
      for (const method of ["sessions.list", "chat.history", "chat.send", "sessions.patch"]) {
        assert.include(catalog.methods, method)
      }
      assert.include(catalog.events, "tick")
      const sessionKey = `agent:main:mc-operator-${Date.now()}`
      const entry = yield* client.ensureSession(sessionKey, "Operator interop")
      assert.isString(entry["sessionId"])
      const listed = yield* client.listSessions
      assert.include(listed.map((session) => session["key"]), sessionKey)
      assert.deepStrictEqual(yield* client.chatHistory(`agent:main:never-used-${Date.now()}`), [])
      yield* client.sendChat({
        sessionKey,
        message: "operator interop message",
        deliver: false,
        idempotencyKey: crypto.randomUUID()
      })
      // The gateway records the user's message when the run starts; give it a moment.
      let history: ReadonlyArray<unknown> = []
      for (let attempt = 0; attempt < 40 && !JSON.stringify(history).includes("operator interop message"); attempt++) {
        yield* Effect.sleep("250 millis")
        history = yield* client.chatHistory(sessionKey)
      }
      if (isOlderGateway) assert.isArray(history)
      else assert.include(JSON.stringify(history), "operator interop message")
      console.log(`gateway ${reported}: ${listed.length} sessions, ${history.length} messages in the new one`)
    }).pipe(Effect.provide(pool)), { timeout: 60_000 })

  it.live("without device pairing: refused as a control UI, served as the token-only backend client", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(target(true, "7d1f3a52-6c3e-4b8e-9a1d-000000000002"))
      if (isOlderGateway) {
        const refused = yield* Effect.flip(client.listSessions)
        assert.deepStrictEqual([refused.reason, refused.detail], ["Unauthorized", "missing scope: operator.read"])
        return
      }
      const sessions = yield* client.listSessions
      assert.isArray(sessions)
      assert.isTrue((yield* checkGatewayVersion(client)).compatible)
    }).pipe(Effect.provide(pool)))
})
