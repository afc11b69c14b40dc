import type { DateTime } from "effect"
import { defaultHeartbeatConfig } from "./identity.js"
import type { AgentId, BoardId, GatewayId } from "./ids.js"
import type { IdentityProfile, JsonObject } from "./models.js"
import { Agent } from "./models.js"

/** What sets one new agent apart from another; a worker, a board lead and a gateway-main agent all start alike. */
export interface PendingAgentFields {
  readonly id: AgentId
  /** Null for the gateway-main agent. */
  readonly boardId: BoardId | null
  readonly gatewayId: GatewayId
  readonly name: string
  readonly openclawSessionId: string
  readonly provisionAction: "provision" | "update"
  readonly isBoardLead?: boolean
  /** The default heartbeat when null or absent. */
  readonly heartbeatConfig?: JsonObject | null
  readonly identityProfile?: IdentityProfile | null
  readonly identityTemplate?: string | null
  readonly soulTemplate?: string | null
}

/**
 * A new agent record, not yet provisioned: status `provisioning`, provisioning requested at `at`, no token, never
 * seen. Provisioning (`provisionAgentRecord`) completes it.
 */
export const pendingAgent = (fields: PendingAgentFields, at: DateTime.Utc): Agent =>
  new Agent({
    id: fields.id,
    boardId: fields.boardId,
    gatewayId: fields.gatewayId,
    name: fields.name,
    status: "provisioning",
    openclawSessionId: fields.openclawSessionId,
    agentTokenDigest: null,
    heartbeatConfig: fields.heartbeatConfig ?? defaultHeartbeatConfig(),
    identityProfile: fields.identityProfile ?? null,
    identityTemplate: fields.identityTemplate ?? null,
    soulTemplate: fields.soulTemplate ?? null,
    provisionRequestedAt: at,
    provisionConfirmTokenHash: null,
    provisionAction: fields.provisionAction,
    lastProvisionError: null,
    deleteRequestedAt: null,
    deleteConfirmTokenHash: null,
    lastSeenAt: null,
    lastHeartbeatAt: null,
    lifecycleGeneration: 0,
    wakeAttempts: 0,
    lastWakeSentAt: null,
    checkinDeadlineAt: null,
    previousTokenDigest: null,
    previousTokenValidUntil: null,
    isBoardLead: fields.isBoardLead ?? false,
    createdAt: at,
    updatedAt: at
  })
