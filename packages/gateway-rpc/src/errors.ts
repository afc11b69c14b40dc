import type { GatewayError, GatewayErrorReason } from "@mission-control/core"
import { gatewayError } from "@mission-control/core"
import type { GatewayErrorShape } from "./protocol.js"

// The gateway reports most conditions as plain text (`agent "x" not found`): this is the one place that reads it.
const patterns: ReadonlyArray<readonly [RegExp, GatewayErrorReason]> = [
  [/already exists/i, "AlreadyExists"],
  [/changed since it was read/i, "Conflict"],
  [/unsupported file/i, "UnsupportedFile"],
  [/cannot delete the main session/i, "MainSession"],
  [/missing scope|unauthori[sz]ed|not paired|pairing required|token mismatch/i, "Unauthorized"],
  [
    /not found|no longer exists in configuration|unknown agent|no such agent|unknown session|no such session|session does not exist/i,
    "NotFound"
  ],
  [/gateway starting|service restart|restarting/i, "Restarting"]
]

const detailsType = (details: unknown): string =>
  typeof details === "object" && details !== null && "type" in details
    ? String((details as { readonly type: unknown }).type)
    : ""

/** Removes every occurrence of a secret from a text. */
export const redactSecret = (text: string, secret: string | null): string =>
  secret === null || secret === "" ? text : text.split(secret).join("<redacted>")

/** A gateway's error reply as a core `GatewayError`. */
export const remoteError = (
  method: string,
  error: GatewayErrorShape | undefined,
  secret: string | null
): GatewayError => {
  const detail = redactSecret(error?.message ?? "Gateway error", secret)
  const code = error?.code ?? null
  const detailsCode = typeof error?.details === "object" && error.details !== null && "code" in error.details
    ? String((error.details as { readonly code: unknown }).code)
    : ""
  let reason: GatewayErrorReason = patterns.find(([pattern]) => pattern.test(detail))?.[1] ?? "Rejected"
  if (detailsType(error?.details) === "agent_file_conflict") reason = "Conflict"
  if (
    code === "FORBIDDEN" || code === "NOT_PAIRED" || detailsCode.startsWith("AUTH_") || detailsCode === "MISSING_SCOPE"
  ) {
    reason = "Unauthorized"
  }
  const retryable = error?.retryable === true || code === "UNAVAILABLE"
  return gatewayError(method, reason, detail, {
    code,
    retryable: reason === "Restarting" || (retryable && reason !== "Unauthorized"),
    retryAfterMs: typeof error?.retryAfterMs === "number" ? error.retryAfterMs : null
  })
}

/** A transport failure (socket error or close) as a core `GatewayError`. */
export const transportError = (
  method: string,
  detail: string,
  secret: string | null,
  closeCode?: number
): GatewayError =>
  closeCode === 1012 || closeCode === 1013
    ? gatewayError(
      method,
      "Restarting",
      redactSecret(`connection closed: received ${closeCode} (service restart) ${detail}`.trim(), secret)
    )
    : gatewayError(method, "Transport", redactSecret(detail, secret))
