import { Duration, Effect, Schedule } from "effect"
import { GatewayFailure, Unprocessable } from "../errors.js"
import type { GatewayError, GatewayTarget } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane, isTransientGatewayError } from "../services/GatewayControlPlane.js"
import { checkGatewayVersion } from "./gatewayVersion.js"
import { describeDeadline } from "./retry.js"

/**
 * How long checking a gateway an admin is saving may take, retries included. A gateway that is up answers in
 * milliseconds; one restarting is back within seconds; one that refuses connections is reported now, not after the
 * minute-long deadline of the work on gateways already saved.
 */
export const gatewayCheckDeadline = Duration.seconds(5)

/** The gateway's URL without credentials or query, as error texts name it. */
export const displayGatewayUrl = (url: string): string => {
  if (!URL.canParse(url)) return "<invalid gateway url>"
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`
}

/**
 * What went wrong under a transport failure, in words: the cause, never the address it resolved to (`connect
 * ECONNREFUSED 10.0.0.7:2` would tell an admin what a host name stands for inside the network).
 */
export const transportCause = (detail: string): string => {
  if (/ECONNREFUSED/.test(detail)) return "connection refused"
  if (/ENOTFOUND|EAI_AGAIN/.test(detail)) return "host not found"
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(detail)) return "host unreachable"
  if (/ECONNRESET|closed/i.test(detail)) return "connection closed by the gateway"
  return "connection failed"
}

const checkFailureText = (url: string, error: GatewayError): string => {
  const at = displayGatewayUrl(url)
  switch (error.reason) {
    case "Transport":
      return `cannot reach the gateway at ${at} (${transportCause(error.detail)})`
    case "Timeout":
      return `the gateway at ${at} did not answer (${error.detail})`
    case "Restarting":
      return `the gateway at ${at} is restarting; try again (${error.detail})`
    default:
      return error.detail
  }
}

const transientSchedule = Schedule.exponential("250 millis", 2).pipe(
  Schedule.upTo({ duration: gatewayCheckDeadline }),
  Schedule.while(({ input }: { readonly input: GatewayError }) => isTransientGatewayError(input))
)

/**
 * Checks a gateway an admin is saving, on a connection of its own (a refused candidate never replaces the pooled
 * connection of a saved gateway, nor leaves one behind): it answers, takes our token, and runs a supported version.
 * Fails within `gatewayCheckDeadline` with 502 `<failurePrefix>: <what failed, naming the URL>`, or 422 for an
 * unsupported version.
 */
export const requireSupportedGateway = Effect.fnUntraced(function*(target: GatewayTarget, failurePrefix: string) {
  const controlPlane = yield* GatewayControlPlane
  const failure = (text: string) => new GatewayFailure({ detail: `${failurePrefix}: ${text}` })
  // What the gateway last answered, for when the deadline comes while it is still being retried.
  let lastError: GatewayError | undefined
  const verdict = yield* Effect.scoped(Effect.flatMap(controlPlane.probe(target), checkGatewayVersion)).pipe(
    Effect.tapError((error) => Effect.sync(() => void (lastError = error))),
    Effect.retry(transientSchedule),
    Effect.mapError((error) => failure(checkFailureText(target.url, error))),
    Effect.timeoutOrElse({
      duration: gatewayCheckDeadline,
      orElse: () =>
        Effect.fail(failure(
          lastError === undefined
            ? `the gateway at ${displayGatewayUrl(target.url)} did not answer within ${
              describeDeadline(gatewayCheckDeadline)
            }`
            : checkFailureText(target.url, lastError)
        ))
    })
  )
  if (!verdict.compatible) {
    return yield* new Unprocessable({ detail: verdict.message ?? "Gateway runtime version is not supported." })
  }
})
