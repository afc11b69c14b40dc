import type { GatewayClient, GatewayTarget } from "@mission-control/core"
import { GatewayControlPlane } from "@mission-control/core"
import { Effect, Exit, Layer, Redacted, Scope, Semaphore } from "effect"
import { createHash } from "node:crypto"
import type { ConnectionOptions } from "./GatewayConnection.js"
import { makeConnection } from "./GatewayConnection.js"
import { makeClient } from "./GatewayRpcClient.js"
import { instrumentConnection } from "./observability.js"

/** Options shared by every gateway connection of the pool. */
export type PoolOptions = Omit<ConnectionOptions, "url" | "token">

const fingerprint = (target: GatewayTarget): string =>
  createHash("sha256").update(
    [
      target.url,
      target.token === null ? "" : Redacted.value(target.token),
      target.allowInsecureTls ? "insecure-tls" : "verified-tls",
      target.disableDevicePairing ? "no-device" : "device"
    ].join("\n")
  ).digest("hex")

/**
 * `GatewayControlPlane` over WebSocket: one persistent connection per gateway, keyed by the gateway's id and its
 * URL, token and connection options (a changed row gets a new connection and the old one is closed). Connections
 * close with the layer; a probe's connection is not pooled and closes with the probe's scope. Every request is a
 * span and is measured (`instrumentConnection`).
 */
const probeWaits = { reconnectWait: "1 second", handshakeTimeout: "5 seconds" } as const

export const layer = (options: PoolOptions = {}) =>
  Layer.effect(
    GatewayControlPlane,
    Effect.gen(function*() {
      const poolScope = yield* Effect.scope
      const lock = yield* Semaphore.make(1)
      const entries = new Map<
        string,
        { readonly fingerprint: string; readonly client: GatewayClient; readonly scope: Scope.Closeable }
      >()
      // A client on a connection of its own (opened on first request), closed with the current scope.
      const open = (target: GatewayTarget, overrides: Partial<PoolOptions> = {}) =>
        makeConnection({
          ...options,
          ...overrides,
          url: target.url,
          token: target.token,
          allowInsecureTls: target.allowInsecureTls,
          disableDevicePairing: target.disableDevicePairing
        }).pipe(Effect.map((connection) => makeClient(instrumentConnection(connection, target))))
      return GatewayControlPlane.of({
        client: (target) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const key = fingerprint(target)
            const existing = entries.get(target.gatewayId)
            if (existing !== undefined && existing.fingerprint === key) return existing.client
            if (existing !== undefined) yield* Scope.close(existing.scope, Exit.void)
            const scope = yield* Scope.fork(poolScope, "sequential")
            const client = yield* open(target).pipe(Scope.provide(scope))
            entries.set(target.gatewayId, { fingerprint: key, client, scope })
            return client
          })),
        // A probe answers one question now: it waits briefly for a gateway that refused or dropped it, not as long
        // as a pooled connection waits for a saved gateway to come back.
        probe: (target) => open(target, probeWaits)
      })
    })
  )
