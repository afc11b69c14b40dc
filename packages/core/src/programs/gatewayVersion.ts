import { Effect } from "effect"
import type { GatewayClient, GatewayError } from "../services/GatewayControlPlane.js"
import { Settings } from "../Settings.js"

// Gateways are versioned by date: `2026.9.6`, `2026.2.9-1` (a revision of the same day), optionally with a leading
// `v`. Anything else (`2026.9.6-beta`, `dev`) is a version we cannot compare.
const calVerPattern = /^v?(\d{4})\.(\d{1,2})\.(\d{1,2})(?:-(\d+))?$/i

/** The parts of a CalVer version (year, month, day, revision), or undefined when it is not one. */
export const parseCalVer = (value: string): readonly [number, number, number, number] | undefined => {
  const match = calVerPattern.exec(value.trim())
  if (match === null) return undefined
  const [year, month, day, revision] = [match[1], match[2], match[3], match[4] ?? "0"].map(Number) as [
    number,
    number,
    number,
    number
  ]
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined
  return [year, month, day, revision]
}

/** Negative, zero or positive as `left` is older than, the same as, or newer than `right`. */
export const compareCalVer = (
  left: readonly [number, number, number, number],
  right: readonly [number, number, number, number]
): number => {
  for (let index = 0; index < 4; index++) {
    const difference = left[index]! - right[index]!
    if (difference !== 0) return difference
  }
  return 0
}

/** Whether a gateway's version is supported, and if not, why (the `message` the API answers). */
export interface GatewayVersionVerdict {
  readonly compatible: boolean
  readonly minimumVersion: string
  readonly currentVersion: string | null
  readonly message: string | null
}

/** Judges a reported version against the minimum; `minimum` itself must be CalVer. */
export const evaluateGatewayVersion = (current: string | null, minimum: string): GatewayVersionVerdict => {
  const minimumVersion = minimum.trim()
  const verdict = (message: string | null): GatewayVersionVerdict => ({
    compatible: message === null,
    minimumVersion,
    currentVersion: current,
    message
  })
  const minimumParts = parseCalVer(minimumVersion)
  if (minimumParts === undefined) {
    return verdict(
      "Server configuration error: GATEWAY_MIN_VERSION is invalid. " +
        `Expected CalVer 'YYYY.M.D' or 'YYYY.M.D-REV', got '${minimumVersion}'.`
    )
  }
  if (current === null) {
    return verdict(
      `Unable to determine gateway version from runtime metadata. Minimum supported version is ${minimumVersion}.`
    )
  }
  const currentParts = parseCalVer(current)
  if (currentParts === undefined) {
    return verdict(
      `Gateway reported an unsupported version format '${current}'. Minimum supported version is ${minimumVersion}.`
    )
  }
  if (compareCalVer(currentParts, minimumParts) < 0) {
    return verdict(`Gateway version ${current} is not supported. Minimum supported version is ${minimumVersion}.`)
  }
  return verdict(null)
}

/**
 * The gateway's version: `server.version` of its handshake, else, when that is missing or not CalVer, the version
 * that last wrote its config (`config.meta.lastTouchedVersion`; a failing `config.get` only loses the fallback).
 */
export const gatewayVersionOf = (client: GatewayClient): Effect.Effect<string | null, GatewayError> =>
  Effect.gen(function*() {
    const reported = (yield* client.capabilities).serverVersion?.trim() || null
    if (reported !== null && parseCalVer(reported) !== undefined) return reported
    const fallback = yield* client.configVersion.pipe(Effect.orElseSucceed(() => null))
    return fallback ?? reported
  })

/** The verdict on the gateway's version against `Settings.gatewayMinVersion`. */
export const checkGatewayVersion = (client: GatewayClient): Effect.Effect<GatewayVersionVerdict, GatewayError> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    return evaluateGatewayVersion(yield* gatewayVersionOf(client), settings.gatewayMinVersion)
  })
