// What the reference does, re-implemented for side-by-side measurement (never used by the SDK).
import type { GatewayClient, GatewayTarget } from "@mission-control/core"
import { GatewayControlPlane } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Exit, Layer, Scope } from "effect"
import { pbkdf2, randomBytes, timingSafeEqual } from "node:crypto"
import { promisify } from "node:util"

const pbkdf2Async = promisify(pbkdf2)
const iterations = 200_000

/** The reference's stored hash: `pbkdf2_sha256$200000$<salt>$<digest>`. */
export const referenceHash = async (token: string): Promise<string> => {
  const salt = randomBytes(16)
  const digest = await pbkdf2Async(token, salt, iterations, 32, "sha256")
  return `pbkdf2_sha256$${iterations}$${salt.toString("base64url")}$${digest.toString("base64url")}`
}

/** The reference's verification of one stored hash. */
export const referenceVerify = async (token: string, stored: string): Promise<boolean> => {
  const [algorithm, rounds, salt, digest] = stored.split("$")
  if (algorithm !== "pbkdf2_sha256" || rounds === undefined || salt === undefined || digest === undefined) return false
  const computed = await pbkdf2Async(token, Buffer.from(salt, "base64url"), Number(rounds), 32, "sha256")
  const expected = Buffer.from(digest, "base64url")
  return expected.length === computed.length && timingSafeEqual(expected, computed)
}

/** Every call on a WebSocket of its own, as the reference's client makes them. */
const connectionPerCall = (target: GatewayTarget) =>
  Effect.succeed(
    new Proxy({} as GatewayClient, {
      get: (_, property: keyof GatewayClient) => {
        const once = <A, E>(use: (client: GatewayClient) => Effect.Effect<A, E>) =>
          Effect.acquireUseRelease(
            Scope.make(),
            (scope) =>
              GatewayRpc.makeConnection({ url: target.url, token: target.token }).pipe(
                Scope.provide(scope),
                Effect.flatMap((connection) => use(GatewayRpc.makeClient(connection)))
              ),
            (scope) => Scope.close(scope, Exit.void)
          )
        if (property === "capabilities" || property === "health") {
          return once((client) => client[property] as Effect.Effect<unknown, unknown>)
        }
        return (...args: Array<unknown>) =>
          once((client) => (client[property] as (...args: Array<unknown>) => Effect.Effect<unknown, unknown>)(...args))
      }
    })
  )

/**
 * A gateway client that does what the reference client does: a new WebSocket, challenge and handshake for every
 * single call, closed right after.
 */
export const connectionPerCallLayer = Layer.succeed(GatewayControlPlane, {
  client: connectionPerCall,
  // Every call opens and closes its own connection already.
  probe: connectionPerCall
})
