import { Cause, Effect } from "effect"
import type { GatewayError } from "../services/GatewayControlPlane.js"
import { AttributeKey, gatewayRpcSystem } from "./attributes.js"
import { recordGatewayCall, stopwatch } from "./metrics.js"

/** The gateway a client calls, as its spans and metrics name it. */
export interface GatewayCallTarget {
  readonly gatewayId: string
  /** The gateway's URL: its host and port go on the spans (nothing else of it). */
  readonly url?: string | undefined
}

const serverAttributes = (url: string | undefined): Record<string, string | number> => {
  if (url === undefined) return {}
  try {
    const parsed = new URL(url)
    const port = parsed.port === "" ? (parsed.protocol === "wss:" ? 443 : 80) : Number(parsed.port)
    return { [AttributeKey.serverAddress]: parsed.hostname, [AttributeKey.serverPort]: port }
  } catch {
    return {}
  }
}

/** The reason a failed call failed (`error.type`): its `GatewayError`'s, or `Defect`. */
const errorTypeOf = (cause: Cause.Cause<GatewayError>): string => {
  const error = Cause.findErrorOption(cause)
  return error._tag === "Some" ? error.value.reason : "Defect"
}

/**
 * Instruments the calls of one gateway client: each call is a client span `gateway <method>` (its method, gateway
 * and server; its outcome and, when it failed, `error.type`), and is recorded in `rpc.client.duration` and, when it
 * failed, `mission_control.gateway.rpc.errors`. Parameters and results are never recorded.
 */
export const traceGatewayCalls = (target: GatewayCallTarget) => {
  const server = serverAttributes(target.url)
  return <A>(method: string, call: Effect.Effect<A, GatewayError>): Effect.Effect<A, GatewayError> =>
    Effect.useSpan(
      `gateway ${method}`,
      {
        kind: "client",
        attributes: {
          [AttributeKey.rpcSystem]: gatewayRpcSystem,
          [AttributeKey.rpcMethod]: method,
          [AttributeKey.gatewayId]: target.gatewayId,
          ...server
        }
      },
      (span) =>
        Effect.flatMap(stopwatch, (elapsed) =>
          Effect.withParentSpan(call, span, { captureStackTrace: false }).pipe(
            Effect.onExit((exit) => {
              // A call its caller gave up on (a sync stopped, a client gone) says nothing about the gateway.
              if (exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause)) return Effect.void
              const errorType = exit._tag === "Success" ? null : errorTypeOf(exit.cause)
              span.attribute(AttributeKey.outcome, errorType === null ? "ok" : "error")
              if (errorType !== null) span.attribute(AttributeKey.errorType, errorType)
              return recordGatewayCall(target.gatewayId, method, elapsed(), errorType)
            })
          ))
    )
}
