import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { MemberId, OrganizationId, UserId } from "../domain/ids.js"
import type { BoardAccess, Organization, OrganizationMember, User } from "../domain/models.js"

/** Organizations, users, memberships and board access grants. */
export class OrganizationRepository extends Context.Service<
  OrganizationRepository,
  {
    readonly findOrganization: (id: OrganizationId) => Effect.Effect<Option.Option<Organization>>
    readonly findUser: (id: UserId) => Effect.Effect<Option.Option<User>>
    readonly findMembership: (
      organizationId: OrganizationId,
      userId: UserId
    ) => Effect.Effect<Option.Option<OrganizationMember>>
    /** Memberships of a user, oldest first. */
    readonly listMemberships: (userId: UserId) => Effect.Effect<ReadonlyArray<OrganizationMember>>
    readonly listBoardAccess: (memberId: MemberId) => Effect.Effect<ReadonlyArray<BoardAccess>>
    /** The user behind the oldest owner membership of the organization. */
    readonly findOwnerUser: (organizationId: OrganizationId) => Effect.Effect<Option.Option<User>>
    readonly insertOrganization: (organization: Organization) => Effect.Effect<void>
    readonly insertUser: (user: User) => Effect.Effect<void>
    readonly insertMember: (member: OrganizationMember) => Effect.Effect<void>
    readonly insertBoardAccess: (access: BoardAccess) => Effect.Effect<void>
  }
>()("@mission-control/core/OrganizationRepository") {}
