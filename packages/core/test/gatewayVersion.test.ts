import { assert, describe, it } from "@effect/vitest"
import {
  compareCalVer,
  createGateway,
  evaluateGatewayVersion,
  GatewayCreate,
  GatewayRepository,
  GatewayUpdate,
  parseCalVer,
  Settings,
  updateGateway
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Effect, Schema } from "effect"
import { testLayer } from "./support/layer.js"

const gatewayBody = (name: string) =>
  Schema.decodeUnknownSync(GatewayCreate)({ name, url: "ws://127.0.0.1:1", workspace_root: "/srv/oc" })

describe("CalVer", () => {
  it("parses YYYY.M.D, YYYY.M.D-REV and a leading v; refuses other shapes and impossible dates", () => {
    assert.deepStrictEqual(parseCalVer("2026.9.6"), [2026, 9, 6, 0])
    assert.deepStrictEqual(parseCalVer(" v2026.02.09-3 "), [2026, 2, 9, 3])
    for (const bad of ["2026.13.1", "2026.1.32", "2026.9", "2026.9.6-beta", "memory", ""]) {
      assert.isUndefined(parseCalVer(bad), bad)
    }
  })

  it("compares by date, then revision; 2026.02.9 is 2026.2.9", () => {
    const v = (text: string) => parseCalVer(text)!
    assert.isBelow(compareCalVer(v("2026.1.30"), v("2026.02.9")), 0)
    assert.isAbove(compareCalVer(v("2026.10.1"), v("2026.9.30")), 0)
    assert.strictEqual(compareCalVer(v("2026.2.9"), v("2026.02.09")), 0)
    assert.isAbove(compareCalVer(v("2026.2.9-1"), v("2026.2.9")), 0)
  })

  it("judges a version against the minimum with the reference's texts", () => {
    assert.isTrue(evaluateGatewayVersion("2026.9.6", "2026.02.9").compatible)
    assert.isTrue(evaluateGatewayVersion("2026.2.9", "2026.02.9").compatible)
    assert.strictEqual(
      evaluateGatewayVersion("2026.1.30", "2026.02.9").message,
      "Gateway version 2026.1.30 is not supported. Minimum supported version is 2026.02.9."
    )
    assert.strictEqual(
      evaluateGatewayVersion(null, "2026.02.9").message,
      "Unable to determine gateway version from runtime metadata. Minimum supported version is 2026.02.9."
    )
    assert.strictEqual(
      evaluateGatewayVersion("dev", "2026.02.9").message,
      "Gateway reported an unsupported version format 'dev'. Minimum supported version is 2026.02.9."
    )
    assert.include(evaluateGatewayVersion("2026.9.6", "soon").message, "GATEWAY_MIN_VERSION is invalid")
  })
})

describe("the version gate of gateway create and update", () => {
  it.effect("create: too old → 422 and nothing saved; no version in the handshake → the config's version decides", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryGateway
      memory.configure({ serverVersion: "2026.1.2" })
      const old = yield* createGateway(world.owner, gatewayBody("Old")).pipe(Effect.flip)
      assert.deepStrictEqual(
        [old._tag, old.detail],
        ["Unprocessable", "Gateway version 2026.1.2 is not supported. Minimum supported version is 2026.02.9."]
      )
      const listed = yield* Effect.flatMap(
        GatewayRepository,
        (repo) => repo.listByOrganization(world.organization.id, { limit: 50, offset: 0 })
      )
      assert.notInclude(listed.items.map((gateway) => gateway.name), "Old")
      memory.configure({ serverVersion: null, configVersion: "2026.3.1" })
      const fallback = yield* createGateway(world.owner, gatewayBody("Fallback"))
      assert.strictEqual(fallback.name, "Fallback")
      memory.configure({ serverVersion: null, configVersion: null })
      const unknown = yield* createGateway(world.owner, gatewayBody("Unknown")).pipe(Effect.flip)
      assert.include(unknown.detail, "Unable to determine gateway version")
    }).pipe(Effect.provide(testLayer())))

  it.effect("the minimum is a setting; an unreachable gateway is 502; update checks only a change of connection", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryGateway
      const strict = yield* createGateway(world.owner, gatewayBody("Strict")).pipe(
        Effect.flip,
        Effect.provideService(Settings, { ...(yield* Settings), gatewayMinVersion: "2027.1.1" })
      )
      assert.strictEqual(
        strict.detail,
        "Gateway version 2026.2.9 is not supported. Minimum supported version is 2027.1.1."
      )
      const created = yield* createGateway(world.owner, gatewayBody("Edge"))
      memory.configure({ serverVersion: "2025.12.31" })
      const renamed = yield* updateGateway(
        world.owner,
        created.id,
        Schema.decodeUnknownSync(GatewayUpdate)({ name: "Edge 2" })
      )
      assert.strictEqual(renamed.name, "Edge 2")
      const moved = yield* updateGateway(
        world.owner,
        created.id,
        Schema.decodeUnknownSync(GatewayUpdate)({ url: "ws://127.0.0.1:2" })
      ).pipe(Effect.flip)
      assert.deepStrictEqual(
        [moved._tag, moved.detail],
        ["Unprocessable", "Gateway version 2025.12.31 is not supported. Minimum supported version is 2026.02.9."]
      )
      memory.configure({ serverVersion: "2026.9.6" })
      memory.fail({ method: "connect", reason: "Rejected", message: "refused", times: Infinity })
      const unreachable = yield* updateGateway(
        world.owner,
        created.id,
        Schema.decodeUnknownSync(GatewayUpdate)({ allow_insecure_tls: true })
      ).pipe(Effect.flip)
      assert.deepStrictEqual(
        [unreachable._tag, unreachable.detail],
        ["GatewayFailure", "Gateway compatibility check failed: refused"]
      )
    }).pipe(Effect.provide(testLayer())))
})
