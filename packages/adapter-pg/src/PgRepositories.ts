import type { SqlError } from "@effect/sql/SqlError"
import * as SqlClient from "@effect/sql/SqlClient"
import type { AgentPatch } from "@mission-control/core"
import {
  ActivityRepository,
  AgentRepository,
  BoardMemoryRepository,
  BoardRepository,
  DuplicateAgent,
  GatewayRepository,
  OrganizationRepository,
  TaskRepository,
  Transactor
} from "@mission-control/core"
import { Effect, Layer, Option } from "effect"
import { agentChangeLockKey } from "./migrations.js"
import { LocalChangeSignal } from "./PgAgentChanges.js"
import { makeHotPath } from "./PgPool.js"
import {
  activityFromRow,
  agentColumns,
  agentFromRow,
  agentToRow,
  boardAccessFromRow,
  boardFromRow,
  boardToRow,
  gatewayFromRow,
  gatewayToRow,
  memberFromRow,
  organizationFromRow,
  taskFromRow,
  toDate,
  toJson,
  userFromRow
} from "./rows.js"

type Row = Readonly<Record<string, unknown>>

/** Our own SQL with no name transforms, whatever the host configured on its client. */
const sqlClient = Effect.map(SqlClient.SqlClient, (sql) => sql.withoutTransforms())

const constraintOf = (error: SqlError): string | undefined => {
  const cause = error.cause as { readonly code?: unknown; readonly constraint?: unknown } | undefined
  return cause?.code === "23505" && typeof cause.constraint === "string" ? cause.constraint : undefined
}

const duplicateConstraints: Readonly<Record<string, DuplicateAgent["constraint"]>> = {
  mc_agents_board_name_key: "board_name",
  mc_agents_board_lead_key: "board_lead",
  mc_agents_gateway_main_key: "gateway_main",
  mc_agents_token_digest_key: "token_digest"
}

/** Unique violations of the agent rules become `DuplicateAgent`; any other database failure is a defect. */
const agentWriteErrors = <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, DuplicateAgent, R> =>
  Effect.catchAll(effect, (error) => {
    const constraint = duplicateConstraints[constraintOf(error) ?? ""]
    return constraint === undefined ? Effect.die(error) : Effect.fail(new DuplicateAgent({ constraint }))
  })

const first = <A>(rows: ReadonlyArray<Row>, decode: (row: Row) => A): Option.Option<A> =>
  rows[0] === undefined ? Option.none() : Option.some(decode(rows[0]))

const decodeAll = <A>(decode: (row: Row) => A) => (rows: ReadonlyArray<Row>): ReadonlyArray<A> => rows.map(decode)

const agentRepository = Layer.effect(
  AgentRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    // The token lookup and the heartbeat write run on every agent request.
    const hot = yield* makeHotPath
    const firstAgent = (rows: ReadonlyArray<Row>) => first(rows, agentFromRow)
    const one = (statement: Effect.Effect<ReadonlyArray<Row>, SqlError>) => statement.pipe(Effect.map(firstAgent), Effect.orDie)
    const many = (statement: Effect.Effect<ReadonlyArray<Row>, SqlError>) =>
      statement.pipe(Effect.map(decodeAll(agentFromRow)), Effect.orDie)
    // Every agent write takes the change-feed lock before touching a row, so change numbers follow commit order
    // and lock order is the same in every transaction. Updates and deletes take it in their own statement, as a
    // one-time filter Postgres evaluates before it reads a row: one round trip, and no transaction of their own.
    const localSignal = yield* Effect.serviceOption(LocalChangeSignal)
    const changeLock = sql`(SELECT pg_advisory_xact_lock(${agentChangeLockKey})::text) IS NOT NULL`
    const signalled = <A>(statement: Effect.Effect<A, SqlError>) =>
      localSignal._tag === "Some" ? Effect.tap(statement, () => localSignal.value.poke) : statement
    // Inside the caller's transaction no savepoint is taken: a failed agent write fails that whole transaction.
    const insertLocked = <A>(statement: Effect.Effect<A, SqlError>) => {
      const locked = sql`SELECT pg_advisory_xact_lock(${agentChangeLockKey})`.pipe(Effect.zipRight(statement))
      return signalled(Effect.serviceOption(SqlClient.TransactionConnection).pipe(
        Effect.flatMap(Option.match({ onNone: () => sql.withTransaction(locked), onSome: () => locked }))
      ))
    }
    const changedColumns = (patch: AgentPatch) => {
      const changes: Record<string, unknown> = {}
      for (const [field, [column, value]] of Object.entries(agentColumns)) {
        if (field in patch && patch[field as keyof AgentPatch] !== undefined) changes[column] = value(patch)
      }
      return Object.keys(changes).length === 0 ? undefined : changes
    }

    return {
      findById: (id) => one(sql`SELECT * FROM mc_agents WHERE id = ${id}`),
      findByTokenDigest: (digest) => one(hot(sql`SELECT * FROM mc_agents WHERE agent_token_digest = ${digest}`)),
      findLead: (boardId) =>
        one(sql`SELECT * FROM mc_agents WHERE board_id = ${boardId} AND is_board_lead ORDER BY created_at LIMIT 1`),
      findGatewayMain: (gatewayId) =>
        one(sql`SELECT * FROM mc_agents WHERE gateway_id = ${gatewayId} AND board_id IS NULL ORDER BY created_at LIMIT 1`),
      findByNameOnBoard: (boardId, name) =>
        one(sql`SELECT * FROM mc_agents WHERE board_id = ${boardId} AND lower(name) = lower(${name}) LIMIT 1`),
      findByNameInGateway: (gatewayId, name) =>
        one(sql`
          SELECT a.* FROM mc_agents a JOIN mc_boards b ON b.id = a.board_id
          WHERE b.gateway_id = ${gatewayId} AND lower(a.name) = lower(${name})
          ORDER BY a.created_at LIMIT 1`),
      findByExactName: (name, boardId) =>
        one(
          boardId === undefined
            ? sql`SELECT * FROM mc_agents WHERE name = ${name} ORDER BY created_at, id LIMIT 1`
            : sql`SELECT * FROM mc_agents WHERE name = ${name} AND board_id = ${boardId} ORDER BY created_at, id LIMIT 1`
        ),
      list: (filter, page) => {
        // One visible board asked for: a plain equality the board index serves (the OR below would not).
        const conditions = filter.boardId !== undefined
          ? filter.visibleBoardIds.includes(filter.boardId) ? [sql`board_id = ${filter.boardId}`] : [sql`false`]
          : [
            sql`(board_id = ANY(${filter.visibleBoardIds}::uuid[])
            OR (board_id IS NULL AND gateway_id = ANY(${filter.visibleMainGatewayIds}::uuid[])))`
          ]
        if (filter.gatewayId !== undefined) {
          conditions.push(sql`(board_id IN (SELECT id FROM mc_boards WHERE gateway_id = ${filter.gatewayId})
            OR (board_id IS NULL AND gateway_id = ${filter.gatewayId}))`)
        }
        const where = sql.and(conditions)
        return Effect.all({
          items: many(sql`
            SELECT * FROM mc_agents WHERE ${where}
            ORDER BY created_at DESC, id DESC LIMIT ${page.limit} OFFSET ${page.offset}`),
          total: sql<{ readonly total: string }>`SELECT count(*) AS total FROM mc_agents WHERE ${where}`.pipe(
            Effect.map((rows) => Number(rows[0]?.total ?? 0)),
            Effect.orDie
          )
        }, { concurrency: 2 })
      },
      listByBoards: (boardIds) =>
        many(sql`SELECT * FROM mc_agents WHERE board_id = ANY(${boardIds}::uuid[]) ORDER BY created_at, id`),
      listByGateway: (gatewayId) =>
        many(sql`
          SELECT * FROM mc_agents
          WHERE gateway_id = ${gatewayId} OR board_id IN (SELECT id FROM mc_boards WHERE gateway_id = ${gatewayId})
          ORDER BY created_at, id`),
      listChangedSince: (boardIds, since) =>
        many(sql`
          SELECT * FROM mc_agents
          WHERE board_id = ANY(${boardIds}::uuid[])
            AND (updated_at >= ${toDate(since)} OR last_seen_at >= ${toDate(since)})
          ORDER BY updated_at, id`),
      listPendingProvision: (before) =>
        many(sql`
          SELECT * FROM mc_agents
          WHERE provision_action IS NOT NULL AND provision_requested_at < ${toDate(before)}
          ORDER BY created_at, id`),
      insert: (agent) =>
        insertLocked(sql`INSERT INTO mc_agents ${sql.insert(agentToRow(agent))}`).pipe(Effect.asVoid, agentWriteErrors),
      update: (id, patch: AgentPatch) => {
        const changes = changedColumns(patch)
        if (changes === undefined) return one(sql`SELECT * FROM mc_agents WHERE id = ${id}`)
        return signalled(sql`UPDATE mc_agents SET ${sql.update(changes)} WHERE id = ${id} AND ${changeLock} RETURNING *`).pipe(
          agentWriteErrors,
          Effect.map(firstAgent)
        )
      },
      updateWithActivity: (id, patch, activity) => {
        const changes = changedColumns(patch) ?? { id }
        return signalled(hot(sql`
          WITH updated AS (
            UPDATE mc_agents SET ${sql.update(changes)} WHERE id = ${id} AND ${changeLock} RETURNING *
          ), recorded AS (
            INSERT INTO mc_activity_events (id, event_type, message, agent_id, task_id, created_at)
            SELECT ${activity.id}::uuid, ${activity.eventType}::text, ${activity.message}::text, ${activity.agentId}::uuid,
              ${activity.taskId}::uuid, ${toDate(activity.createdAt)}::timestamptz
            FROM updated
          )
          SELECT * FROM updated`)).pipe(agentWriteErrors, Effect.map(firstAgent))
      },
      delete: (id) => signalled(sql`DELETE FROM mc_agents WHERE id = ${id} AND ${changeLock}`).pipe(Effect.asVoid, Effect.orDie)
    }
  })
)

const boardRepository = Layer.effect(
  BoardRepository,
  Effect.map(sqlClient, (sql) => ({
    findById: (id) =>
      sql`SELECT * FROM mc_boards WHERE id = ${id}`.pipe(Effect.map((rows) => first(rows, boardFromRow)), Effect.orDie),
    listByGateway: (gatewayId) =>
      sql`SELECT * FROM mc_boards WHERE gateway_id = ${gatewayId} ORDER BY created_at, id`.pipe(
        Effect.map(decodeAll(boardFromRow)),
        Effect.orDie
      ),
    listIdsByOrganization: (organizationId) =>
      sql<{ readonly id: string }>`SELECT id FROM mc_boards WHERE organization_id = ${organizationId}`.pipe(
        Effect.map((rows) => rows.map((row) => row.id as never)),
        Effect.orDie
      ),
    insert: (board) => sql`INSERT INTO mc_boards ${sql.insert(boardToRow(board))}`.pipe(Effect.asVoid, Effect.orDie),
    update: (board) => {
      const { id, ...changes } = boardToRow(board)
      return sql`UPDATE mc_boards SET ${sql.update(changes)} WHERE id = ${id as string}`.pipe(Effect.asVoid, Effect.orDie)
    }
  }))
)

const gatewayRepository = Layer.effect(
  GatewayRepository,
  Effect.map(sqlClient, (sql) => ({
    findById: (id) =>
      sql`SELECT * FROM mc_gateways WHERE id = ${id}`.pipe(Effect.map((rows) => first(rows, gatewayFromRow)), Effect.orDie),
    listByOrganization: (organizationId, page) =>
      Effect.all({
        items: sql`
          SELECT * FROM mc_gateways WHERE organization_id = ${organizationId}
          ORDER BY created_at DESC, id DESC LIMIT ${page.limit} OFFSET ${page.offset}`.pipe(
          Effect.map(decodeAll(gatewayFromRow))
        ),
        total: sql<{ readonly total: string }>`
          SELECT count(*) AS total FROM mc_gateways WHERE organization_id = ${organizationId}`.pipe(
          Effect.map((rows) => Number(rows[0]?.total ?? 0))
        )
      }).pipe(Effect.orDie),
    listIdsByOrganization: (organizationId) =>
      sql<{ readonly id: string }>`SELECT id FROM mc_gateways WHERE organization_id = ${organizationId}`.pipe(
        Effect.map((rows) => rows.map((row) => row.id as never)),
        Effect.orDie
      ),
    insert: (gateway) => sql`INSERT INTO mc_gateways ${sql.insert(gatewayToRow(gateway))}`.pipe(Effect.asVoid, Effect.orDie),
    update: (gateway) => {
      const { id, ...changes } = gatewayToRow(gateway)
      return sql`UPDATE mc_gateways SET ${sql.update(changes)} WHERE id = ${id as string}`.pipe(Effect.asVoid, Effect.orDie)
    },
    delete: (id) => sql`DELETE FROM mc_gateways WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie),
    hasBoards: (id) =>
      sql`SELECT 1 FROM mc_boards WHERE gateway_id = ${id} LIMIT 1`.pipe(Effect.map((rows) => rows.length > 0), Effect.orDie)
  }))
)

const organizationRepository = Layer.effect(
  OrganizationRepository,
  Effect.map(sqlClient, (sql) => ({
    findOrganization: (id) =>
      sql`SELECT * FROM mc_organizations WHERE id = ${id}`.pipe(
        Effect.map((rows) => first(rows, organizationFromRow)),
        Effect.orDie
      ),
    findUser: (id) =>
      sql`SELECT * FROM mc_users WHERE id = ${id}`.pipe(Effect.map((rows) => first(rows, userFromRow)), Effect.orDie),
    findMembership: (organizationId, userId) =>
      sql`SELECT * FROM mc_organization_members WHERE organization_id = ${organizationId} AND user_id = ${userId}`.pipe(
        Effect.map((rows) => first(rows, memberFromRow)),
        Effect.orDie
      ),
    listMemberships: (userId) =>
      sql`SELECT * FROM mc_organization_members WHERE user_id = ${userId} ORDER BY created_at, id`.pipe(
        Effect.map(decodeAll(memberFromRow)),
        Effect.orDie
      ),
    listBoardAccess: (memberId) =>
      sql`SELECT * FROM mc_board_access WHERE member_id = ${memberId}`.pipe(
        Effect.map(decodeAll(boardAccessFromRow)),
        Effect.orDie
      ),
    findOwnerUser: (organizationId) =>
      sql`
        SELECT u.* FROM mc_organization_members m JOIN mc_users u ON u.id = m.user_id
        WHERE m.organization_id = ${organizationId} AND m.role = 'owner'
        ORDER BY m.created_at, m.id LIMIT 1`.pipe(Effect.map((rows) => first(rows, userFromRow)), Effect.orDie),
    insertOrganization: (organization) =>
      sql`INSERT INTO mc_organizations ${
        sql.insert({
          id: organization.id,
          name: organization.name,
          created_at: toDate(organization.createdAt),
          updated_at: toDate(organization.updatedAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    insertUser: (user) =>
      sql`INSERT INTO mc_users ${
        sql.insert({
          id: user.id,
          email: user.email,
          name: user.name,
          preferred_name: user.preferredName,
          pronouns: user.pronouns,
          timezone: user.timezone,
          notes: user.notes,
          context: user.context,
          active_organization_id: user.activeOrganizationId
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    insertMember: (member) =>
      sql`INSERT INTO mc_organization_members ${
        sql.insert({
          id: member.id,
          organization_id: member.organizationId,
          user_id: member.userId,
          role: member.role,
          all_boards_read: member.allBoardsRead,
          all_boards_write: member.allBoardsWrite,
          created_at: toDate(member.createdAt),
          updated_at: toDate(member.updatedAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    insertBoardAccess: (access) =>
      sql`INSERT INTO mc_board_access ${
        sql.insert({
          id: access.id,
          member_id: access.memberId,
          board_id: access.boardId,
          can_read: access.canRead,
          can_write: access.canWrite,
          created_at: toDate(access.createdAt),
          updated_at: toDate(access.updatedAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie)
  }))
)

const taskRepository = Layer.effect(
  TaskRepository,
  Effect.map(sqlClient, (sql) => ({
    releaseAgentTasks: (agentId, at) =>
      sql<{ readonly id: string }>`
        UPDATE mc_tasks SET
          assigned_agent_id = NULL,
          updated_at = ${toDate(at)},
          status = CASE WHEN status = 'in_progress' THEN 'inbox' ELSE status END,
          in_progress_at = CASE WHEN status = 'in_progress' THEN NULL ELSE in_progress_at END
        WHERE assigned_agent_id = ${agentId}
        RETURNING id`.pipe(Effect.map((rows) => rows.length), Effect.orDie),
    findById: (id) =>
      sql`SELECT * FROM mc_tasks WHERE id = ${id}`.pipe(Effect.map((rows) => first(rows, taskFromRow)), Effect.orDie),
    insert: (task) =>
      sql`INSERT INTO mc_tasks ${
        sql.insert({
          id: task.id,
          board_id: task.boardId,
          status: task.status,
          in_progress_at: toDate(task.inProgressAt),
          assigned_agent_id: task.assignedAgentId,
          updated_at: toDate(task.updatedAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie)
  }))
)

const activityRepository = Layer.effect(
  ActivityRepository,
  Effect.map(sqlClient, (sql) => ({
    record: (event) =>
      sql`INSERT INTO mc_activity_events ${
        sql.insert({
          id: event.id,
          event_type: event.eventType,
          message: event.message,
          agent_id: event.agentId,
          task_id: event.taskId,
          created_at: toDate(event.createdAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    detachAgent: (agentId) =>
      sql`UPDATE mc_activity_events SET agent_id = NULL WHERE agent_id = ${agentId}`.pipe(Effect.asVoid, Effect.orDie),
    listByAgent: (agentId) =>
      sql`SELECT * FROM mc_activity_events WHERE agent_id = ${agentId} ORDER BY created_at, seq`.pipe(
        Effect.map(decodeAll(activityFromRow)),
        Effect.orDie
      ),
    listRecent: (limit) =>
      sql`SELECT * FROM mc_activity_events ORDER BY created_at DESC, seq DESC LIMIT ${limit}`.pipe(
        Effect.map(decodeAll(activityFromRow)),
        Effect.orDie
      )
  }))
)

const boardMemoryRepository = Layer.effect(
  BoardMemoryRepository,
  Effect.map(sqlClient, (sql) => ({
    insert: (memory) =>
      sql`INSERT INTO mc_board_memory ${
        sql.insert({
          id: memory.id,
          board_id: memory.boardId,
          content: memory.content,
          tags: toJson(memory.tags),
          is_chat: memory.isChat,
          source: memory.source,
          created_at: toDate(memory.createdAt)
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    pausedBoardIds: (boardIds) =>
      sql<{ readonly board_id: string; readonly command: string }>`
        SELECT DISTINCT ON (board_id) board_id, lower(trim(content)) AS command
        FROM mc_board_memory
        WHERE is_chat AND board_id = ANY(${boardIds}::uuid[]) AND lower(trim(content)) IN ('/pause', '/resume')
        ORDER BY board_id, created_at DESC`.pipe(
        Effect.map((rows) => new Set(rows.filter((row) => row.command === "/pause").map((row) => row.board_id as never))),
        Effect.orDie
      )
  }))
)

const transactor = Layer.effect(
  Transactor,
  Effect.map(SqlClient.SqlClient, (sql) => ({
    // A failed BEGIN or COMMIT is infrastructure, a defect; the effect's own errors pass through unchanged.
    withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      sql.withTransaction(effect).pipe(
        Effect.catchIf(
          (error): error is E & SqlError => typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError",
          (error) => Effect.die(error)
        )
      ) as Effect.Effect<A, E, R>
  }))
)

/** Every repository of the core and the transaction boundary, on the `SqlClient` in context. */
export const layer = Layer.mergeAll(
  agentRepository,
  boardRepository,
  gatewayRepository,
  organizationRepository,
  taskRepository,
  activityRepository,
  boardMemoryRepository,
  transactor
)
