import { Effect, Option } from "effect"
import {
  boardScopedSessionKey,
  defaultLeadName,
  gatewayMainSessionKey,
  leadIdentityProfile,
  leadSessionKey
} from "../domain/identity.js"
import type { AgentId, BoardId } from "../domain/ids.js"
import type { Agent, Board, IdentityProfile, User } from "../domain/models.js"
import { pendingAgent } from "../domain/pendingAgent.js"
import { Conflict, Forbidden } from "../errors.js"
import { annotate, AttributeKey, boardAttributes } from "../observability/attributes.js"
import type { AgentPatch } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { requireBoard, requireGateway } from "./access.js"
import type { Actor } from "./common.js"
import { conflictOnDuplicate, newUuid, now } from "./common.js"
import { isProvisionPending, provisionAgentRecord } from "./provisionAgentRecord.js"

/** How a new lead is set up. */
export interface LeadAgentOptions {
  readonly agentName?: string | null
  /** Overrides of the lead identity; blank values are ignored. */
  readonly identityProfile?: Readonly<Record<string, string>> | null
  readonly action?: "provision" | "update"
}

const leadIdentity = (overrides: Readonly<Record<string, string>> | null | undefined): IdentityProfile => {
  const profile: Record<string, string> = { ...leadIdentityProfile }
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value.trim() !== "") profile[key] = value.trim()
  }
  return profile
}

/**
 * Makes sure the board has exactly one lead agent, provisioned. An existing lead is returned as it is (name,
 * gateway and session key corrected) and only provisioned when its provisioning never completed; a new lead is
 * created and provisioned. Concurrent callers all get the same lead: the store allows one per board.
 */
export const ensureBoardLeadAgent = Effect.fn("ensureBoardLeadAgent")(function*(
  board: Board,
  user: User | null,
  options: LeadAgentOptions = {}
) {
  yield* annotate(boardAttributes(board))
  const { gateway } = yield* requireGateway(board)
  const agents = yield* AgentRepository
  const name = options.agentName?.trim() || defaultLeadName
  const sessionKey = leadSessionKey(board.id)
  const at = yield* now

  let lead: Agent
  let created = false
  const existing = yield* agents.findLead(board.id)
  if (Option.isSome(existing)) {
    lead = existing.value
    const patch: { -readonly [K in keyof AgentPatch]: AgentPatch[K] } = {}
    if (lead.name !== name) patch.name = name
    if (lead.gatewayId !== gateway.id) patch.gatewayId = gateway.id
    // An adopted lead keeps the session of its own gateway agent.
    const leadKey = boardScopedSessionKey(lead)
    if (lead.openclawSessionId !== leadKey) patch.openclawSessionId = leadKey
    if (Object.keys(patch).length > 0) {
      patch.updatedAt = at
      lead = Option.getOrElse(
        yield* agents.update(lead.id, patch).pipe(conflictOnDuplicate),
        () => lead
      )
    }
    if (!isProvisionPending(lead)) return { agent: lead, created: false }
  } else {
    const candidate = pendingAgent({
      id: yield* newUuid<AgentId>(),
      boardId: board.id,
      gatewayId: gateway.id,
      name,
      openclawSessionId: sessionKey,
      identityProfile: leadIdentity(options.identityProfile),
      provisionAction: options.action ?? "provision",
      isBoardLead: true
    }, at)
    const inserted = yield* agents.insert(candidate).pipe(
      Effect.as(true),
      // Both rules can fire first when another caller inserted the lead: the lead rule, or its name on the board.
      Effect.catchIf(
        (error) =>
          error._tag === "DuplicateAgent" && (error.constraint === "board_lead" || error.constraint === "board_name"),
        () => Effect.succeed(false)
      ),
      conflictOnDuplicate
    )
    if (!inserted) {
      // Another caller created the lead first and is provisioning it.
      const winner = yield* agents.findLead(board.id)
      if (Option.isSome(winner)) return { agent: winner.value, created: false }
      return yield* new Conflict({ detail: "An agent with this name already exists on this board." })
    }
    lead = candidate
    created = true
  }
  const provisioned = yield* provisionAgentRecord(lead.id, {
    action: options.action ?? "provision",
    gateway,
    board,
    user,
    wake: true,
    deliverWakeup: true,
    resetSession: false,
    // Also for the lead just inserted: a concurrent caller that found it pending may have provisioned it already.
    onlyIfPending: true
  })
  return { agent: provisioned, created }
}, Effect.tap(({ agent }) => annotate({ [AttributeKey.agentId]: agent.id })))

/**
 * `ensureBoardLeadAgent` for an actor: a user with write access to the board, or the gateway-main agent of the
 * board's gateway.
 */
export const ensureBoardLead = Effect.fn("ensureBoardLead")(function*(
  actor: Actor,
  boardId: BoardId,
  options: LeadAgentOptions = {}
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  let board: Board
  let user: User | null = null
  if (actor._tag === "User") {
    board = yield* requireBoard(boardId, { user: actor.user, write: true })
    user = actor.user
  } else {
    board = yield* requireBoard(boardId)
    const agent = actor.agent
    const dedicated = "Only the dedicated gateway agent may call this endpoint."
    if (agent.boardId !== null) return yield* new Forbidden({ detail: "Forbidden" })
    if (board.gatewayId === null || agent.gatewayId !== board.gatewayId) {
      return yield* new Forbidden({ detail: dedicated })
    }
    if (agent.openclawSessionId !== gatewayMainSessionKey(agent.gatewayId)) {
      return yield* new Forbidden({ detail: dedicated })
    }
  }
  return yield* ensureBoardLeadAgent(board, user, options)
})
