import { DateTime, Effect, Option } from "effect"
import type {
  LeadBroadcast,
  LeadBroadcastDelivery,
  LeadMessage,
  LeadMessageOutcome
} from "../../domain/coordinationWire.js"
import { defaultLeadReplySource, defaultLeadReplyTags } from "../../domain/coordinationWire.js"
import type { BoardId } from "../../domain/ids.js"
import type { Agent, Board } from "../../domain/models.js"
import { Unprocessable } from "../../errors.js"
import { annotate, AttributeKey } from "../../observability/attributes.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { BoardRepository } from "../../services/BoardRepository.js"
import type { GatewayTarget } from "../../services/GatewayControlPlane.js"
import { Settings } from "../../Settings.js"
import { ensureBoardLeadAgent } from "../boardLead.js"
import { recordActivity, runToCompletion } from "../common.js"
import { requireBoardOnGateway, requireGatewayMainActor } from "./access.js"
import { problemText, recordingGatewayFailure, sendToSession } from "./dispatch.js"
import { leadMessageText } from "./messages.js"

/** Boards of a broadcast messaged at once. */
const broadcastConcurrency = 4

/** The `detail` when a lead record has no session to message. */
export const leadWithoutSession = "Lead agent has no session key"

/** The broadcast result of a board without a lead: a broadcast never creates one. */
export const boardWithoutLead = "Board has no lead agent"

const messageFor = (caller: Agent, board: Board, input: LeadMessage, baseUrl: string): string =>
  leadMessageText({
    baseUrl,
    board,
    senderName: caller.name,
    kind: input.kind,
    content: input.content,
    correlationId: input.correlationId,
    replyTags: input.replyTags.length > 0 ? input.replyTags : defaultLeadReplyTags,
    replySource: input.replySource || defaultLeadReplySource
  })

const sendToLead = (target: GatewayTarget, lead: Agent, message: string) =>
  Effect.gen(function*() {
    const sessionKey = lead.openclawSessionId ?? ""
    if (sessionKey === "") return yield* new Unprocessable({ detail: leadWithoutSession })
    yield* sendToSession(target, { sessionKey, label: lead.name, message, deliver: false })
  })

// An existing lead is messaged as it is: `ensureBoardLeadAgent` would also rename it to the default name and
// provision it again when its provisioning never completed, neither of which a message should do.
const existingOrNewLead = (board: Board) =>
  Effect.flatMap(
    Effect.flatMap(AgentRepository, (agents) => agents.findLead(board.id)),
    Option.match({
      onSome: (agent) => Effect.succeed({ agent, created: false }),
      onNone: () => ensureBoardLeadAgent(board, null, { action: "provision" })
    })
  )

/**
 * The gateway's main agent messages the lead of a board on its gateway. As the reference does, a board without a
 * lead gets one (created and provisioned; `leadCreated` says so); an existing lead is left as it is. 403 for a
 * caller that is not its gateway's main agent or a board of another gateway, 404 "Board not found", 422 for a
 * gateway without a URL or a lead without a session, 502 "Gateway lead message dispatch failed: …" (recorded as
 * `gateway.main.lead_message.failed`).
 */
export const messageBoardLead = Effect.fn("messageBoardLead")(function*(
  caller: Agent,
  boardId: BoardId,
  input: LeadMessage
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const { gateway, target } = yield* requireGatewayMainActor(caller)
  const board = yield* requireBoardOnGateway(boardId, gateway)
  const message = messageFor(caller, board, input, (yield* Settings).baseUrl)
  return yield* runToCompletion(
    Effect.gen(function*() {
      const lead = yield* existingOrNewLead(board)
      yield* sendToLead(target, lead.agent, message)
      return lead
    }).pipe(
      recordingGatewayFailure({
        prefix: "Gateway lead message dispatch failed",
        event: "gateway.main.lead_message.failed",
        message: (error) => `Lead message failed for ${board.name}: ${error}`,
        actorId: caller.id
      }),
      Effect.tap(() =>
        recordActivity(
          "gateway.main.lead_message.sent",
          `Sent ${input.kind} to lead for board: ${board.name}.`,
          caller.id
        )
      ),
      Effect.map((lead): LeadMessageOutcome => ({
        boardId: board.id,
        lead: { id: lead.agent.id, name: lead.agent.name },
        leadCreated: lead.created
      }))
    )
  )
})

const deliverToBoard = (caller: Agent, target: GatewayTarget, input: LeadMessage, baseUrl: string) => (board: Board) =>
  Effect.gen(function*() {
    const agents = yield* AgentRepository
    const found = yield* agents.findLead(board.id)
    // Incident #333 of the reference: provisioning missing leads here created ten leads in one broadcast.
    if (Option.isNone(found)) {
      return { _tag: "Failed", boardId: board.id, lead: null, error: boardWithoutLead } satisfies LeadBroadcastDelivery
    }
    const lead = found.value
    const reached = { id: lead.id, name: lead.name }
    const sent = yield* Effect.result(sendToLead(target, lead, messageFor(caller, board, input, baseUrl)))
    if (sent._tag === "Success") {
      return { _tag: "Sent", boardId: board.id, lead: reached } satisfies LeadBroadcastDelivery
    }
    const failure = sent.failure
    const error = failure._tag === "Unprocessable"
      ? failure.detail
      : `Gateway lead broadcast dispatch failed: ${problemText(failure)}`
    return { _tag: "Failed", boardId: board.id, lead: reached, error } satisfies LeadBroadcastDelivery
  })

/**
 * The gateway's main agent messages the leads of the boards on its gateway (newest board first; only `boardIds`
 * when given). Each board answers on its own: sent, or failed with why (no lead, no session, the gateway's error).
 * A board without a lead is reported, never given one. 403 for a caller that is not its gateway's main agent, 422
 * for a gateway without a URL; recorded as `gateway.main.lead_broadcast.sent`.
 */
export const broadcastToLeads = Effect.fn("broadcastToLeads")(function*(caller: Agent, input: LeadBroadcast) {
  const { gateway, target } = yield* requireGatewayMainActor(caller)
  const boards = yield* BoardRepository
  const wanted = input.boardIds !== null && input.boardIds.length > 0 ? new Set<BoardId>(input.boardIds) : null
  const selected = (yield* boards.listByGateway(gateway.id))
    .filter((board) => board.organizationId === gateway.organizationId && (wanted === null || wanted.has(board.id)))
    .sort((a, b) => DateTime.toEpochMillis(b.createdAt) - DateTime.toEpochMillis(a.createdAt))
  const baseUrl = (yield* Settings).baseUrl
  const deliveries: ReadonlyArray<LeadBroadcastDelivery> = yield* runToCompletion(
    Effect.forEach(selected, deliverToBoard(caller, target, input, baseUrl), { concurrency: broadcastConcurrency })
  )
  const sent = deliveries.filter((delivery) => delivery._tag === "Sent").length
  yield* recordActivity(
    "gateway.main.lead_broadcast.sent",
    `Broadcast ${input.kind} to ${sent} board leads (failed: ${deliveries.length - sent}).`,
    caller.id
  )
  return deliveries
})
