import { DateTime, Effect, Layer, Option } from "effect"
import type { AgentId, BoardId } from "../domain/ids.js"
import type { Agent } from "../domain/models.js"
import { Board } from "../domain/models.js"
import { ActivityEvent, Agent as AgentClass, BoardAccess, Task } from "../domain/models.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { AgentChanges } from "../services/AgentChanges.js"
import type { AgentListFilter, AgentPatch } from "../services/AgentRepository.js"
import { AgentRepository, DuplicateAgent } from "../services/AgentRepository.js"
import { BoardMemoryRepository } from "../services/BoardMemoryRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import type { MemoryTables } from "./MemoryStore.js"
import { layer as memoryStoreLayer, MemoryStore } from "./MemoryStore.js"

const newestFirst = <A extends { readonly createdAt: DateTime.Utc; readonly id: string }>(left: A, right: A) =>
  DateTime.Order(right.createdAt, left.createdAt) || (right.id < left.id ? -1 : right.id > left.id ? 1 : 0)

const oldestFirst = <A extends { readonly createdAt: DateTime.Utc; readonly id: string }>(left: A, right: A) =>
  -newestFirst(left, right)

const byNameThenNewest = (left: Board, right: Board) => {
  const leftName = left.name.toLowerCase()
  const rightName = right.name.toLowerCase()
  return leftName < rightName ? -1 : leftName > rightName ? 1 : newestFirst(left, right)
}

const sameName = (left: string, right: string) => left.toLowerCase() === right.toLowerCase()

/** The uniqueness rules the Postgres adapter enforces with indexes, checked the same way here. */
const violatedConstraint = (tables: MemoryTables, agent: Agent): DuplicateAgent["constraint"] | undefined => {
  for (const other of tables.agents.values()) {
    if (other.id === agent.id) continue
    if (agent.boardId !== null && other.boardId === agent.boardId && sameName(other.name, agent.name)) {
      return "board_name"
    }
    if (agent.isBoardLead && agent.boardId !== null && other.isBoardLead && other.boardId === agent.boardId) {
      return "board_lead"
    }
    if (agent.boardId === null && other.boardId === null && other.gatewayId === agent.gatewayId) return "gateway_main"
    if (agent.agentTokenDigest !== null && other.agentTokenDigest === agent.agentTokenDigest) return "token_digest"
  }
  return undefined
}

const matchesFilter = (tables: MemoryTables, filter: AgentListFilter) => (agent: Agent): boolean => {
  const visible = agent.boardId === null
    ? filter.visibleMainGatewayIds.includes(agent.gatewayId)
    : filter.visibleBoardIds.includes(agent.boardId)
  if (!visible) return false
  if (filter.boardId !== undefined && agent.boardId !== filter.boardId) return false
  if (filter.gatewayId !== undefined) {
    if (agent.boardId === null) return agent.gatewayId === filter.gatewayId
    return tables.boards.get(agent.boardId)?.gatewayId === filter.gatewayId
  }
  return true
}

const agentRepository = Layer.effect(
  AgentRepository,
  Effect.gen(function*() {
    const store = yield* MemoryStore
    const find = (operation: string, predicate: (agent: Agent, tables: MemoryTables) => boolean) =>
      store.run(
        operation,
        (tables) =>
          Option.fromNullishOr([...tables.agents.values()].sort(oldestFirst).find((agent) => predicate(agent, tables)))
      )
    const write = (operation: string, agent: Agent, previous: Agent | undefined) =>
      Effect.flatMap(
        store.run(operation, (tables) => {
          const violation = violatedConstraint(tables, agent)
          if (violation !== undefined) return violation
          tables.agents.set(agent.id, agent)
          return undefined
        }),
        (violation) =>
          violation === undefined
            ? store.publishAgentChange(agent, previous ?? agent)
            : Effect.fail(new DuplicateAgent({ constraint: violation }))
      )
    const update = (id: AgentId, patch: AgentPatch) =>
      Effect.flatMap(
        store.run("agents.update", (tables) => tables.agents.get(id)),
        (previous) => {
          if (previous === undefined) return Effect.succeed(Option.none<Agent>())
          const next = new AgentClass({ ...previous, ...patch })
          return write("agents.update", next, previous).pipe(Effect.as(Option.some(next)))
        }
      )
    return {
      findById: (id) => store.run("agents.findById", (tables) => Option.fromNullishOr(tables.agents.get(id))),
      findByTokenDigest: (digest) => find("agents.findByTokenDigest", (agent) => agent.agentTokenDigest === digest),
      findByPreviousTokenDigest: (digest) =>
        find("agents.findByPreviousTokenDigest", (agent) => agent.previousTokenDigest === digest),
      findLead: (boardId) => find("agents.findLead", (agent) => agent.boardId === boardId && agent.isBoardLead),
      findGatewayMain: (gatewayId) =>
        find("agents.findGatewayMain", (agent) => agent.boardId === null && agent.gatewayId === gatewayId),
      findByNameOnBoard: (boardId, name) =>
        find("agents.findByNameOnBoard", (agent) => agent.boardId === boardId && sameName(agent.name, name)),
      findByNameInGateway: (gatewayId, name) =>
        find(
          "agents.findByNameInGateway",
          (agent, tables) =>
            agent.boardId !== null && tables.boards.get(agent.boardId)?.gatewayId === gatewayId &&
            sameName(agent.name, name)
        ),
      findByExactName: (name, { boardId, organizationId }) =>
        find(
          "agents.findByExactName",
          (agent, tables) =>
            agent.name === name && (boardId === undefined || agent.boardId === boardId) &&
            tables.gateways.get(agent.gatewayId)?.organizationId === organizationId
        ),
      list: (filter, page) =>
        store.run("agents.list", (tables) => {
          const all = [...tables.agents.values()].filter(matchesFilter(tables, filter)).sort(newestFirst)
          return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
        }),
      listByBoards: (boardIds) =>
        store.run(
          "agents.listByBoards",
          (tables) =>
            [...tables.agents.values()].filter((agent) => agent.boardId !== null && boardIds.includes(agent.boardId))
              .sort(oldestFirst)
        ),
      listByGateway: (gatewayId) =>
        store.run(
          "agents.listByGateway",
          (tables) =>
            [...tables.agents.values()].filter((agent) =>
              agent.gatewayId === gatewayId ||
              (agent.boardId !== null && tables.boards.get(agent.boardId)?.gatewayId === gatewayId)
            ).sort(oldestFirst)
        ),
      listChangedSince: (boardIds, since) =>
        store.run(
          "agents.listChangedSince",
          (tables) =>
            [...tables.agents.values()].filter((agent) =>
              agent.boardId !== null && boardIds.includes(agent.boardId) &&
              (DateTime.isGreaterThanOrEqualTo(agent.updatedAt, since) ||
                (agent.lastSeenAt !== null && DateTime.isGreaterThanOrEqualTo(agent.lastSeenAt, since)))
            ).sort((left, right) => DateTime.Order(left.updatedAt, right.updatedAt))
        ),
      listPendingProvision: (before) =>
        store.run(
          "agents.listPendingProvision",
          (tables) =>
            [...tables.agents.values()].filter((agent) =>
              agent.provisionRequestedAt !== null && agent.provisionAction !== null &&
              DateTime.isLessThan(agent.provisionRequestedAt, before)
            ).sort(oldestFirst)
        ),
      listCheckinDue: (before) =>
        store.run(
          "agents.listCheckinDue",
          (tables) =>
            [...tables.agents.values()].flatMap((agent) =>
              agent.checkinDeadlineAt !== null && DateTime.isLessThanOrEqualTo(agent.checkinDeadlineAt, before)
                ? [{ agent, deadline: agent.checkinDeadlineAt }]
                : []
            ).sort((left, right) =>
              DateTime.Order(left.deadline, right.deadline) || (left.agent.id < right.agent.id ? -1 : 1)
            ).map(({ agent }) => agent)
        ),
      insert: (agent) => write("agents.insert", agent, undefined),
      update,
      updateWithActivity: (id, patch, activity) =>
        store.withTransaction(
          update(id, patch).pipe(
            Effect.tap((updated) =>
              updated._tag === "None"
                ? Effect.void
                : store.run("activity.record", (tables) => void tables.activity.set(activity.id, activity))
            )
          )
        ),
      delete: (id) =>
        Effect.flatMap(
          store.run("agents.delete", (tables) => {
            const previous = tables.agents.get(id)
            tables.agents.delete(id)
            return previous
          }),
          (previous) => previous === undefined ? Effect.void : store.publishAgentChange(null, previous)
        )
    }
  })
)

const boardRepository = Layer.effect(
  BoardRepository,
  Effect.map(MemoryStore, (store) => ({
    findById: (id) => store.run("boards.findById", (tables) => Option.fromNullishOr(tables.boards.get(id))),
    listByGateway: (gatewayId) =>
      store.run(
        "boards.listByGateway",
        (tables) => [...tables.boards.values()].filter((board) => board.gatewayId === gatewayId).sort(oldestFirst)
      ),
    listIdsByOrganization: (organizationId) =>
      store.run(
        "boards.listIdsByOrganization",
        (tables) =>
          [...tables.boards.values()].filter((board) => board.organizationId === organizationId).map((board) =>
            board.id
          )
      ),
    list: (filter, page) =>
      store.run("boards.list", (tables) => {
        const all = [...tables.boards.values()].filter((board) =>
          board.organizationId === filter.organizationId &&
          (filter.boardIds === undefined || filter.boardIds.includes(board.id)) &&
          (filter.gatewayId === undefined || board.gatewayId === filter.gatewayId)
        ).sort(filter.order === "newest" ? newestFirst : byNameThenNewest)
        return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
      }),
    insert: (board) => store.run("boards.insert", (tables) => void tables.boards.set(board.id, board)),
    update: (board, changed) =>
      store.run("boards.update", (tables) => {
        const current = tables.boards.get(board.id)
        if (current === undefined) return false
        const fields = Object.fromEntries(changed.map((field) => [field, board[field]]))
        tables.boards.set(board.id, new Board({ ...current, ...fields }))
        return true
      }),
    delete: (id) =>
      store.run("boards.delete", (tables) => {
        if ([...tables.agents.values()].some((agent) => agent.boardId === id)) return false
        tables.boards.delete(id)
        // What the foreign keys cascade to in Postgres.
        tables.boardMemory = tables.boardMemory.filter((memory) => memory.boardId !== id)
        for (const access of tables.boardAccess.values()) {
          if (access.boardId === id) tables.boardAccess.delete(access.id)
        }
        return true
      })
  }))
)

const gatewayRepository = Layer.effect(
  GatewayRepository,
  Effect.map(MemoryStore, (store) => ({
    findById: (id) => store.run("gateways.findById", (tables) => Option.fromNullishOr(tables.gateways.get(id))),
    listByOrganization: (organizationId, page) =>
      store.run("gateways.listByOrganization", (tables) => {
        const all = [...tables.gateways.values()].filter((gateway) => gateway.organizationId === organizationId)
          .sort(newestFirst)
        return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
      }),
    listIdsByOrganization: (organizationId) =>
      store.run(
        "gateways.listIdsByOrganization",
        (tables) =>
          [...tables.gateways.values()].filter((gateway) => gateway.organizationId === organizationId)
            .map((gateway) => gateway.id)
      ),
    listIds: store.run(
      "gateways.listIds",
      (tables) =>
        [...tables.gateways.values()].sort((a, b) =>
          DateTime.toEpochMillis(a.createdAt) - DateTime.toEpochMillis(b.createdAt)
        ).map((gateway) => gateway.id)
    ),
    insert: (gateway) => store.run("gateways.insert", (tables) => void tables.gateways.set(gateway.id, gateway)),
    update: (gateway) => store.run("gateways.update", (tables) => void tables.gateways.set(gateway.id, gateway)),
    delete: (id) => store.run("gateways.delete", (tables) => void tables.gateways.delete(id)),
    hasBoards: (id) =>
      store.run("gateways.hasBoards", (tables) => [...tables.boards.values()].some((board) => board.gatewayId === id))
  }))
)

const organizationRepository = Layer.effect(
  OrganizationRepository,
  Effect.map(MemoryStore, (store) => ({
    findOrganization: (id) =>
      store.run("organizations.find", (tables) => Option.fromNullishOr(tables.organizations.get(id))),
    findUser: (id) => store.run("users.find", (tables) => Option.fromNullishOr(tables.users.get(id))),
    findMembership: (organizationId, userId) =>
      store.run("members.find", (tables) =>
        Option.fromNullishOr(
          [...tables.members.values()].find((member) =>
            member.organizationId === organizationId && member.userId === userId
          )
        )),
    listMemberships: (userId) =>
      store.run(
        "members.listByUser",
        (tables) => [...tables.members.values()].filter((member) => member.userId === userId).sort(oldestFirst)
      ),
    listBoardAccess: (memberId) =>
      store.run(
        "boardAccess.listByMember",
        (tables) => [...tables.boardAccess.values()].filter((access) => access.memberId === memberId)
      ),
    findOwnerUser: (organizationId) =>
      store.run("organizations.findOwnerUser", (tables) => {
        const owner = [...tables.members.values()]
          .filter((member) => member.organizationId === organizationId && member.role === "owner")
          .sort(oldestFirst)[0]
        return Option.fromNullishOr(owner === undefined ? undefined : tables.users.get(owner.userId))
      }),
    insertOrganization: (organization) =>
      store.run("organizations.insert", (tables) => void tables.organizations.set(organization.id, organization)),
    insertUser: (user) => store.run("users.insert", (tables) => void tables.users.set(user.id, user)),
    insertMember: (member) => store.run("members.insert", (tables) => void tables.members.set(member.id, member)),
    insertBoardAccess: (access) =>
      store.run("boardAccess.insert", (tables) => void tables.boardAccess.set(access.id, access)),
    upsertBoardAccess: (access) =>
      store.run("boardAccess.upsert", (tables) => {
        const existing = [...tables.boardAccess.values()].find((grant) =>
          grant.memberId === access.memberId && grant.boardId === access.boardId
        )
        const stored = existing === undefined ? access : new BoardAccess({
          ...existing,
          canRead: access.canRead,
          canWrite: access.canWrite,
          updatedAt: access.updatedAt
        })
        tables.boardAccess.set(stored.id, stored)
        return stored
      })
  }))
)

const taskRepository = Layer.effect(
  TaskRepository,
  Effect.map(MemoryStore, (store) => ({
    releaseAgentTasks: (agentId, at) =>
      store.run("tasks.releaseAgentTasks", (tables) => {
        let changed = 0
        for (const task of tables.tasks.values()) {
          if (task.assignedAgentId !== agentId) continue
          changed++
          tables.tasks.set(
            task.id,
            new Task({
              ...task,
              assignedAgentId: null,
              updatedAt: at,
              ...(task.status === "in_progress" ? { status: "inbox", inProgressAt: null } : {})
            })
          )
        }
        return changed
      }),
    deleteByBoard: (boardId) =>
      store.run("tasks.deleteByBoard", (tables) => {
        const gone = new Set(
          [...tables.tasks.values()].filter((task) => task.boardId === boardId).map((task) => task.id)
        )
        for (const event of tables.activity.values()) {
          if (event.taskId !== null && gone.has(event.taskId)) tables.activity.delete(event.id)
        }
        for (const id of gone) tables.tasks.delete(id)
        return gone.size
      }),
    findById: (id) => store.run("tasks.findById", (tables) => Option.fromNullishOr(tables.tasks.get(id))),
    insert: (task) => store.run("tasks.insert", (tables) => void tables.tasks.set(task.id, task))
  }))
)

const activityRepository = Layer.effect(
  ActivityRepository,
  Effect.map(MemoryStore, (store) => ({
    record: (event) => store.run("activity.record", (tables) => void tables.activity.set(event.id, event)),
    detachAgent: (agentId) =>
      store.run("activity.detachAgent", (tables) => {
        for (const event of tables.activity.values()) {
          if (event.agentId === agentId) tables.activity.set(event.id, new ActivityEvent({ ...event, agentId: null }))
        }
      }),
    listByAgent: (agentId) =>
      store.run("activity.listByAgent", (tables) =>
        // Insertion order breaks ties, as a sequence column does in SQL.
        [...tables.activity.values()].filter((event) => event.agentId === agentId)
          .sort((left, right) => DateTime.Order(left.createdAt, right.createdAt))),
    listRecent: (limit) =>
      store.run(
        "activity.listRecent",
        (tables) =>
          [...tables.activity.values()].reverse().sort((left, right) => DateTime.Order(right.createdAt, left.createdAt))
            .slice(0, limit)
      )
  }))
)

const boardMemoryRepository = Layer.effect(
  BoardMemoryRepository,
  Effect.map(MemoryStore, (store) => ({
    insert: (memory) => store.run("boardMemory.insert", (tables) => void tables.boardMemory.push(memory)),
    list: (boardId, filter, page) =>
      store.run("boardMemory.list", (tables) => {
        const all = tables.boardMemory.filter((memory) =>
          memory.boardId === boardId && memory.content.trim() !== "" &&
          (filter.isChat === undefined || memory.isChat === filter.isChat)
        ).sort(newestFirst)
        return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
      }),
    pausedBoardIds: (boardIds) =>
      store.run("boardMemory.pausedBoardIds", (tables) => {
        const latest = new Map<BoardId, { readonly at: DateTime.Utc; readonly command: string }>()
        for (const memory of tables.boardMemory) {
          const command = memory.content.trim().toLowerCase()
          if (!memory.isChat || !boardIds.includes(memory.boardId) || (command !== "/pause" && command !== "/resume")) {
            continue
          }
          const seen = latest.get(memory.boardId)
          if (seen === undefined || DateTime.isGreaterThanOrEqualTo(memory.createdAt, seen.at)) {
            latest.set(memory.boardId, { at: memory.createdAt, command })
          }
        }
        return new Set([...latest].filter(([, entry]) => entry.command === "/pause").map(([boardId]) => boardId))
      })
  }))
)

const transactor = Layer.effect(
  Transactor,
  Effect.map(MemoryStore, (store) => ({ withTransaction: store.withTransaction }))
)

const agentChanges = Layer.effect(
  AgentChanges,
  Effect.map(MemoryStore, (store) => ({ currentSequence: store.currentSequence, open: store.open }))
)

/** Every repository, the transactor and the change feed, on one in-memory store (which it also provides). */
export const layer = Layer.mergeAll(
  agentRepository,
  boardRepository,
  gatewayRepository,
  organizationRepository,
  taskRepository,
  activityRepository,
  boardMemoryRepository,
  transactor,
  agentChanges
).pipe(Layer.provideMerge(memoryStoreLayer))
