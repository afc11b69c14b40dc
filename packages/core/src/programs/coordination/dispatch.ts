import { Effect } from "effect"
import type { AgentId } from "../../domain/ids.js"
import type { GatewayTimeout } from "../../errors.js"
import { GatewayFailure } from "../../errors.js"
import type { GatewayClient, GatewayError, GatewayTarget } from "../../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../../services/GatewayControlPlane.js"
import { Settings } from "../../Settings.js"
import { newUuid, recordActivity } from "../common.js"
import { publicGatewayErrorText, retryTransient } from "../retry.js"

/**
 * A failed gateway call as the reference answers a coordination route: 502 `<prefix>: <error>`, the error in the
 * words callers may see (a transport failure only "unreachable").
 */
export const coordinationFailure = (prefix: string) => (error: GatewayError | GatewayTimeout): GatewayFailure =>
  new GatewayFailure({ detail: `${prefix}: ${publicGatewayErrorText(error)}` })

/**
 * Runs `call` on the gateway of `target` under the coordination retry (transient errors, until its deadline). No
 * database transaction is open around it: callers write before or after.
 */
export const onGateway = <A>(
  target: GatewayTarget,
  call: (client: GatewayClient) => Effect.Effect<A, GatewayError>
): Effect.Effect<A, GatewayError | GatewayTimeout, GatewayControlPlane> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const controlPlane = yield* GatewayControlPlane
    const client = yield* controlPlane.client(target)
    return yield* call(client).pipe(retryTransient(settings.operationRetry))
  })

/** A chat message to one session of a gateway. */
export interface SessionMessage {
  readonly sessionKey: string
  /** The session's label, made sure of before the message is sent. */
  readonly label: string
  readonly message: string
  /** Whether the gateway delivers the agent's answer to the user's channels. */
  readonly deliver: boolean
}

/**
 * Makes sure of the session, then sends the message. Every attempt carries the same idempotency key, so a send the
 * gateway took before its answer was lost is not delivered twice by the retry.
 */
export const sendToSession = (target: GatewayTarget, message: SessionMessage) =>
  Effect.flatMap(newUuid<string>(), (idempotencyKey) =>
    onGateway(target, (client) =>
      Effect.andThen(
        client.ensureSession(message.sessionKey, message.label),
        client.sendChat({
          sessionKey: message.sessionKey,
          message: message.message,
          deliver: message.deliver,
          idempotencyKey
        })
      )))

/** A failure of the gateway: a call's own error, its retry's deadline, or a provisioning that failed on it. */
export type GatewayProblem = GatewayError | GatewayTimeout | GatewayFailure

const isGatewayProblem = (error: unknown): error is GatewayProblem =>
  typeof error === "object" && error !== null && "_tag" in error &&
  (error._tag === "GatewayError" || error._tag === "GatewayTimeout" || error._tag === "GatewayFailure")

/** A gateway problem in the words callers may see. */
export const problemText = (problem: GatewayProblem): string =>
  problem._tag === "GatewayFailure" ? problem.detail : publicGatewayErrorText(problem)

/**
 * `effect` with its gateway problems recorded in the activity log (`event`, `message(<error>)`, by the acting agent)
 * and answered 502 `<prefix>: <error>`; its other failures pass through.
 */
export const recordingGatewayFailure = (options: {
  readonly prefix: string
  readonly event: string
  readonly message: (error: string) => string
  readonly actorId: AgentId
}) =>
<A, E, R>(effect: Effect.Effect<A, E, R>) =>
  // The cast is the refinement's Exclude, which TypeScript cannot compute for a generic `E`.
  Effect.catchIf(effect as Effect.Effect<A, unknown, R>, isGatewayProblem, (problem) => {
    const text = problemText(problem)
    return Effect.andThen(
      recordActivity(options.event, options.message(text), options.actorId),
      Effect.fail(new GatewayFailure({ detail: `${options.prefix}: ${text}` }))
    )
  }) as Effect.Effect<
    A,
    Exclude<E, GatewayProblem> | GatewayFailure | Effect.Error<ReturnType<typeof recordActivity>>,
    R | Effect.Services<ReturnType<typeof recordActivity>>
  >
