import type { DateTime, Effect, Option, Redacted, Scope, Stream } from "effect"
import { Context, Schema } from "effect"
import type { GatewayId } from "../domain/ids.js"
import type { JsonObject } from "../domain/models.js"

/**
 * Why a gateway call failed. Implementations classify the gateway's own error texts into these, so that the core
 * decides what to tolerate or retry without matching strings.
 */
export const GatewayErrorReason = Schema.Literals([
  /** The agent or session addressed does not exist (yet). */
  "NotFound",
  /** The agent to create exists already. */
  "AlreadyExists",
  /** The gateway does not accept this workspace file. */
  "UnsupportedFile",
  /** The session is an agent's main session, which the gateway refuses to delete. */
  "MainSession",
  /** Any other refusal reported by the gateway. */
  "Rejected",
  /** The socket could not be opened, or it closed or broke under the request. */
  "Transport",
  /** No answer within the request timeout. */
  "Timeout",
  /** The gateway is restarting or starting (close 1012, startup): retry after the reconnect. */
  "Restarting",
  /** Credentials or scopes were refused. */
  "Unauthorized",
  /** A workspace file changed since it was read (`expectedHash` did not match). */
  "Conflict"
])
export type GatewayErrorReason = typeof GatewayErrorReason.Type

/**
 * A failed gateway call. `detail` says what went wrong, as every core error does; it never contains the gateway
 * token.
 */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  method: Schema.String,
  reason: GatewayErrorReason,
  detail: Schema.String,
  code: Schema.NullOr(Schema.String),
  retryable: Schema.Boolean,
  retryAfterMs: Schema.NullOr(Schema.Number)
}) {
  /** `detail`, so logs and `Cause.pretty` show it like any `Error`'s message. */
  override get message(): string {
    return this.detail
  }
}

/** Builds a gateway error with the common defaults. */
export const gatewayError = (
  method: string,
  reason: GatewayErrorReason,
  detail: string,
  extra: { readonly code?: string | null; readonly retryable?: boolean; readonly retryAfterMs?: number | null } = {}
): GatewayError =>
  new GatewayError({
    method,
    reason,
    detail,
    code: extra.code ?? null,
    retryable: extra.retryable ?? (reason === "Transport" || reason === "Timeout" || reason === "Restarting"),
    retryAfterMs: extra.retryAfterMs ?? null
  })

/** True when retrying the call may succeed. `UnsupportedFile` never is. */
export const isTransientGatewayError = (error: GatewayError): boolean =>
  error.reason !== "UnsupportedFile" &&
  (error.retryable || error.reason === "Transport" || error.reason === "Timeout" || error.reason === "Restarting")

/** Workspace files gateways of protocol 4 (OpenClaw 2026.9) accept through `agents.files.set`. */
export const protocol4WritableFiles: ReadonlySet<string> = new Set([
  "AGENTS.md",
  "SOUL.md",
  "IDENTITY.md",
  "USER.md",
  "BOOTSTRAP.md",
  "MEMORY.md"
])

/** Where a gateway is and how to authenticate to it. */
export interface GatewayTarget {
  readonly gatewayId: GatewayId
  readonly url: string
  readonly token: Redacted.Redacted<string> | null
  /** For `wss://` only: accept any certificate (self-signed, wrong host). */
  readonly allowInsecureTls: boolean
  /**
   * Connect without a device identity, as a control UI (`openclaw-control-ui`, mode `ui`, an `Origin` header); a
   * gateway that refuses control UIs without a device is connected to as a token-only backend client instead.
   */
  readonly disableDevicePairing: boolean
}

/** A file of an agent's workspace as the gateway lists it. */
export interface GatewayFileEntry {
  readonly name: string
  readonly missing: boolean
  readonly size: number | null
  /** SHA-256 hex of the content when the gateway lists it (then no read is needed to compare). */
  readonly hash: string | null
}

/** A file read from an agent's workspace. */
export interface GatewayFile {
  readonly content: string
  /** SHA-256 hex of the content when the gateway reports it. */
  readonly hash: string | null
}

/** What a gateway supports, learned from it and cached per connection. */
export interface GatewayCapabilities {
  /** Workspace files the gateway accepts through `agents.files.set`; `null` means every file. */
  readonly writableFiles: ReadonlySet<string> | null
  /** The workspace file that carries the agent's `AUTH_TOKEN=` line, read back by template sync. */
  readonly tokenFile: string
  /** The gateway's version, when it tells. */
  readonly serverVersion: string | null
  /** The protocol version negotiated. */
  readonly protocol: number | null
}

/** The methods and events a gateway announced in its handshake. */
export interface GatewayCatalog {
  readonly protocol: number
  readonly methods: ReadonlyArray<string>
  readonly events: ReadonlyArray<string>
}

/** Heartbeat settings of one gateway agent. */
export interface HeartbeatEntry {
  readonly agentId: string
  readonly workspace: string
  readonly heartbeat: JsonObject
}

/** An agent of a gateway as `agents.list` describes it. */
export interface GatewayAgentSummary {
  readonly id: string
  readonly name: string | null
  readonly workspace: string | null
}

/** An agent whose heartbeat settings on the gateway differ from the ones wanted. */
export interface HeartbeatDrift {
  readonly agentId: string
  /** The settings the gateway holds; null when it holds none for the agent. */
  readonly current: JsonObject | null
  /** The settings a `patchHeartbeats` would send, as the gateway keeps them (keys it does not know left out). */
  readonly wanted: JsonObject
}

/**
 * Which of the gateway's events showed an agent active: `health` (one of its sessions was updated, as the periodic
 * health snapshot lists it), `agent` (output of a run: assistant text, tools, a run that ended), `chat` (a reply
 * streamed or finished).
 */
export type GatewayActivityKind = "health" | "agent" | "chat"

/** Every kind of gateway activity. */
export const gatewayActivityKinds: ReadonlyArray<GatewayActivityKind> = ["health", "agent", "chat"]

/** An agent seen active in its gateway's own events. */
export interface GatewayActivity {
  /** The gateway's id of the agent (as `agents.list` names it; `<id>` of its `agent:<id>:…` session keys). */
  readonly agentId: string
  /** When the activity happened: the gateway's time when the event tells it, else when the event arrived. */
  readonly at: DateTime.Utc
  readonly kind: GatewayActivityKind
}

/** The operations the control plane performs on one gateway. */
export interface GatewayClient {
  readonly capabilities: Effect.Effect<GatewayCapabilities, GatewayError>
  readonly health: Effect.Effect<unknown, GatewayError>
  /** `agents.create`: fails `AlreadyExists` when the agent exists. */
  readonly createAgent: (
    params: { readonly agentId: string; readonly workspace: string }
  ) => Effect.Effect<void, GatewayError>
  /** `agents.update`: fails `NotFound` until a just-created agent becomes visible. */
  readonly updateAgent: (
    params: { readonly agentId: string; readonly name: string; readonly workspace: string }
  ) => Effect.Effect<void, GatewayError>
  readonly deleteAgent: (
    agentId: string,
    options: { readonly deleteFiles: boolean }
  ) => Effect.Effect<void, GatewayError>
  readonly listFiles: (agentId: string) => Effect.Effect<ReadonlyMap<string, GatewayFileEntry>, GatewayError>
  /** The file's content, or none when the gateway reports it missing. */
  readonly readFile: (agentId: string, name: string) => Effect.Effect<Option.Option<GatewayFile>, GatewayError>
  /**
   * `agents.files.set`. With `expectedHash` (the SHA-256 hex of the content being replaced) a gateway that supports
   * it refuses the write when the file changed meanwhile: `Conflict`. Gateways without it get a plain write.
   */
  readonly writeFile: (
    agentId: string,
    name: string,
    content: string,
    options?: { readonly expectedHash?: string | null | undefined }
  ) => Effect.Effect<void, GatewayError>
  /** `agents.list`: every agent the gateway has configured, ours or not. */
  readonly listAgents: Effect.Effect<ReadonlyArray<GatewayAgentSummary>, GatewayError>
  /**
   * Reads the gateway's config once and tells which of these entries a `patchHeartbeats` would change, with what the
   * gateway holds now: the reconciler's read of heartbeat settings.
   */
  readonly heartbeatDrift: (
    entries: ReadonlyArray<HeartbeatEntry>
  ) => Effect.Effect<ReadonlyArray<HeartbeatDrift>, GatewayError>
  /** Merges heartbeat settings into the gateway config; no patch at all when nothing would change. */
  readonly patchHeartbeats: (
    entries: ReadonlyArray<HeartbeatEntry>
  ) => Effect.Effect<{ readonly patched: boolean }, GatewayError>
  /** `sessions.patch`, which creates the session when missing: the session's entry as the gateway answers it. */
  readonly ensureSession: (key: string, label: string | undefined) => Effect.Effect<JsonObject, GatewayError>
  readonly resetSession: (key: string) => Effect.Effect<void, GatewayError>
  readonly deleteSession: (key: string) => Effect.Effect<void, GatewayError>
  readonly sendChat: (params: {
    readonly sessionKey: string
    readonly message: string
    readonly deliver: boolean
    readonly idempotencyKey: string
  }) => Effect.Effect<void, GatewayError>
  /** `sessions.list`: the gateway's sessions, as it describes them. */
  readonly listSessions: Effect.Effect<ReadonlyArray<JsonObject>, GatewayError>
  /** `chat.history`: a session's messages, oldest first (a never-used key has none). */
  readonly chatHistory: (sessionKey: string) => Effect.Effect<ReadonlyArray<unknown>, GatewayError>
  /** What the gateway's handshake announced: its protocol, methods and events. */
  readonly catalog: Effect.Effect<GatewayCatalog, GatewayError>
  /** `config.get` → `config.meta.lastTouchedVersion`: the version that last wrote the config, if it says. */
  readonly configVersion: Effect.Effect<string | null, GatewayError>
  /**
   * Agents' activity as the gateway's events show it, for as long as the stream runs: it connects when needed and
   * keeps the connection up, goes on across reconnects, fails when the gateway cannot be reached, and ends when the
   * connection is closed for good (its gateway row changed). Events of unknown shape are skipped.
   */
  readonly events: Stream.Stream<GatewayActivity, GatewayError>
}

/** Gives a client for any gateway row; implementations pool one connection per gateway. */
export class GatewayControlPlane extends Context.Service<
  GatewayControlPlane,
  {
    /** The pooled client of the gateway row `target.gatewayId`; a changed target replaces its connection. */
    readonly client: (target: GatewayTarget) => Effect.Effect<GatewayClient>
    /**
     * A client on a connection of its own, closed with the scope: for a target that is not a saved gateway's (a URL
     * an operator tries), which must neither replace a pooled connection nor stay in the pool.
     */
    readonly probe: (target: GatewayTarget) => Effect.Effect<GatewayClient, never, Scope.Scope>
  }
>()("@mission-control/core/GatewayControlPlane") {}
