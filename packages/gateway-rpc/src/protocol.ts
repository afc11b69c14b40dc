// The frames of the OpenClaw gateway WebSocket protocol, as a control plane uses them.

/** Protocol versions this client speaks; it sends the range and reads what the gateway chose. */
export const minProtocol = 3
export const maxProtocol = 4

/** Heartbeat keys a protocol-4 gateway accepts per agent (it rejects any other, such as `includeReasoning`). */
export const protocol4HeartbeatKeys: ReadonlySet<string> = new Set([
  "every",
  "activeHours",
  "model",
  "session",
  "target",
  "directPolicy",
  "to",
  "accountId",
  "prompt",
  "timeoutSeconds",
  "lightContext",
  "isolatedSession"
])

/** An error as the gateway reports it. */
export interface GatewayErrorShape {
  readonly code?: string
  readonly message?: string
  readonly details?: unknown
  readonly retryable?: boolean
  readonly retryAfterMs?: number
}

export interface RequestFrame {
  readonly type: "req"
  readonly id: string
  readonly method: string
  readonly params: unknown
}

export interface ResponseFrame {
  readonly type: "res"
  readonly id: string
  readonly ok: boolean
  readonly payload?: unknown
  readonly error?: GatewayErrorShape
}

export interface EventFrame {
  readonly type: "event"
  readonly event: string
  readonly payload?: unknown
  readonly seq?: number
}

export type Frame = RequestFrame | ResponseFrame | EventFrame

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Parses a text frame; anything that is not one of the three frame types is `undefined`. */
export const parseFrame = (text: string): Frame | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(value)) return undefined
  if (value["type"] === "res" && typeof value["id"] === "string") return value as unknown as ResponseFrame
  if (value["type"] === "event" && typeof value["event"] === "string") return value as unknown as EventFrame
  if (value["type"] === "req" && typeof value["id"] === "string" && typeof value["method"] === "string") {
    return value as unknown as RequestFrame
  }
  return undefined
}

/** What the gateway said about itself in `hello-ok`. */
export interface HelloInfo {
  readonly protocol: number
  readonly serverVersion: string | null
  readonly methods: ReadonlyArray<string>
  readonly events: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  readonly tickIntervalMs: number
}

/** Reads the `hello-ok` payload. */
export const parseHello = (payload: unknown): HelloInfo => {
  const hello = isObject(payload) ? payload : {}
  const server = isObject(hello["server"]) ? hello["server"] : {}
  const features = isObject(hello["features"]) ? hello["features"] : {}
  const auth = isObject(hello["auth"]) ? hello["auth"] : {}
  const policy = isObject(hello["policy"]) ? hello["policy"] : {}
  const strings = (value: unknown) => Array.isArray(value) ? value.filter((item) => typeof item === "string") : []
  return {
    protocol: typeof hello["protocol"] === "number" ? hello["protocol"] : minProtocol,
    serverVersion: typeof server["version"] === "string" ? server["version"] : null,
    methods: strings(features["methods"]),
    events: strings(features["events"]),
    scopes: strings(auth["scopes"]),
    tickIntervalMs: typeof policy["tickIntervalMs"] === "number" ? policy["tickIntervalMs"] : 30_000
  }
}

export { isObject }
