import { DateTime, Effect, Option, Redacted } from "effect"
import { defaultHeartbeatConfig, leadSessionKey, workerSessionKey } from "../domain/identity.js"
import type {
  AgentId,
  BoardAccessId,
  BoardId,
  GatewayId,
  MemberId,
  OrganizationId,
  TaskId,
  UserId
} from "../domain/ids.js"
import type { MemberRole } from "../domain/models.js"
import {
  Agent,
  Board,
  BoardAccess,
  boardDefaults,
  BoardMemory,
  Gateway,
  Organization,
  OrganizationMember,
  Task,
  User
} from "../domain/models.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens } from "../services/AgentTokens.js"
import { BoardMemoryRepository } from "../services/BoardMemoryRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"

const uuid = <Id extends string>(): Id => globalThis.crypto.randomUUID() as Id

/** Inserts an organization. */
export const organization = (name = "Acme") =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new Organization({ id: uuid<OrganizationId>(), name, createdAt: at, updatedAt: at })
    yield* Effect.flatMap(OrganizationRepository, (repo) => repo.insertOrganization(value))
    return value
  })

/** Inserts a user (active in `organizationId` when given). */
export const user = (fields: Partial<Omit<User, "id">> = {}) =>
  Effect.gen(function*() {
    const value = new User({
      id: uuid<UserId>(),
      email: null,
      name: "Test User",
      preferredName: null,
      pronouns: null,
      timezone: null,
      notes: null,
      context: null,
      activeOrganizationId: null,
      ...fields
    })
    yield* Effect.flatMap(OrganizationRepository, (repo) => repo.insertUser(value))
    return value
  })

/** Inserts a membership. */
export const member = (
  organizationId: OrganizationId,
  userId: UserId,
  role: MemberRole,
  flags: { readonly allBoardsRead?: boolean; readonly allBoardsWrite?: boolean } = {}
) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new OrganizationMember({
      id: uuid<MemberId>(),
      organizationId,
      userId,
      role,
      allBoardsRead: flags.allBoardsRead ?? false,
      allBoardsWrite: flags.allBoardsWrite ?? false,
      createdAt: at,
      updatedAt: at
    })
    yield* Effect.flatMap(OrganizationRepository, (repo) => repo.insertMember(value))
    return value
  })

/** Grants a member access to a board. */
export const boardAccess = (memberId: MemberId, boardId: BoardId, canRead: boolean, canWrite: boolean) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new BoardAccess({
      id: uuid<BoardAccessId>(),
      memberId,
      boardId,
      canRead,
      canWrite,
      createdAt: at,
      updatedAt: at
    })
    yield* Effect.flatMap(OrganizationRepository, (repo) => repo.insertBoardAccess(value))
    return value
  })

/** Inserts a gateway. */
export const gateway = (organizationId: OrganizationId, fields: Partial<Omit<Gateway, "id" | "organizationId">> = {}) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new Gateway({
      id: uuid<GatewayId>(),
      organizationId,
      name: "Test Gateway",
      url: "ws://127.0.0.1:18789",
      token: Redacted.make("gateway-token"),
      workspaceRoot: "~/.openclaw",
      allowInsecureTls: false,
      disableDevicePairing: false,
      createdAt: at,
      updatedAt: at,
      ...fields
    })
    yield* Effect.flatMap(GatewayRepository, (repo) => repo.insert(value))
    return value
  })

/** Inserts a board. */
export const board = (
  organizationId: OrganizationId,
  gatewayId: GatewayId | null,
  fields: Partial<Omit<Board, "id" | "organizationId" | "gatewayId">> = {}
) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new Board({
      id: uuid<BoardId>(),
      organizationId,
      name: "Test Board",
      slug: "test-board",
      description: "",
      gatewayId,
      boardType: "goal",
      objective: null,
      successMetrics: null,
      targetDate: null,
      goalConfirmed: false,
      ...boardDefaults,
      createdAt: at,
      updatedAt: at,
      ...fields
    })
    yield* Effect.flatMap(BoardRepository, (repo) => repo.insert(value))
    return value
  })

/** Inserts an agent record directly (no gateway call) with a token; returns the agent and its raw token. */
export const agent = (
  fields: Pick<Agent, "gatewayId"> & Partial<Omit<Agent, "id" | "gatewayId">>
) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const minted = yield* Effect.flatMap(AgentTokens, (tokens) => tokens.mint)
    const id = uuid<AgentId>()
    const boardId = fields.boardId ?? null
    const isBoardLead = fields.isBoardLead ?? false
    const value = new Agent({
      id,
      boardId,
      name: `Agent ${id.slice(0, 8)}`,
      status: "online",
      openclawSessionId: boardId === null ? null : isBoardLead ? leadSessionKey(boardId) : workerSessionKey(id),
      agentTokenDigest: minted.digest,
      heartbeatConfig: defaultHeartbeatConfig(),
      identityProfile: null,
      identityTemplate: null,
      soulTemplate: null,
      provisionRequestedAt: null,
      provisionConfirmTokenHash: null,
      provisionAction: null,
      lastProvisionError: null,
      deleteRequestedAt: null,
      deleteConfirmTokenHash: null,
      lastSeenAt: at,
      lastHeartbeatAt: null,
      lifecycleGeneration: 0,
      wakeAttempts: 0,
      lastWakeSentAt: null,
      checkinDeadlineAt: null,
      previousTokenDigest: null,
      previousTokenValidUntil: null,
      isBoardLead,
      createdAt: at,
      updatedAt: at,
      ...fields
    })
    yield* Effect.flatMap(AgentRepository, (repo) => repo.insert(value)).pipe(Effect.orDie)
    return { agent: value, token: Redacted.value(minted.token) }
  })

/** Inserts a task. */
export const task = (fields: Partial<Omit<Task, "id">> = {}) =>
  Effect.gen(function*() {
    const at = yield* DateTime.now
    const value = new Task({
      id: uuid<TaskId>(),
      boardId: null,
      status: "inbox",
      inProgressAt: null,
      assignedAgentId: null,
      updatedAt: at,
      ...fields
    })
    yield* Effect.flatMap(TaskRepository, (repo) => repo.insert(value))
    return value
  })

/** Posts a chat command (`/pause`, `/resume`) to a board's memory, or another item with `fields`. */
export const chatCommand = (
  boardId: BoardId,
  content: string,
  fields: Partial<Pick<BoardMemory, "isChat" | "tags" | "source">> = {}
) =>
  Effect.gen(function*() {
    const value = new BoardMemory({
      id: uuid(),
      boardId,
      content,
      tags: null,
      isChat: true,
      source: null,
      createdAt: yield* DateTime.now,
      ...fields
    })
    yield* Effect.flatMap(BoardMemoryRepository, (repo) => repo.insert(value))
    return value
  })

/** Reads an agent back from the repository (dies when it is gone). */
export const reload = (id: AgentId) =>
  Effect.flatMap(AgentRepository, (repo) => repo.findById(id)).pipe(
    Effect.flatMap((found) =>
      Option.isSome(found) ? Effect.succeed(found.value) : Effect.die(new Error(`agent ${id} is gone`))
    )
  )

/**
 * A complete organization: an owner (all boards), an admin with no board grant, members with board read, board
 * write and no access, a gateway and a board on it. A second organization with its own admin, gateway and board.
 */
export const world = (options: {
  readonly gateway?: Partial<Omit<Gateway, "id" | "organizationId">>
  /** Fields of the seeded organization's board (`maxAgents`, say). */
  readonly board?: Partial<Omit<Board, "id" | "organizationId" | "gatewayId">>
} = {}) =>
  Effect.gen(function*() {
    const org = yield* organization("Acme")
    const gw = yield* gateway(org.id, { name: "Acme Gateway", ...options.gateway })
    const brd = yield* board(org.id, gw.id, { name: "Launch", slug: "launch", ...options.board })
    const owner = yield* user({ name: "Olivia Owner", preferredName: "Liv Owner", activeOrganizationId: org.id })
    yield* member(org.id, owner.id, "owner", { allBoardsRead: true, allBoardsWrite: true })
    const admin = yield* user({ name: "Adam Admin", activeOrganizationId: org.id })
    const adminMember = yield* member(org.id, admin.id, "admin")
    yield* boardAccess(adminMember.id, brd.id, true, true)
    const reader = yield* user({ name: "Rita Reader", activeOrganizationId: org.id })
    const readerMember = yield* member(org.id, reader.id, "member")
    yield* boardAccess(readerMember.id, brd.id, true, false)
    const writer = yield* user({ name: "Walt Writer", activeOrganizationId: org.id })
    const writerMember = yield* member(org.id, writer.id, "member")
    yield* boardAccess(writerMember.id, brd.id, true, true)
    const outsider = yield* user({ name: "Nina NoAccess", activeOrganizationId: org.id })
    yield* member(org.id, outsider.id, "member")

    const otherOrg = yield* organization("Globex")
    const otherGateway = yield* gateway(otherOrg.id, { name: "Globex Gateway" })
    const otherBoard = yield* board(otherOrg.id, otherGateway.id, { name: "Other", slug: "other" })
    const otherAdmin = yield* user({ name: "Greta Globex", activeOrganizationId: otherOrg.id })
    yield* member(otherOrg.id, otherAdmin.id, "owner", { allBoardsRead: true, allBoardsWrite: true })
    return {
      organization: org,
      gateway: gw,
      board: brd,
      owner,
      admin,
      reader,
      writer,
      outsider,
      other: { organization: otherOrg, gateway: otherGateway, board: otherBoard, admin: otherAdmin }
    }
  })
