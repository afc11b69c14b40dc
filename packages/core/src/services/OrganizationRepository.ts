import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { MemberId, OrganizationId, UserId } from "../domain/ids.js"
import type { BoardAccess, Organization, OrganizationMember, User } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** Organizations, users, memberships and board access grants. */
export class OrganizationRepository extends Context.Service<
  OrganizationRepository,
  {
    readonly findOrganization: (id: OrganizationId) => Effect.Effect<Option.Option<Organization>, DatabaseUnavailable>
    readonly findUser: (id: UserId) => Effect.Effect<Option.Option<User>, DatabaseUnavailable>
    readonly findMembership: (
      organizationId: OrganizationId,
      userId: UserId
    ) => Effect.Effect<Option.Option<OrganizationMember>, DatabaseUnavailable>
    /** Memberships of a user, oldest first. */
    readonly listMemberships: (userId: UserId) => Effect.Effect<ReadonlyArray<OrganizationMember>, DatabaseUnavailable>
    readonly listBoardAccess: (memberId: MemberId) => Effect.Effect<ReadonlyArray<BoardAccess>, DatabaseUnavailable>
    /** The user behind the oldest owner membership of the organization. */
    readonly findOwnerUser: (organizationId: OrganizationId) => Effect.Effect<Option.Option<User>, DatabaseUnavailable>
    readonly insertOrganization: (organization: Organization) => Effect.Effect<void, DatabaseUnavailable>
    readonly insertUser: (user: User) => Effect.Effect<void, DatabaseUnavailable>
    readonly insertMember: (member: OrganizationMember) => Effect.Effect<void, DatabaseUnavailable>
    readonly insertBoardAccess: (access: BoardAccess) => Effect.Effect<void, DatabaseUnavailable>
    /**
     * Grants access to a board: inserts the grant, or, when the member already has one for the board, changes its
     * flags and `updatedAt` (keeping its id and `createdAt`). Returns the grant as stored.
     */
    readonly upsertBoardAccess: (access: BoardAccess) => Effect.Effect<BoardAccess, DatabaseUnavailable>
  }
>()("@mission-control/core/OrganizationRepository") {}
