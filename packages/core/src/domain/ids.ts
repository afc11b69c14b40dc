import { Schema } from "effect"

/** Identifier of an organization. */
export const OrganizationId = Schema.UUID.pipe(Schema.brand("OrganizationId"))
export type OrganizationId = typeof OrganizationId.Type

/** Identifier of a user of the host application. */
export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** Identifier of an organization membership. */
export const MemberId = Schema.UUID.pipe(Schema.brand("MemberId"))
export type MemberId = typeof MemberId.Type

/** Identifier of a board. */
export const BoardId = Schema.UUID.pipe(Schema.brand("BoardId"))
export type BoardId = typeof BoardId.Type

/** Identifier of a gateway row. */
export const GatewayId = Schema.UUID.pipe(Schema.brand("GatewayId"))
export type GatewayId = typeof GatewayId.Type

/** Identifier of an agent row. */
export const AgentId = Schema.UUID.pipe(Schema.brand("AgentId"))
export type AgentId = typeof AgentId.Type

/** Identifier of a task. */
export const TaskId = Schema.UUID.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

/** Identifier of an activity event. */
export const ActivityEventId = Schema.UUID.pipe(Schema.brand("ActivityEventId"))
export type ActivityEventId = typeof ActivityEventId.Type

/** Identifier of a board memory item. */
export const BoardMemoryId = Schema.UUID.pipe(Schema.brand("BoardMemoryId"))
export type BoardMemoryId = typeof BoardMemoryId.Type

/** Identifier of a board access grant. */
export const BoardAccessId = Schema.UUID.pipe(Schema.brand("BoardAccessId"))
export type BoardAccessId = typeof BoardAccessId.Type

const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Lower-cases a UUID string when it is one; used for ids read from paths and queries. */
export const normalizeUuid = (value: string): string | undefined => {
  const lower = value.trim().toLowerCase()
  return canonicalUuid.test(lower) ? lower : undefined
}
