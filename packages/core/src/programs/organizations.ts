import { Effect, Option } from "effect"
import type { BoardAccessId, BoardId, MemberId, OrganizationId, UserId } from "../domain/ids.js"
import type { MemberRole } from "../domain/models.js"
import { BoardAccess, Organization, OrganizationMember, User } from "../domain/models.js"
import { Conflict, NotFound, Unprocessable } from "../errors.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Transactor } from "../services/Transactor.js"
import { newUuid, now } from "./common.js"

// Seeding programs for hosts: organizations, their users and members, and members' access to boards. They check the
// data, not a caller: a host runs them for its own sign-up and admin flows.

/** A user to create: the host's own id for it when it has one (a fresh id otherwise), and the profile templates use. */
export interface NewUser {
  readonly id?: UserId | undefined
  readonly email?: string | null | undefined
  readonly name?: string | null | undefined
  readonly preferredName?: string | null | undefined
  readonly pronouns?: string | null | undefined
  readonly timezone?: string | null | undefined
  readonly notes?: string | null | undefined
  readonly context?: string | null | undefined
}

/** An existing user by id, or one to create. */
export type UserRef = UserId | NewUser

/** A member's access to one board. */
export interface BoardGrant {
  readonly boardId: BoardId
  readonly canRead: boolean
  readonly canWrite: boolean
}

/** What a new member may do: a role, the all-boards flags, and grants for single boards. */
export interface MembershipInput {
  readonly role: MemberRole
  readonly allBoardsRead?: boolean | undefined
  readonly allBoardsWrite?: boolean | undefined
  readonly boardAccess?: ReadonlyArray<BoardGrant> | undefined
}

/** Creates a user (409 "User already exists" when the id is taken). */
export const createUser = Effect.fn("createUser")(function*(
  input: NewUser,
  activeOrganizationId: OrganizationId | null = null
) {
  const organizations = yield* OrganizationRepository
  // Not `input.id ?? (yield* …)`: the CJS build turns `??` into a closure, where `yield` is not allowed.
  const id = input.id === undefined ? yield* newUuid<UserId>() : input.id
  if (Option.isSome(yield* organizations.findUser(id))) return yield* new Conflict({ detail: "User already exists" })
  const user = new User({
    id,
    email: input.email ?? null,
    name: input.name ?? null,
    preferredName: input.preferredName ?? null,
    pronouns: input.pronouns ?? null,
    timezone: input.timezone ?? null,
    notes: input.notes ?? null,
    context: input.context ?? null,
    activeOrganizationId
  })
  yield* organizations.insertUser(user)
  return user
})

const resolveUser = Effect.fnUntraced(function*(ref: UserRef, organizationId: OrganizationId) {
  if (typeof ref !== "string") return yield* createUser(ref, organizationId)
  const organizations = yield* OrganizationRepository
  const user = yield* organizations.findUser(ref)
  if (Option.isNone(user)) return yield* new NotFound({ detail: "User not found" })
  return user.value
})

const requireOrganization = Effect.fnUntraced(function*(organizationId: OrganizationId) {
  const organizations = yield* OrganizationRepository
  const organization = yield* organizations.findOrganization(organizationId)
  if (Option.isNone(organization)) return yield* new NotFound({ detail: "Organization not found" })
  return organization.value
})

const requireBoardOf = Effect.fnUntraced(function*(organizationId: OrganizationId, boardId: BoardId) {
  const boards = yield* BoardRepository
  const board = yield* boards.findById(boardId)
  if (Option.isNone(board) || board.value.organizationId !== organizationId) {
    return yield* new NotFound({ detail: "Board not found" })
  }
  return board.value
})

const saveGrant = Effect.fnUntraced(function*(member: OrganizationMember, grant: BoardGrant) {
  yield* requireBoardOf(member.organizationId, grant.boardId)
  const at = yield* now
  const organizations = yield* OrganizationRepository
  return yield* organizations.upsertBoardAccess(
    new BoardAccess({
      id: yield* newUuid<BoardAccessId>(),
      memberId: member.id,
      boardId: grant.boardId,
      canRead: grant.canRead,
      canWrite: grant.canWrite,
      createdAt: at,
      updatedAt: at
    })
  )
})

const insertMembership = Effect.fnUntraced(function*(
  organizationId: OrganizationId,
  user: User,
  input: MembershipInput
) {
  const organizations = yield* OrganizationRepository
  if (Option.isSome(yield* organizations.findMembership(organizationId, user.id))) {
    return yield* new Conflict({ detail: "User is already a member of this organization" })
  }
  const at = yield* now
  const member = new OrganizationMember({
    id: yield* newUuid<MemberId>(),
    organizationId,
    userId: user.id,
    role: input.role,
    allBoardsRead: input.allBoardsRead ?? false,
    allBoardsWrite: input.allBoardsWrite ?? false,
    createdAt: at,
    updatedAt: at
  })
  yield* organizations.insertMember(member)
  const grants: Array<BoardAccess> = []
  for (const grant of input.boardAccess ?? []) grants.push(yield* saveGrant(member, grant))
  return { user, member, boardAccess: grants }
})

/**
 * Creates an organization with its owner: an existing user (by id; 404 "User not found") or a new one, whose active
 * organization it becomes. The owner reads and writes every board. All or nothing.
 */
export const createOrganization = Effect.fn("createOrganization")(function*(input: {
  readonly name: string
  readonly owner: UserRef
}) {
  const name = input.name.trim()
  if (name === "") return yield* new Unprocessable({ detail: "Organization name is required" })
  const organizations = yield* OrganizationRepository
  const transactor = yield* Transactor
  return yield* transactor.withTransaction(Effect.gen(function*() {
    const at = yield* now
    const organization = new Organization({
      id: yield* newUuid<OrganizationId>(),
      name,
      createdAt: at,
      updatedAt: at
    })
    yield* annotate({ [AttributeKey.organizationId]: organization.id })
    yield* organizations.insertOrganization(organization)
    const owner = yield* resolveUser(input.owner, organization.id)
    const { member } = yield* insertMembership(organization.id, owner, {
      role: "owner",
      allBoardsRead: true,
      allBoardsWrite: true
    })
    return { organization, owner, member }
  }))
})

/**
 * Adds a member to an organization (404 "Organization not found"): an existing user (by id) or a new one, whose
 * active organization it becomes; with a role, the all-boards flags and grants for boards of the organization (404
 * "Board not found" otherwise). A user already a member is 409 "User is already a member of this organization". All
 * or nothing.
 */
export const addMember = Effect.fn("addMember")(function*(
  organizationId: OrganizationId,
  user: UserRef,
  membership: MembershipInput
) {
  yield* annotate({ [AttributeKey.organizationId]: organizationId })
  const organization = yield* requireOrganization(organizationId)
  const transactor = yield* Transactor
  return yield* transactor.withTransaction(Effect.gen(function*() {
    const resolved = yield* resolveUser(user, organization.id)
    return yield* insertMembership(organization.id, resolved, membership)
  }))
})

/**
 * Grants a member of the organization (404 "Member not found") access to one of its boards (404 "Board not found"),
 * replacing the flags of an earlier grant for that board.
 */
export const grantBoardAccess = Effect.fn("grantBoardAccess")(function*(
  organizationId: OrganizationId,
  userId: UserId,
  grant: BoardGrant
) {
  yield* annotate({ [AttributeKey.organizationId]: organizationId, [AttributeKey.boardId]: grant.boardId })
  const organizations = yield* OrganizationRepository
  const member = yield* organizations.findMembership(organizationId, userId)
  if (Option.isNone(member)) return yield* new NotFound({ detail: "Member not found" })
  return yield* saveGrant(member.value, grant)
})
