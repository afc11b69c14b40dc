import { Schema } from "effect"

// A UUID in canonical 8-4-4-4-12 hex form, any version (as pydantic and the reference accept); `isUUID()` would also
// demand version and variant bits.
const Uuid = Schema.String.check(Schema.isGUID())

/** Identifier of an organization. */
export const OrganizationId = Uuid.pipe(Schema.brand("OrganizationId"))
export type OrganizationId = typeof OrganizationId.Type

/** Identifier of a user of the host application. */
export const UserId = Uuid.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** Identifier of an organization membership. */
export const MemberId = Uuid.pipe(Schema.brand("MemberId"))
export type MemberId = typeof MemberId.Type

/** Identifier of a board. */
export const BoardId = Uuid.pipe(Schema.brand("BoardId"))
export type BoardId = typeof BoardId.Type

/** Identifier of a gateway row. */
export const GatewayId = Uuid.pipe(Schema.brand("GatewayId"))
export type GatewayId = typeof GatewayId.Type

/** Identifier of an agent row. */
export const AgentId = Uuid.pipe(Schema.brand("AgentId"))
export type AgentId = typeof AgentId.Type

/** Identifier of a task. */
export const TaskId = Uuid.pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type

/** Identifier of an activity event. */
export const ActivityEventId = Uuid.pipe(Schema.brand("ActivityEventId"))
export type ActivityEventId = typeof ActivityEventId.Type

/** Identifier of a board memory item. */
export const BoardMemoryId = Uuid.pipe(Schema.brand("BoardMemoryId"))
export type BoardMemoryId = typeof BoardMemoryId.Type

/** Identifier of a board access grant. */
export const BoardAccessId = Uuid.pipe(Schema.brand("BoardAccessId"))
export type BoardAccessId = typeof BoardAccessId.Type

const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Lower-cases a UUID string when it is one; used for ids read from paths and queries. */
export const normalizeUuid = (value: string): string | undefined => {
  const lower = value.trim().toLowerCase()
  return canonicalUuid.test(lower) ? lower : undefined
}
