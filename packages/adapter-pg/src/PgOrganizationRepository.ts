import {
  BoardAccess,
  MemberId,
  Organization,
  OrganizationId,
  OrganizationMember,
  OrganizationRepository,
  User,
  UserId
} from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { databaseFailures, sqlClient, Timestamp } from "./internal/sql.js"

const NullableText = Schema.NullOr(Schema.String)
const timestamps = { createdAt: "created_at", updatedAt: "updated_at" } as const

/** A row of `mc_organizations` as an `Organization`, and back. */
export const OrganizationFromRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).pipe(Schema.encodeKeys(timestamps), Schema.decodeTo(Organization))

/** A row of `mc_users` as a `User`, and back. */
export const UserFromRow = Schema.Struct({
  id: Schema.String,
  email: NullableText,
  name: NullableText,
  preferredName: NullableText,
  pronouns: NullableText,
  timezone: NullableText,
  notes: NullableText,
  context: NullableText,
  activeOrganizationId: NullableText
}).pipe(
  Schema.encodeKeys({ preferredName: "preferred_name", activeOrganizationId: "active_organization_id" }),
  Schema.decodeTo(User)
)

/** A row of `mc_organization_members` as an `OrganizationMember`, and back. */
export const MemberFromRow = Schema.Struct({
  id: Schema.String,
  organizationId: Schema.String,
  userId: Schema.String,
  role: Schema.String,
  allBoardsRead: Schema.Boolean,
  allBoardsWrite: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).pipe(
  Schema.encodeKeys({
    organizationId: "organization_id",
    userId: "user_id",
    allBoardsRead: "all_boards_read",
    allBoardsWrite: "all_boards_write",
    ...timestamps
  }),
  Schema.decodeTo(OrganizationMember)
)

/** A row of `mc_board_access` as a `BoardAccess`, and back. */
export const BoardAccessFromRow = Schema.Struct({
  id: Schema.String,
  memberId: Schema.String,
  boardId: Schema.String,
  canRead: Schema.Boolean,
  canWrite: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).pipe(
  Schema.encodeKeys({
    memberId: "member_id",
    boardId: "board_id",
    canRead: "can_read",
    canWrite: "can_write",
    ...timestamps
  }),
  Schema.decodeTo(BoardAccess)
)

/** `OrganizationRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  OrganizationRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const findOrganization = SqlSchema.findOneOption({
      Request: OrganizationId,
      Result: OrganizationFromRow,
      execute: (id) => sql`SELECT * FROM mc_organizations WHERE id = ${id}`
    })
    const findUser = SqlSchema.findOneOption({
      Request: UserId,
      Result: UserFromRow,
      execute: (id) => sql`SELECT * FROM mc_users WHERE id = ${id}`
    })
    const findMembership = SqlSchema.findOneOption({
      Request: Schema.Struct({ organizationId: OrganizationId, userId: UserId }),
      Result: MemberFromRow,
      execute: ({ organizationId, userId }) =>
        sql`SELECT * FROM mc_organization_members WHERE organization_id = ${organizationId} AND user_id = ${userId}`
    })
    const listMemberships = SqlSchema.findAll({
      Request: UserId,
      Result: MemberFromRow,
      execute: (userId) => sql`SELECT * FROM mc_organization_members WHERE user_id = ${userId} ORDER BY created_at, id`
    })
    const listBoardAccess = SqlSchema.findAll({
      Request: MemberId,
      Result: BoardAccessFromRow,
      execute: (memberId) => sql`SELECT * FROM mc_board_access WHERE member_id = ${memberId}`
    })
    const findOwnerUser = SqlSchema.findOneOption({
      Request: OrganizationId,
      Result: UserFromRow,
      execute: (organizationId) =>
        sql`
          SELECT u.* FROM mc_organization_members m JOIN mc_users u ON u.id = m.user_id
          WHERE m.organization_id = ${organizationId} AND m.role = 'owner'
          ORDER BY m.created_at, m.id LIMIT 1`
    })
    const insertOrganization = SqlSchema.void({
      Request: OrganizationFromRow,
      execute: (row) => sql`INSERT INTO mc_organizations ${sql.insert(row)}`
    })
    const insertUser = SqlSchema.void({
      Request: UserFromRow,
      execute: (row) => sql`INSERT INTO mc_users ${sql.insert(row)}`
    })
    const insertMember = SqlSchema.void({
      Request: MemberFromRow,
      execute: (row) => sql`INSERT INTO mc_organization_members ${sql.insert(row)}`
    })
    const insertBoardAccess = SqlSchema.void({
      Request: BoardAccessFromRow,
      execute: (row) => sql`INSERT INTO mc_board_access ${sql.insert(row)}`
    })
    const upsertBoardAccess = SqlSchema.findOne({
      Request: BoardAccessFromRow,
      Result: BoardAccessFromRow,
      execute: (row) =>
        sql`
          INSERT INTO mc_board_access ${sql.insert(row)}
          ON CONFLICT (member_id, board_id) DO UPDATE SET
            can_read = EXCLUDED.can_read, can_write = EXCLUDED.can_write, updated_at = EXCLUDED.updated_at
          RETURNING *`
    })
    return OrganizationRepository.of({
      upsertBoardAccess: (access) => databaseFailures(upsertBoardAccess(access)),
      findOrganization: (id) => databaseFailures(findOrganization(id)),
      findUser: (id) => databaseFailures(findUser(id)),
      findMembership: (organizationId, userId) => databaseFailures(findMembership({ organizationId, userId })),
      listMemberships: (userId) => databaseFailures(listMemberships(userId)),
      listBoardAccess: (memberId) => databaseFailures(listBoardAccess(memberId)),
      findOwnerUser: (organizationId) => databaseFailures(findOwnerUser(organizationId)),
      insertOrganization: (organization) => databaseFailures(insertOrganization(organization)),
      insertUser: (user) => databaseFailures(insertUser(user)),
      insertMember: (member) => databaseFailures(insertMember(member)),
      insertBoardAccess: (access) => databaseFailures(insertBoardAccess(access))
    })
  })
)
