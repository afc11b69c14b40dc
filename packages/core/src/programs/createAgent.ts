import { Effect, Option } from "effect"
import { normalizeIdentityProfile, normalizeTemplateText } from "../domain/identity.js"
import type { AgentId, BoardId } from "../domain/ids.js"
import type { Agent, Board, Gateway, User } from "../domain/models.js"
import type { AgentCreate } from "../domain/wire.js"
import { Conflict, Forbidden } from "../errors.js"
import { annotate, annotateAgent, AttributeKey, boardAttributes } from "../observability/attributes.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { requireBoard, requireBoardLead, requireGateway, requireOrgAdmin } from "./access.js"
import type { BoardAgentFields } from "./agentRecords.js"
import { insertBoardAgent } from "./agentRecords.js"
import { Actor, conflictOnDuplicate, newUuid, now, runToCompletion } from "./common.js"
import { provisionAgentRecordLocked } from "./provisionAgentRecord.js"

/**
 * The board an actor may create agents on: a user's (an org admin with write access), or an agent's own board when
 * it is that board's lead (no other access check, as in the reference).
 */
const resolveCreateBoard = Effect.fnUntraced(function*(actor: Actor, requested: BoardId | null) {
  if (actor._tag === "User") {
    yield* requireOrgAdmin(actor.user)
    return yield* requireBoard(requested, { user: actor.user, write: true })
  }
  const leadBoardId = yield* requireBoardLead(actor.agent, "Only board leads can create agents")
  if (requested !== null && requested !== leadBoardId) {
    return yield* new Forbidden({ detail: "Board leads can only create agents in their own board" })
  }
  return yield* requireBoard(leadBoardId)
})

/** Fails 409 when the name is taken on the board or anywhere on the gateway (exact match ignoring case). */
const ensureUniqueName = Effect.fnUntraced(function*(board: Board, gateway: Gateway, name: string) {
  const trimmed = name.trim()
  if (trimmed === "") return
  const agents = yield* AgentRepository
  if (Option.isSome(yield* agents.findByNameOnBoard(board.id, trimmed))) {
    return yield* new Conflict({ detail: "An agent with this name already exists on this board." })
  }
  if (Option.isSome(yield* agents.findByNameInGateway(gateway.id, trimmed))) {
    return yield* new Conflict({ detail: "An agent with this name already exists in this gateway workspace." })
  }
})

/**
 * A create that was never completed: provisioning requested, never finished, the agent never seen. Only meaningful
 * under the agent's lock, which a create holds from before its insert to the end of its provisioning.
 */
const isAbandonedCreate = (agent: Agent): boolean =>
  agent.provisionAction === "provision" && agent.lastSeenAt === null && agent.boardId !== null

/**
 * A board lead may create workers up to the board's `max_agents`, the lead not counted (409 in the reference's words).
 * Users are not limited.
 */
export const ensureBelowWorkerLimit = Effect.fnUntraced(function*(board: Board) {
  const agents = yield* AgentRepository
  const workers = (yield* agents.listByBoards([board.id])).filter((agent) => !agent.isBoardLead).length
  if (workers < board.maxAgents) return
  const noun = board.maxAgents === 1 ? "agent" : "agents"
  return yield* new Conflict({
    detail: `Board worker-agent limit reached: max_agents=${board.maxAgents} (excluding the lead); ` +
      `cannot create more than ${board.maxAgents} ${noun}.`
  })
})

/** A board that has a lead takes no second one (409, the same text as the database's own rule gives). */
export const ensureNoLead = Effect.fnUntraced(function*(board: Board) {
  const agents = yield* AgentRepository
  if (Option.isSome(yield* agents.findLead(board.id))) {
    return yield* new Conflict({ detail: "This board already has a lead agent." })
  }
})

/**
 * Creates an agent of a board whose access is settled, and provisions it (see `createAgent`). A lead's creates on one
 * board run one at a time, so that two of them cannot both pass the worker limit.
 */
const createOnBoard = (board: Board, payload: AgentCreate, creator: Actor) =>
  creator._tag === "Agent"
    ? Effect.flatMap(AgentLocks, (locks) =>
      locks.withLock(`board-workers/${board.id}`)(
        Effect.andThen(ensureBelowWorkerLimit(board), createAgentRecord(board, payload, null))
      ))
    : createAgentRecord(board, payload, creator.user)

const createAgentRecord = Effect.fnUntraced(function*(board: Board, payload: AgentCreate, user: User | null) {
  yield* annotate(boardAttributes(board))
  const { gateway } = yield* requireGateway(board)
  const agents = yield* AgentRepository
  const locks = yield* AgentLocks
  const fields: BoardAgentFields = {
    name: payload.name,
    heartbeatConfig: payload.heartbeatConfig,
    identityProfile: normalizeIdentityProfile(payload.identityProfile),
    identityTemplate: normalizeTemplateText(payload.identityTemplate),
    soulTemplate: normalizeTemplateText(payload.soulTemplate),
    isBoardLead: payload.isBoardLead
  }
  const request = { action: "provision", gateway, board, user, resetSession: true } as const

  const twin = yield* agents.findByNameOnBoard(board.id, payload.name.trim())
  if (Option.isSome(twin) && isAbandonedCreate(twin.value) && twin.value.isBoardLead === payload.isBoardLead) {
    const adopted = yield* runToCompletion(
      locks.withLock(`agent/${twin.value.id}`)(Effect.gen(function*() {
        const current = yield* agents.findById(twin.value.id)
        if (Option.isNone(current) || !isAbandonedCreate(current.value)) return Option.none<Agent>()
        yield* agents.update(current.value.id, {
          ...fields,
          heartbeatConfig: fields.heartbeatConfig ?? current.value.heartbeatConfig,
          updatedAt: yield* now
        }).pipe(conflictOnDuplicate)
        return Option.some(yield* provisionAgentRecordLocked(current.value.id, request))
      }))
    )
    if (Option.isSome(adopted)) return adopted.value
  }

  yield* ensureUniqueName(board, gateway, payload.name)
  if (payload.isBoardLead) yield* ensureNoLead(board)
  const id = yield* newUuid<AgentId>()
  return yield* runToCompletion(
    locks.withLock(`agent/${id}`)(Effect.gen(function*() {
      const agent = yield* insertBoardAgent(board, gateway, fields, id)
      // The row is committed: from here the database failing (or a defect) leaves the agent pending, not a 5xx.
      const leftPending = (cause: unknown) =>
        Effect.as(
          Effect.andThen(
            annotate({ [AttributeKey.outcome]: "pending" }),
            Effect.logWarning("createAgent: provisioning broke off after the agent was saved; left pending", cause)
          ),
          agent
        )
      return yield* provisionAgentRecordLocked(agent.id, request).pipe(
        Effect.catchTag("DatabaseUnavailable", leftPending),
        Effect.catchDefect(leftPending)
      )
    }))
  )
})

/**
 * Creates a board agent and provisions it. Users must be org admins with write access to the board; agents must be
 * the board's lead ("Only board leads can create agents"), on their own board ("Board leads can only create agents
 * in their own board" for another). The agent is `provisioning` until its first heartbeat.
 *
 * A create is safe to retry. The agent's lock is taken before its row is inserted and held while it is provisioned,
 * so another create of the same name either waits for it (and then gets 409) or finds it abandoned (a failed or
 * interrupted earlier create): that one is taken over and provisioned with this request's fields, never answered
 * with a 409 for the caller's own half-created agent. Once the row is in the database the create succeeds from the
 * caller's view even when the database fails afterwards: the agent is returned as `provisioning`, its pending
 * provisioning recorded, for `reconcilePendingProvisioning` to finish.
 */
export const createAgent = Effect.fn("createAgent")(function*(actor: Actor, payload: AgentCreate) {
  const board = yield* resolveCreateBoard(actor, payload.boardId)
  return yield* createOnBoard(board, payload, actor)
}, Effect.tap((agent) => annotateAgent(agent)))

/**
 * `createAgent` for the agent API's lead route: the caller must be a board lead ("Only board leads can perform this
 * action"), and the agent is created on the lead's own board whatever `board_id` says.
 */
export const createAgentAsLead = Effect.fn("createAgentAsLead")(function*(lead: Agent, payload: AgentCreate) {
  const boardId = yield* requireBoardLead(lead)
  return yield* createOnBoard(yield* requireBoard(boardId), { ...payload, boardId }, Actor.agent(lead))
}, Effect.tap((agent) => annotateAgent(agent)))
