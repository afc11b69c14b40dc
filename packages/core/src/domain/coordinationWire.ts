import { Schema } from "effect"
import { AgentId, BoardId } from "./ids.js"
import { boundedText, limits } from "./limits.js"
import { fromWireKeys, trimmedText, withDefault } from "./wireFields.js"

// Wire shapes of the agent coordination routes (nudges, SOUL, questions to the user, messages to leads), in the
// reference's field names. The programs take the domain inputs and answer domain results; these map them.

const MessageText = trimmedText(limits.template)
const OptionalText = Schema.NullOr(boundedText(limits.template))
const Tags = Schema.Array(boundedText(limits.name))

/** The kind of a message to leads: a question wants an answer, a handoff transfers work. */
export const LeadMessageKind = Schema.Literals(["question", "handoff"])
export type LeadMessageKind = typeof LeadMessageKind.Type

/** Reply tags a lead is asked to put on its answer when the caller gives none. */
export const defaultLeadReplyTags: ReadonlyArray<string> = ["gateway_main", "lead_reply"]
/** Reply source a lead is asked to use when the caller gives none. */
export const defaultLeadReplySource = "lead_to_gateway_main"
/** Reply tags the gateway agent is asked to put on the user's answer when the caller gives none. */
export const defaultUserReplyTags: ReadonlyArray<string> = ["gateway_main", "user_reply"]
/** Reply source the gateway agent is asked to use when the caller gives none. */
export const defaultUserReplySource = "user_via_gateway_main"

/** Body of `POST /agent/boards/{board_id}/agents/{agent_id}/nudge`. */
const AgentNudgeWire = fromWireKeys({ message: MessageText }, {})
/** The domain input of the body. */
export const AgentNudge = AgentNudgeWire.schema
export type AgentNudge = typeof AgentNudge.Type
/** The body on the wire. */
export const AgentNudgeBody = AgentNudgeWire.body
/** The domain input of a decoded body. */
export const toAgentNudge = AgentNudgeWire.fromBody

/** Body of `PUT /agent/boards/{board_id}/agents/{agent_id}/soul`; blank content is refused by the program (422). */
const SoulUpdateWire = fromWireKeys({
  content: boundedText(limits.template),
  sourceUrl: withDefault(OptionalText, null),
  reason: withDefault(OptionalText, null)
}, { sourceUrl: "source_url" })
/** The domain input of the body. */
export const SoulUpdate = SoulUpdateWire.schema
export type SoulUpdate = typeof SoulUpdate.Type
/** The body on the wire. */
export const SoulUpdateBody = SoulUpdateWire.body
/** The domain input of a decoded body. */
export const toSoulUpdate = SoulUpdateWire.fromBody

/** Body of `POST /agent/boards/{board_id}/gateway/main/ask-user`. */
const AskUserWire = fromWireKeys({
  correlationId: withDefault(OptionalText, null),
  content: MessageText,
  preferredChannel: withDefault(OptionalText, null),
  replyTags: withDefault(Tags, defaultUserReplyTags),
  replySource: withDefault(OptionalText, defaultUserReplySource)
}, {
  correlationId: "correlation_id",
  preferredChannel: "preferred_channel",
  replyTags: "reply_tags",
  replySource: "reply_source"
})
/** The domain input of the body. */
export const AskUser = AskUserWire.schema
export type AskUser = typeof AskUser.Type
/** The body on the wire. */
export const AskUserBody = AskUserWire.body
/** The domain input of a decoded body. */
export const toAskUser = AskUserWire.fromBody

const leadMessageFields = {
  kind: withDefault(LeadMessageKind, "question"),
  correlationId: withDefault(OptionalText, null),
  content: MessageText,
  replyTags: withDefault(Tags, defaultLeadReplyTags),
  replySource: withDefault(OptionalText, defaultLeadReplySource)
}
const leadMessageNames = {
  correlationId: "correlation_id",
  replyTags: "reply_tags",
  replySource: "reply_source"
} as const

/** Body of `POST /agent/gateway/boards/{board_id}/lead/message`. */
const LeadMessageWire = fromWireKeys(leadMessageFields, leadMessageNames)
/** The domain input of the body. */
export const LeadMessage = LeadMessageWire.schema
export type LeadMessage = typeof LeadMessage.Type
/** The body on the wire. */
export const LeadMessageBody = LeadMessageWire.body
/** The domain input of a decoded body. */
export const toLeadMessage = LeadMessageWire.fromBody

/** Body of `POST /agent/gateway/leads/broadcast`: a lead message, optionally to some boards only. */
const LeadBroadcastWire = fromWireKeys({
  ...leadMessageFields,
  boardIds: withDefault(Schema.NullOr(Schema.Array(BoardId)), null)
}, { ...leadMessageNames, boardIds: "board_ids" })
/** The domain input of the body. */
export const LeadBroadcast = LeadBroadcastWire.schema
export type LeadBroadcast = typeof LeadBroadcast.Type
/** The body on the wire. */
export const LeadBroadcastBody = LeadBroadcastWire.body
/** The domain input of a decoded body. */
export const toLeadBroadcast = LeadBroadcastWire.fromBody

/** An agent a coordination call reached: its id and name. */
export interface ReachedAgent {
  readonly id: AgentId
  readonly name: string
}

/** What asking the user did: the board, and the gateway agent asked (when it has a record). */
export interface AskUserOutcome {
  readonly boardId: BoardId
  readonly mainAgent: ReachedAgent | null
}

/** What messaging a board's lead did: the lead, and whether this call created it. */
export interface LeadMessageOutcome {
  readonly boardId: BoardId
  readonly lead: ReachedAgent
  readonly leadCreated: boolean
}

/** One board of a broadcast: its lead when it has one, and whether the message reached it (else why not). */
export type LeadBroadcastDelivery =
  | { readonly _tag: "Sent"; readonly boardId: BoardId; readonly lead: ReachedAgent }
  | { readonly _tag: "Failed"; readonly boardId: BoardId; readonly lead: ReachedAgent | null; readonly error: string }

/** `GatewayMainAskUserResponse` of the reference. */
export const AskUserResponse = Schema.Struct({
  ok: Schema.Boolean,
  board_id: BoardId,
  main_agent_id: Schema.NullOr(AgentId),
  main_agent_name: Schema.NullOr(Schema.String)
})
export type AskUserResponse = typeof AskUserResponse.Type

/** The API view of an ask-user outcome. */
export const toAskUserResponse = (outcome: AskUserOutcome): AskUserResponse => ({
  ok: true,
  board_id: outcome.boardId,
  main_agent_id: outcome.mainAgent?.id ?? null,
  main_agent_name: outcome.mainAgent?.name ?? null
})

/** `GatewayLeadMessageResponse` of the reference. */
export const LeadMessageResponse = Schema.Struct({
  ok: Schema.Boolean,
  board_id: BoardId,
  lead_agent_id: Schema.NullOr(AgentId),
  lead_agent_name: Schema.NullOr(Schema.String),
  lead_created: Schema.Boolean
})
export type LeadMessageResponse = typeof LeadMessageResponse.Type

/** The API view of a lead message outcome. */
export const toLeadMessageResponse = (outcome: LeadMessageOutcome): LeadMessageResponse => ({
  ok: true,
  board_id: outcome.boardId,
  lead_agent_id: outcome.lead.id,
  lead_agent_name: outcome.lead.name,
  lead_created: outcome.leadCreated
})

/** `GatewayLeadBroadcastBoardResult` of the reference: one board of a broadcast. */
export const LeadBroadcastBoardResult = Schema.Struct({
  board_id: BoardId,
  lead_agent_id: Schema.NullOr(AgentId),
  lead_agent_name: Schema.NullOr(Schema.String),
  ok: Schema.Boolean,
  error: Schema.NullOr(Schema.String)
})
export type LeadBroadcastBoardResult = typeof LeadBroadcastBoardResult.Type

/** `GatewayLeadBroadcastResponse` of the reference: counts and one result per board. */
export const LeadBroadcastResponse = Schema.Struct({
  ok: Schema.Boolean,
  sent: Schema.Int,
  failed: Schema.Int,
  results: Schema.Array(LeadBroadcastBoardResult)
})
export type LeadBroadcastResponse = typeof LeadBroadcastResponse.Type

const toBoardResult = (delivery: LeadBroadcastDelivery): LeadBroadcastBoardResult => ({
  board_id: delivery.boardId,
  lead_agent_id: delivery.lead?.id ?? null,
  lead_agent_name: delivery.lead?.name ?? null,
  ok: delivery._tag === "Sent",
  error: delivery._tag === "Failed" ? delivery.error : null
})

/** The API view of a broadcast's deliveries. */
export const toLeadBroadcastResponse = (deliveries: ReadonlyArray<LeadBroadcastDelivery>): LeadBroadcastResponse => {
  const sent = deliveries.filter((delivery) => delivery._tag === "Sent").length
  return { ok: true, sent, failed: deliveries.length - sent, results: deliveries.map(toBoardResult) }
}
