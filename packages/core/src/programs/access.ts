import { Effect, Option } from "effect"
import type { BoardId, GatewayId } from "../domain/ids.js"
import type { Agent, Board, Gateway, Organization, OrganizationMember, User } from "../domain/models.js"
import { Forbidden, NotFound, reason, Unauthorized, Unprocessable } from "../errors.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { BoardRepository } from "../services/BoardRepository.js"
import type { GatewayTarget } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"

/** The organization a user acts in, and their membership of it. */
export interface UserContext {
  readonly user: User
  readonly organization: Organization
  readonly member: OrganizationMember
}

/** Owners and admins administer their organization. */
export const isOrgAdmin = (member: OrganizationMember): boolean => member.role === "owner" || member.role === "admin"

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

/** The user's active organization (else their oldest membership). No membership → 403. */
export const requireUserContext = Effect.fnUntraced(function*(user: User | null) {
  if (user === null) return yield* new Unauthorized({ detail: reason.unauthorized })
  const organizations = yield* OrganizationRepository
  // The active organization is read with the memberships, not after them: one round trip on every user request.
  const active = user.activeOrganizationId
  const [memberships, activeOrganization] = yield* Effect.all([
    organizations.listMemberships(user.id),
    active === null ? Effect.succeedNone : organizations.findOrganization(active)
  ], { concurrency: 2 })
  const member = memberships.find((candidate) => candidate.organizationId === active) ?? memberships[0]
  if (member === undefined) return yield* forbidden()
  let organization = activeOrganization
  if (member.organizationId !== active) organization = yield* organizations.findOrganization(member.organizationId)
  if (Option.isNone(organization)) return yield* forbidden()
  // On the span of the program that asked (access checks have none of their own).
  yield* annotate({ [AttributeKey.organizationId]: organization.value.id })
  return { user, organization: organization.value, member } satisfies UserContext
})

/** Like `requireUserContext`, and the member must be an owner or admin (403). */
export const requireOrgAdmin = Effect.fnUntraced(function*(user: User | null) {
  const context = yield* requireUserContext(user)
  if (!isOrgAdmin(context.member)) return yield* forbidden()
  return context
})

/** Whether the member may read (or write) the board. */
export const hasBoardAccess = Effect.fnUntraced(function*(
  member: OrganizationMember,
  board: Board,
  write: boolean
) {
  if (member.organizationId !== board.organizationId) return false
  if (write ? member.allBoardsWrite : member.allBoardsRead || member.allBoardsWrite) return true
  const organizations = yield* OrganizationRepository
  const grants = yield* organizations.listBoardAccess(member.id)
  const grant = grants.find((candidate) => candidate.boardId === board.id)
  if (grant === undefined) return false
  return write ? grant.canWrite : grant.canRead || grant.canWrite
})

/** Ids of the boards the member may read (or write). */
export const listAccessibleBoardIds = Effect.fnUntraced(function*(
  member: OrganizationMember,
  write: boolean
) {
  const organizations = yield* OrganizationRepository
  const boards = yield* BoardRepository
  if (write ? member.allBoardsWrite : member.allBoardsRead || member.allBoardsWrite) {
    return yield* boards.listIdsByOrganization(member.organizationId)
  }
  const grants = yield* organizations.listBoardAccess(member.id)
  const orgBoardIds = new Set(yield* boards.listIdsByOrganization(member.organizationId))
  return grants
    .filter((grant) => (write ? grant.canWrite : grant.canRead || grant.canWrite) && orgBoardIds.has(grant.boardId))
    .map((grant) => grant.boardId)
})

/** The user's membership of the board's organization, which must grant access (403s). */
export const requireBoardAccess = Effect.fnUntraced(function*(user: User, board: Board, write: boolean) {
  const organizations = yield* OrganizationRepository
  const member = yield* organizations.findMembership(board.organizationId, user.id)
  if (Option.isNone(member)) return yield* new Forbidden({ detail: "No org access" })
  if (!(yield* hasBoardAccess(member.value, board, write))) {
    return yield* new Forbidden({ detail: "Board access denied" })
  }
  return member.value
})

/** The board of `boardId` (422 when none given, 404 when missing), access-checked when a user is given. */
export const requireBoard = Effect.fnUntraced(function*(
  boardId: BoardId | null | undefined,
  access: { readonly user: User; readonly write: boolean } | null = null
) {
  if (boardId === null || boardId === undefined) return yield* new Unprocessable({ detail: "board_id is required" })
  const boards = yield* BoardRepository
  const board = yield* boards.findById(boardId)
  if (Option.isNone(board)) return yield* new NotFound({ detail: "Board not found" })
  if (access !== null) yield* requireBoardAccess(access.user, board.value, access.write)
  return board.value
})

/** How to reach a gateway: its trimmed URL, token and connection options. Blank URL → 422. */
export const gatewayTarget = (gateway: Gateway): Effect.Effect<GatewayTarget, Unprocessable> => {
  const url = gateway.url.trim()
  if (url === "") return Effect.fail(new Unprocessable({ detail: "Gateway url is required" }))
  return Effect.succeed({
    gatewayId: gateway.id,
    url,
    token: gateway.token,
    allowInsecureTls: gateway.allowInsecureTls,
    disableDevicePairing: gateway.disableDevicePairing
  })
}

/** The board's gateway, usable for provisioning (422s in the reference's order). */
export const requireGateway = Effect.fnUntraced(function*(board: Board) {
  if (board.gatewayId === null) return yield* new Unprocessable({ detail: "Board gateway_id is required" })
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(board.gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== board.organizationId) {
    return yield* new Unprocessable({ detail: "Board gateway_id is invalid" })
  }
  if (gateway.value.workspaceRoot.trim() === "") {
    return yield* new Unprocessable({ detail: "Gateway workspace_root is required" })
  }
  const target = yield* gatewayTarget(gateway.value)
  return { gateway: gateway.value, target }
})

/** Read or write access of a user context to an agent (main agents: org admins of the gateway's organization). */
export const requireAgentAccess = Effect.fnUntraced(function*(
  agent: Agent,
  context: UserContext,
  write: boolean
) {
  if (agent.boardId === null) {
    if (!isOrgAdmin(context.member)) return yield* forbidden()
    const gateways = yield* GatewayRepository
    const gateway = yield* gateways.findById(agent.gatewayId)
    if (Option.isNone(gateway) || gateway.value.organizationId !== context.organization.id) {
      return yield* notFound()
    }
    return
  }
  const boards = yield* BoardRepository
  const board = yield* boards.findById(agent.boardId)
  if (Option.isNone(board) || board.value.organizationId !== context.organization.id) return yield* notFound()
  if (!(yield* hasBoardAccess(context.member, board.value, write))) return yield* forbidden()
})

/** A gateway of the user's organization (404 "Gateway not found" otherwise). */
export const requireGatewayInOrganization = Effect.fnUntraced(function*(
  gatewayId: GatewayId,
  context: UserContext
) {
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== context.organization.id) {
    return yield* new NotFound({ detail: "Gateway not found" })
  }
  return gateway.value
})

/**
 * The caller must be a board lead (403 `detail` otherwise; by default the text of the agent API's lead-only routes)
 * assigned to a board (403 "Board lead must be assigned to a board"); gives the lead's board.
 */
export const requireBoardLead = Effect.fnUntraced(function*(
  agent: Agent,
  detail = "Only board leads can perform this action"
) {
  if (!agent.isBoardLead) return yield* new Forbidden({ detail })
  if (agent.boardId === null) return yield* new Forbidden({ detail: "Board lead must be assigned to a board" })
  return agent.boardId
})
