import type { DateTime, Effect, Option } from "effect"
import { Context, Schema } from "effect"
import type { AgentId, BoardId, GatewayId, OrganizationId } from "../domain/ids.js"
import type { ActivityEvent, Agent } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** A write broke one of the agent table's uniqueness rules. */
export class DuplicateAgent extends Schema.TaggedError<DuplicateAgent>()("DuplicateAgent", {
  constraint: Schema.Literals(["board_name", "board_lead", "gateway_main", "token_digest"])
}) {}

/** The fields of an agent a write may change. */
export type AgentPatch = Partial<
  Pick<
    Agent,
    | "boardId"
    | "gatewayId"
    | "name"
    | "status"
    | "openclawSessionId"
    | "agentTokenDigest"
    | "heartbeatConfig"
    | "identityProfile"
    | "identityTemplate"
    | "soulTemplate"
    | "provisionRequestedAt"
    | "provisionConfirmTokenHash"
    | "provisionAction"
    | "lastProvisionError"
    | "lastSeenAt"
    | "lastHeartbeatAt"
    | "lifecycleGeneration"
    | "wakeAttempts"
    | "lastWakeSentAt"
    | "checkinDeadlineAt"
    | "previousTokenDigest"
    | "previousTokenValidUntil"
    | "isBoardLead"
    | "updatedAt"
  >
>

/** Which agents a listing may show and which it asks for. */
export interface AgentListFilter {
  /** Board agents of these boards are visible. */
  readonly visibleBoardIds: ReadonlyArray<BoardId>
  /** Gateway-main agents of these gateways are visible. */
  readonly visibleMainGatewayIds: ReadonlyArray<GatewayId>
  /** Only agents of this board. */
  readonly boardId?: BoardId | undefined
  /** Only agents of boards attached to this gateway, and its gateway-main agent. */
  readonly gatewayId?: GatewayId | undefined
}

/** A page of a listing, newest first, with the total count. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
}

/** Limit and offset of a page. */
export interface PageRequest {
  readonly limit: number
  readonly offset: number
}

/** Persistence of agent records. Writes are seen by `AgentChanges` subscribers once committed. */
export class AgentRepository extends Context.Service<AgentRepository, {
  readonly findById: (id: AgentId) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** The agent whose token digest this is: one indexed lookup. */
  readonly findByTokenDigest: (digest: string) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** The agent whose previous (rotated-out) token digest this is, whatever its validity: one indexed lookup. */
  readonly findByPreviousTokenDigest: (digest: string) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  readonly findLead: (boardId: BoardId) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** The gateway-main agent of a gateway (the oldest if several exist). */
  readonly findGatewayMain: (gatewayId: GatewayId) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** An agent of the board whose name equals `name` ignoring case. */
  readonly findByNameOnBoard: (
    boardId: BoardId,
    name: string
  ) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** A board agent on any board attached to the gateway whose name equals `name` ignoring case. */
  readonly findByNameInGateway: (
    gatewayId: GatewayId,
    name: string
  ) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /**
   * The oldest agent of the organization (its gateway's) named exactly `name`, optionally on one board. Agents of
   * other organizations are never found.
   */
  readonly findByExactName: (
    name: string,
    scope: { readonly organizationId: OrganizationId; readonly boardId?: BoardId | undefined }
  ) => Effect.Effect<Option.Option<Agent>, DatabaseUnavailable>
  /** Agents visible through the filter, newest first (id breaks ties). */
  readonly list: (filter: AgentListFilter, page: PageRequest) => Effect.Effect<Page<Agent>, DatabaseUnavailable>
  /** Board agents of these boards, oldest first. */
  readonly listByBoards: (boardIds: ReadonlyArray<BoardId>) => Effect.Effect<ReadonlyArray<Agent>, DatabaseUnavailable>
  /** Every agent of a gateway: its main agents and the agents of its boards. */
  readonly listByGateway: (gatewayId: GatewayId) => Effect.Effect<ReadonlyArray<Agent>, DatabaseUnavailable>
  /** Board agents of these boards updated or seen at or after `since`, by `updatedAt` ascending. */
  readonly listChangedSince: (
    boardIds: ReadonlyArray<BoardId>,
    since: DateTime.Utc
  ) => Effect.Effect<ReadonlyArray<Agent>, DatabaseUnavailable>
  /** Agents whose provisioning was requested before `before` and never completed. */
  readonly listPendingProvision: (before: DateTime.Utc) => Effect.Effect<ReadonlyArray<Agent>, DatabaseUnavailable>
  /** Agents awaiting a check-in whose deadline is at or before `before`, earliest deadline first. */
  readonly listCheckinDue: (before: DateTime.Utc) => Effect.Effect<ReadonlyArray<Agent>, DatabaseUnavailable>
  readonly insert: (agent: Agent) => Effect.Effect<void, DuplicateAgent | DatabaseUnavailable>
  /** Applies only the given fields, so concurrent writers of other fields never undo each other. */
  readonly update: (
    id: AgentId,
    patch: AgentPatch
  ) => Effect.Effect<Option.Option<Agent>, DuplicateAgent | DatabaseUnavailable>
  /**
   * `update`, and `activity` recorded with it, atomically: both or neither (none when the agent is gone). One round
   * trip on Postgres, for the hottest write there is, the heartbeat.
   */
  readonly updateWithActivity: (
    id: AgentId,
    patch: AgentPatch,
    activity: ActivityEvent
  ) => Effect.Effect<Option.Option<Agent>, DuplicateAgent | DatabaseUnavailable>
  readonly delete: (id: AgentId) => Effect.Effect<void, DatabaseUnavailable>
}>()("@mission-control/core/AgentRepository") {}
