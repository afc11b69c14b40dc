import { DateTime, Effect, Equal, Option } from "effect"
import type { BoardUpdate } from "../domain/boardWire.js"
import type { BoardId, GatewayId, OrganizationId } from "../domain/ids.js"
import type { Agent, JsonObject, User } from "../domain/models.js"
import { Board, boardDefaults } from "../domain/models.js"
import { formatTimestamp } from "../domain/wire.js"
import {
  Conflict,
  Forbidden,
  GatewayFailure,
  Internal,
  NotFound,
  reason,
  Unauthorized,
  Unprocessable
} from "../errors.js"
import { annotate, AttributeKey, boardAttributes } from "../observability/attributes.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { withAgentLocks } from "../services/AgentLocks.js"
import type { PageRequest } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import type { GatewayTarget } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import {
  gatewayTarget,
  listAccessibleBoardIds,
  requireBoardAccess,
  requireGateway,
  requireOrgAdmin,
  requireUserContext
} from "./access.js"
import { newUuid, now, pageResult, recordActivity } from "./common.js"
import { retryTransient } from "./retry.js"
import { deleteAgentLifecycle, pythonJson } from "./workspaceLifecycle.js"

/** The fields of a new board; those left out take the reference's defaults. */
export interface BoardInput {
  readonly name: string
  readonly slug: string
  readonly description: string
  readonly gatewayId: GatewayId | null
  readonly boardGroupId?: string | null | undefined
  readonly boardType?: string | undefined
  readonly objective?: string | null | undefined
  readonly successMetrics?: JsonObject | null | undefined
  readonly targetDate?: DateTime.Utc | null | undefined
  readonly goalConfirmed?: boolean | undefined
  readonly goalSource?: string | null | undefined
  readonly requireApprovalForDone?: boolean | undefined
  readonly requireReviewBeforeDone?: boolean | undefined
  readonly commentRequiredForReview?: boolean | undefined
  readonly blockStatusChangesWithPendingApproval?: boolean | undefined
  readonly onlyLeadCanChangeStatus?: boolean | undefined
  readonly maxAgents?: number | undefined
}

const gatewayMainRequired = "gateway must have a gateway main agent before boards can be created or updated"

/** The board of `boardId` (404 "Not Found"), which the user may read (or write): 403 "No org access" / "Board access denied". */
export const requireUserBoard = Effect.fnUntraced(function*(user: User | null, boardId: BoardId, write: boolean) {
  if (user === null) return yield* new Unauthorized({ detail: reason.unauthorized })
  const boards = yield* BoardRepository
  const board = yield* boards.findById(boardId)
  if (Option.isNone(board)) return yield* new NotFound({ detail: reason.notFound })
  yield* requireBoardAccess(user, board.value, write)
  return board.value
})

/** A gateway of the organization with its gateway-main agent: what a board may be attached to (422s otherwise). */
const requireBoardGateway = Effect.fnUntraced(function*(gatewayId: GatewayId, organizationId: OrganizationId) {
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== organizationId) {
    return yield* new Unprocessable({ detail: "gateway_id is invalid" })
  }
  const agents = yield* AgentRepository
  if (Option.isNone(yield* agents.findGatewayMain(gatewayId))) {
    return yield* new Unprocessable({ detail: gatewayMainRequired })
  }
  return gateway.value
})

// Mission Control keeps no board groups: any group id names one that does not exist, as the reference answers it.
const requireNoBoardGroup = (boardGroupId: string | null | undefined) =>
  boardGroupId === null || boardGroupId === undefined
    ? Effect.void
    : Effect.fail(new Unprocessable({ detail: "board_group_id is invalid" }))

// The body's own rules (the HTTP API checks them on decoding), for hosts calling the program directly.
const checkBoardInput = (input: BoardInput) => {
  if (input.description.trim() === "") return Effect.fail(new Unprocessable({ detail: "description is required" }))
  if (input.gatewayId === null) return Effect.fail(new Unprocessable({ detail: "gateway_id is required" }))
  if (
    (input.boardType ?? "goal") === "goal" && input.goalConfirmed === true &&
    (!input.objective || !input.successMetrics)
  ) {
    return Effect.fail(new Unprocessable({ detail: "Confirmed goal boards require objective and success_metrics" }))
  }
  return Effect.succeed(input.gatewayId)
}

/**
 * Boards of the user's organization that the member may read, by name (ignoring case) then newest first;
 * optionally only those on one gateway. A board group filter matches nothing: there are no board groups.
 */
export const listBoards = Effect.fn("listBoards")(function*(
  user: User | null,
  filter: { readonly gatewayId?: GatewayId | undefined; readonly boardGroupId?: string | undefined },
  page: PageRequest
) {
  const context = yield* requireUserContext(user)
  if (filter.boardGroupId !== undefined) return pageResult<Board>({ items: [], total: 0 }, page)
  const member = context.member
  const boardIds = member.allBoardsRead || member.allBoardsWrite
    ? undefined
    : yield* listAccessibleBoardIds(member, false)
  const boards = yield* BoardRepository
  return pageResult(
    yield* boards.list({
      organizationId: context.organization.id,
      boardIds,
      gatewayId: filter.gatewayId,
      order: "name"
    }, page),
    page
  )
})

/** One board the user may read. */
export const getBoard = Effect.fn("getBoard")(function*(user: User | null, boardId: BoardId) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  return yield* requireUserBoard(user, boardId, false)
})

/**
 * Creates a board in the admin's organization, on a gateway of it that has its gateway-main agent (422
 * "gateway_id is invalid" / "gateway must have a gateway main agent …"). Provisions nothing: a lead comes with
 * `ensureBoardLead`.
 */
export const createBoard = Effect.fn("createBoard")(function*(user: User | null, input: BoardInput) {
  const context = yield* requireOrgAdmin(user)
  const gatewayId = yield* checkBoardInput(input)
  yield* requireBoardGateway(gatewayId, context.organization.id)
  yield* requireNoBoardGroup(input.boardGroupId)
  const at = yield* now
  const board = new Board({
    id: yield* newUuid<BoardId>(),
    organizationId: context.organization.id,
    name: input.name,
    slug: input.slug,
    description: input.description.trim(),
    gatewayId,
    boardType: input.boardType ?? "goal",
    objective: input.objective ?? null,
    successMetrics: input.successMetrics ?? null,
    targetDate: input.targetDate ?? null,
    goalConfirmed: input.goalConfirmed ?? false,
    goalSource: input.goalSource ?? boardDefaults.goalSource,
    boardGroupId: null,
    requireApprovalForDone: input.requireApprovalForDone ?? boardDefaults.requireApprovalForDone,
    requireReviewBeforeDone: input.requireReviewBeforeDone ?? boardDefaults.requireReviewBeforeDone,
    commentRequiredForReview: input.commentRequiredForReview ?? boardDefaults.commentRequiredForReview,
    blockStatusChangesWithPendingApproval: input.blockStatusChangesWithPendingApproval ??
      boardDefaults.blockStatusChangesWithPendingApproval,
    onlyLeadCanChangeStatus: input.onlyLeadCanChangeStatus ?? boardDefaults.onlyLeadCanChangeStatus,
    maxAgents: input.maxAgents ?? boardDefaults.maxAgents,
    createdAt: at,
    updatedAt: at
  })
  yield* annotate(boardAttributes(board))
  yield* Effect.flatMap(BoardRepository, (boards) => boards.insert(board))
  return board
})

// The update's fields under the reference's names, in the order its change message sorts them.
const updatableFields = {
  block_status_changes_with_pending_approval: "blockStatusChangesWithPendingApproval",
  board_group_id: "boardGroupId",
  board_type: "boardType",
  comment_required_for_review: "commentRequiredForReview",
  description: "description",
  gateway_id: "gatewayId",
  goal_confirmed: "goalConfirmed",
  goal_source: "goalSource",
  max_agents: "maxAgents",
  name: "name",
  objective: "objective",
  only_lead_can_change_status: "onlyLeadCanChangeStatus",
  require_approval_for_done: "requireApprovalForDone",
  require_review_before_done: "requireReviewBeforeDone",
  slug: "slug",
  success_metrics: "successMetrics",
  target_date: "targetDate"
} as const satisfies Record<string, keyof BoardUpdate & keyof Board>

type UpdatableValue = Board[(typeof updatableFields)[keyof typeof updatableFields]]

const sortedKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])])
  )
}

/** A field's value as the reference's board-change message writes it. */
const fieldText = (value: UpdatableValue): string => {
  if (value === null) return "null"
  if (typeof value === "boolean") return value ? "true" : "false"
  if (DateTime.isDateTime(value)) return formatTimestamp(value)
  if (typeof value === "object") return pythonJson(sortedKeys(value))
  return String(value)
}

const sameValue = (left: UpdatableValue, right: UpdatableValue): boolean => {
  if (DateTime.isDateTime(left) && DateTime.isDateTime(right)) return DateTime.Equivalence(left, right)
  if (typeof left === "object" && left !== null && typeof right === "object" && right !== null) {
    return JSON.stringify(sortedKeys(left)) === JSON.stringify(sortedKeys(right))
  }
  return Equal.equals(left, right)
}

/** The message a board's lead gets when the board changed. */
export const boardUpdateMessage = (
  board: Board,
  changes: ReadonlyArray<readonly [field: string, previous: UpdatableValue, current: UpdatableValue]>
): string =>
  [
    "BOARD UPDATED",
    `Board: ${board.name}`,
    `Board ID: ${board.id}`,
    "",
    "Changed fields:",
    ...changes.map(([field, previous, current]) => `- ${field}: ${fieldText(previous)} -> ${fieldText(current)}`),
    "",
    "Take action: review the board changes and adjust plan/assignments as needed."
  ].join("\n")

/**
 * The board's gateway when messages can reach it: attached, of the board's organization, with a URL. Its absence is
 * no error: messages to board agents are best effort.
 */
export const boardGatewayTarget = Effect.fnUntraced(function*(board: Board) {
  if (board.gatewayId === null) return Option.none<GatewayTarget>()
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(board.gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== board.organizationId) {
    return Option.none<GatewayTarget>()
  }
  return yield* gatewayTarget(gateway.value).pipe(
    Effect.map(Option.some),
    Effect.catchTag("Unprocessable", () => Effect.succeed(Option.none<GatewayTarget>()))
  )
})

/**
 * Sends `message` to an agent's session (opened with the agent's name as its label), once. The gateway's failure is
 * the answer's, not an error: board messages are best effort.
 */
export const trySendToAgent = Effect.fnUntraced(function*(
  agent: Agent,
  target: GatewayTarget,
  message: string,
  deliver: boolean
) {
  const sessionKey = agent.openclawSessionId?.trim() ?? ""
  if (sessionKey === "") return Option.none<string>()
  const controlPlane = yield* GatewayControlPlane
  const client = yield* controlPlane.client(target)
  const idempotencyKey = yield* newUuid<string>()
  return yield* client.ensureSession(sessionKey, agent.name).pipe(
    Effect.andThen(client.sendChat({ sessionKey, message, deliver, idempotencyKey })),
    Effect.as(Option.none<string>()),
    Effect.catch((error) => Effect.succeed(Option.some(error.detail))),
    // Best effort: a gateway that does not answer must not hold the request that wrote the message.
    Effect.timeoutOrElse({
      duration: chatDeliveryTimeout,
      orElse: () => Effect.succeed(Option.some(`Gateway did not answer within ${chatDeliveryTimeout}`))
    })
  )
})

/** How long a best-effort message to an agent may take before it is given up. */
export const chatDeliveryTimeout = "10 seconds"

/** Agents a board message is sent to at once. */
export const chatDeliveryConcurrency = 4

const notifyLead = Effect.fnUntraced(function*(
  board: Board,
  changes: ReadonlyArray<readonly [string, UpdatableValue, UpdatableValue]>
) {
  const agents = yield* AgentRepository
  const lead = yield* agents.findLead(board.id)
  if (Option.isNone(lead) || (lead.value.openclawSessionId?.trim() ?? "") === "") return
  const target = yield* boardGatewayTarget(board)
  if (Option.isNone(target)) return
  const failure = yield* trySendToAgent(lead.value, target.value, boardUpdateMessage(board, changes), false)
  yield* Option.isNone(failure)
    ? recordActivity("board.lead_notified", `Lead agent notified for board update: ${board.name}.`, lead.value.id)
    : recordActivity(
      "board.lead_notify_failed",
      `Lead board update notify failed for ${board.name}: ${failure.value}`,
      lead.value.id
    )
})

/**
 * Changes a board the user may write, with the reference's checks in its order (a new gateway of the organization
 * with its gateway-main agent; no board group; a goal board needs its objective and metrics), then tells the board's
 * lead what changed (best effort, recorded in the activity log). Moving the board to another gateway changes the
 * column only, as the reference does: its agents are neither moved nor re-provisioned.
 */
export const updateBoard = Effect.fn("updateBoard")(function*(
  user: User | null,
  boardId: BoardId,
  patch: BoardUpdate
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const existing = yield* requireUserBoard(user, boardId, true)
  if (patch.gatewayId === null) return yield* new Unprocessable({ detail: "gateway_id is required" })
  if (patch.description === null || (patch.description !== undefined && patch.description.trim() === "")) {
    return yield* new Unprocessable({ detail: "description is required" })
  }
  if (patch.gatewayId !== undefined) yield* requireBoardGateway(patch.gatewayId, existing.organizationId)
  yield* requireNoBoardGroup(patch.boardGroupId)
  const changes: Array<readonly [string, UpdatableValue, UpdatableValue]> = []
  const fields: Record<string, unknown> = {}
  for (const [wireName, key] of Object.entries(updatableFields)) {
    if (!(key in patch)) continue
    const value = (key === "description" ? patch.description?.trim() : patch[key]) as UpdatableValue
    fields[key] = value
    if (!sameValue(existing[key], value)) changes.push([wireName, existing[key], value])
  }
  const board = new Board({ ...existing, ...fields, updatedAt: yield* now })
  if (patch.boardType === "goal" && (!board.objective || !board.successMetrics)) {
    return yield* new Unprocessable({ detail: "Goal boards require objective and success_metrics" })
  }
  if (board.gatewayId === null) return yield* new Unprocessable({ detail: "gateway_id is required" })
  yield* requireBoardGateway(board.gatewayId, board.organizationId)
  const written = yield* Effect.flatMap(
    BoardRepository,
    (boards) => boards.update(board, [...Object.keys(fields) as Array<keyof Board>, "updatedAt"])
  )
  if (!written) return yield* new NotFound({ detail: "Board not found" })
  if (changes.length > 0) yield* notifyLead(board, changes)
  return board
})

/**
 * Deletes a board and what depends on it, as the reference does: when it has a gateway (422s of `requireGateway`
 * when that is unusable), each of its agents, the lead among them, is removed from the gateway first (an agent the
 * gateway no longer knows counts as removed; any other failure is 502 "Gateway cleanup failed: …" and nothing is
 * deleted from the database); then, in one transaction, its tasks (and their activity entries), its agents and the
 * board with its memory and access grants.
 */
export const deleteBoardRecord = Effect.fn("deleteBoardRecord")(function*(board: Board) {
  yield* annotate(boardAttributes(board))
  const settings = yield* Settings
  const agents = yield* AgentRepository
  const boardAgents = yield* agents.listByBoards([board.id])
  if (board.gatewayId !== null) {
    const { gateway } = yield* requireGateway(board)
    for (const agent of boardAgents) {
      yield* withAgentLocks(agent.id)(
        deleteAgentLifecycle(agent, gateway).pipe(
          retryTransient(settings.operationRetry),
          Effect.mapError((error) =>
            error._tag === "ProvisioningFault"
              ? new Internal({ detail: `Workspace cleanup failed: ${error.detail}` })
              : new GatewayFailure({ detail: `Gateway cleanup failed: ${error.detail}` })
          )
        )
      )
    }
  }
  const tasks = yield* TaskRepository
  const activity = yield* ActivityRepository
  const boards = yield* BoardRepository
  const transactor = yield* Transactor
  yield* transactor.withTransaction(Effect.gen(function*() {
    const at = yield* now
    yield* tasks.deleteByBoard(board.id)
    for (const agent of boardAgents) {
      yield* tasks.releaseAgentTasks(agent.id, at)
      yield* activity.detachAgent(agent.id)
      yield* agents.delete(agent.id)
    }
    // An agent created on the board while its agents were being removed keeps it: nothing of this is committed.
    if (!(yield* boards.delete(board.id))) {
      return yield* new Conflict({ detail: "An agent was added to the board while it was being deleted; try again" })
    }
  }))
}, Effect.asVoid)

/** Deletes a board the user may write (see `deleteBoardRecord`). */
export const deleteBoard = Effect.fn("deleteBoard")(function*(user: User | null, boardId: BoardId) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const board = yield* requireUserBoard(user, boardId, true)
  yield* deleteBoardRecord(board)
}, Effect.asVoid)

/** The organization an agent acts in: its gateway's (403 when the gateway is gone). */
const agentOrganization = Effect.fnUntraced(function*(agent: Agent) {
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(agent.gatewayId)
  if (Option.isNone(gateway)) {
    return yield* new Forbidden({ detail: "Agent gateway not found; cannot determine organization scope." })
  }
  return gateway.value.organizationId
})

/**
 * Boards an agent sees, newest first: a board agent its own board; a gateway-main agent the boards of its gateway's
 * organization.
 */
export const listAgentBoards = Effect.fn("listAgentBoards")(function*(agent: Agent, page: PageRequest) {
  const boards = yield* BoardRepository
  if (agent.boardId !== null) {
    const own = yield* boards.findById(agent.boardId)
    if (Option.isNone(own)) return pageResult<Board>({ items: [], total: 0 }, page)
    return pageResult(
      yield* boards.list({ organizationId: own.value.organizationId, boardIds: [own.value.id], order: "newest" }, page),
      page
    )
  }
  const organizationId = yield* agentOrganization(agent)
  return pageResult(yield* boards.list({ organizationId, order: "newest" }, page), page)
})

/**
 * The board of `boardId` as an agent may reach it (404 "Not Found" when missing, 403 otherwise): a board agent only
 * its own board; a gateway-main agent a board of its gateway's organization (the reference lets it reach any board;
 * boards of other organizations stay out of reach here).
 */
export const requireAgentBoard = Effect.fnUntraced(function*(agent: Agent, boardId: BoardId) {
  const boards = yield* BoardRepository
  const board = yield* boards.findById(boardId)
  if (Option.isNone(board)) return yield* new NotFound({ detail: reason.notFound })
  if (agent.boardId !== null) {
    if (agent.boardId !== board.value.id) return yield* new Forbidden({ detail: reason.forbidden })
    return board.value
  }
  if ((yield* agentOrganization(agent)) !== board.value.organizationId) {
    return yield* new Forbidden({ detail: reason.forbidden })
  }
  return board.value
})

/** One board, as an agent reads it (see `requireAgentBoard`). */
export const getAgentBoard = Effect.fn("getAgentBoard")(function*(agent: Agent, boardId: BoardId) {
  yield* annotate({ [AttributeKey.boardId]: boardId, [AttributeKey.agentId]: agent.id })
  return yield* requireAgentBoard(agent, boardId)
})
