import type { AgentPatch, DatabaseUnavailable } from "@mission-control/core"
import {
  Agent,
  AgentId,
  AgentRepository,
  BoardId,
  DuplicateAgent,
  GatewayId,
  IdentityProfile,
  JsonObject,
  OrganizationId
} from "@mission-control/core"
import { Effect, Layer, Option, Schema, Struct } from "effect"
import { SqlSchema } from "effect/sql"
import type { SqlError } from "effect/sql"
import { LocalChangeSignal } from "./internal/signals.js"
import { CountRow, databaseFailures, Jsonb, NullableTimestamp, sqlClient, Timestamp } from "./internal/sql.js"
import { ActivityFromRow } from "./PgActivityRepository.js"

/** The columns of `mc_agents`, by the field of `Agent` they hold. */
const columnNames = {
  boardId: "board_id",
  gatewayId: "gateway_id",
  openclawSessionId: "openclaw_session_id",
  agentTokenDigest: "agent_token_digest",
  heartbeatConfig: "heartbeat_config",
  identityProfile: "identity_profile",
  identityTemplate: "identity_template",
  soulTemplate: "soul_template",
  provisionRequestedAt: "provision_requested_at",
  provisionConfirmTokenHash: "provision_confirm_token_hash",
  provisionAction: "provision_action",
  lastProvisionError: "last_provision_error",
  deleteRequestedAt: "delete_requested_at",
  deleteConfirmTokenHash: "delete_confirm_token_hash",
  lastSeenAt: "last_seen_at",
  lastHeartbeatAt: "last_heartbeat_at",
  lifecycleGeneration: "lifecycle_generation",
  wakeAttempts: "wake_attempts",
  lastWakeSentAt: "last_wake_sent_at",
  checkinDeadlineAt: "checkin_deadline_at",
  previousTokenDigest: "previous_token_digest",
  previousTokenValidUntil: "previous_token_valid_until",
  isBoardLead: "is_board_lead",
  createdAt: "created_at",
  updatedAt: "updated_at",
  adoptedGatewayAgentId: "adopted_gateway_agent_id"
} as const

// Column codecs only; `Agent` itself checks ids and the rest when the row becomes one.
const NullableText = Schema.NullOr(Schema.String)
// Change-feed snapshots written before the migration that added a column have no such key.
const Zero = Schema.Int.pipe(Schema.withDecodingDefault(Effect.succeed(0)))
const NullTimestampByDefault = NullableTimestamp.pipe(Schema.withDecodingDefault(Effect.succeed(null)))
const NullTextByDefault = NullableText.pipe(Schema.withDecodingDefault(Effect.succeed(null)))
const columns = {
  boardId: NullableText,
  gatewayId: Schema.String,
  name: Schema.String,
  status: Schema.String,
  openclawSessionId: NullableText,
  agentTokenDigest: NullableText,
  heartbeatConfig: Jsonb(JsonObject),
  identityProfile: Jsonb(IdentityProfile),
  identityTemplate: NullableText,
  soulTemplate: NullableText,
  provisionRequestedAt: NullableTimestamp,
  provisionConfirmTokenHash: NullableText,
  provisionAction: NullableText,
  lastProvisionError: NullableText,
  deleteRequestedAt: NullableTimestamp,
  deleteConfirmTokenHash: NullableText,
  lastSeenAt: NullableTimestamp,
  lastHeartbeatAt: NullTimestampByDefault,
  lifecycleGeneration: Zero,
  wakeAttempts: Zero,
  lastWakeSentAt: NullTimestampByDefault,
  checkinDeadlineAt: NullTimestampByDefault,
  previousTokenDigest: NullTextByDefault,
  previousTokenValidUntil: NullTimestampByDefault,
  isBoardLead: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  adoptedGatewayAgentId: NullTextByDefault
}

/**
 * A row of `mc_agents` (or its `jsonb` snapshot in the change feed) as an `Agent`, and an `Agent` as the row to
 * insert.
 */
export const AgentFromRow = Schema.Struct({ id: Schema.String, ...columns }).pipe(
  Schema.encodeKeys(columnNames),
  Schema.decodeTo(Agent)
)

/** The columns an `AgentPatch` sets: only the fields it has. */
const PatchColumns = Schema.Struct(columns).mapFields(Struct.map(Schema.optionalKey)).pipe(
  Schema.encodeKeys(columnNames)
)
const encodePatch = Schema.encodeEffect(PatchColumns)

/** The fields a patch really sets: a field present but `undefined` is no change. */
const definedFields = (patch: AgentPatch): AgentPatch =>
  Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))

/** The constraint a write broke, when it broke a unique rule. */
const uniqueConstraint = (error: SqlError.SqlError): string | undefined =>
  error.reason._tag === "UniqueViolation" ? error.reason.constraint : undefined

const duplicateConstraints: Readonly<Record<string, DuplicateAgent["constraint"]>> = {
  mc_agents_board_name_key: "board_name",
  mc_agents_board_lead_key: "board_lead",
  mc_agents_gateway_main_key: "gateway_main",
  mc_agents_token_digest_key: "token_digest"
}

/** Unique violations of the agent rules become `DuplicateAgent`; the rest as `databaseFailures` has them. */
const agentWriteErrors = <A, R>(
  effect: Effect.Effect<A, SqlError.SqlError | Schema.SchemaError, R>
): Effect.Effect<A, DuplicateAgent | DatabaseUnavailable, R> =>
  Effect.catch(effect, (error): Effect.Effect<never, DuplicateAgent | DatabaseUnavailable> => {
    const constraint = error._tag === "SqlError" ? duplicateConstraints[uniqueConstraint(error) ?? ""] : undefined
    return constraint === undefined
      ? databaseFailures(Effect.fail(error))
      : Effect.fail(new DuplicateAgent({ constraint }))
  })

const encodeActivity = Schema.encodeEffect(ActivityFromRow)

/** `AgentRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  AgentRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    // Each agent write is one statement: the table's trigger numbers the change and notifies, with no lock and no
    // transaction of its own. Embedded mode: PGlite delivers no NOTIFY, so this process's own writes wake the change
    // hub, once they have committed.
    const localSignal = yield* Effect.serviceOption(LocalChangeSignal)
    const signalled = <A, E>(statement: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Option.match(localSignal, {
        onNone: () => statement,
        onSome: (local) => Effect.tap(statement, () => sql.afterCommit(local.poke))
      })

    const decodeAgent = Schema.decodeUnknownEffect(AgentFromRow)
    const decodeAgents = Schema.decodeUnknownEffect(Schema.Array(AgentFromRow))
    const decodeTotal = (rows: ReadonlyArray<unknown>) =>
      Effect.map(Schema.decodeUnknownEffect(CountRow)(rows[0]), (row) => row.total)
    const byBoardAndName = Schema.Struct({ boardId: BoardId, name: Schema.String })

    const findById = SqlSchema.findOneOption({
      Request: AgentId,
      Result: AgentFromRow,
      execute: (id) => sql`SELECT * FROM mc_agents WHERE id = ${id}`
    })
    const findByTokenDigest = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: AgentFromRow,
      execute: (digest) => sql`SELECT * FROM mc_agents WHERE agent_token_digest = ${digest}`
    })
    const findByPreviousTokenDigest = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: AgentFromRow,
      execute: (digest) => sql`SELECT * FROM mc_agents WHERE previous_token_digest = ${digest} LIMIT 1`
    })
    const findLead = SqlSchema.findOneOption({
      Request: BoardId,
      Result: AgentFromRow,
      execute: (boardId) =>
        sql`SELECT * FROM mc_agents WHERE board_id = ${boardId} AND is_board_lead ORDER BY created_at LIMIT 1`
    })
    const findGatewayMain = SqlSchema.findOneOption({
      Request: GatewayId,
      Result: AgentFromRow,
      execute: (gatewayId) =>
        sql`SELECT * FROM mc_agents WHERE gateway_id = ${gatewayId} AND board_id IS NULL ORDER BY created_at LIMIT 1`
    })
    const findByNameOnBoard = SqlSchema.findOneOption({
      Request: byBoardAndName,
      Result: AgentFromRow,
      execute: ({ boardId, name }) =>
        sql`SELECT * FROM mc_agents WHERE board_id = ${boardId} AND lower(name) = lower(${name}) LIMIT 1`
    })
    const findByNameInGateway = SqlSchema.findOneOption({
      Request: Schema.Struct({ gatewayId: GatewayId, name: Schema.String }),
      Result: AgentFromRow,
      execute: ({ gatewayId, name }) =>
        sql`
          SELECT a.* FROM mc_agents a JOIN mc_boards b ON b.id = a.board_id
          WHERE b.gateway_id = ${gatewayId} AND lower(a.name) = lower(${name})
          ORDER BY a.created_at LIMIT 1`
    })
    const findByExactName = SqlSchema.findOneOption({
      Request: Schema.Struct({
        boardId: Schema.UndefinedOr(BoardId),
        name: Schema.String,
        organizationId: OrganizationId
      }),
      Result: AgentFromRow,
      execute: ({ boardId, name, organizationId }) =>
        sql`
          SELECT * FROM mc_agents
          WHERE name = ${name}
            AND gateway_id IN (SELECT id FROM mc_gateways WHERE organization_id = ${organizationId})
            ${boardId === undefined ? sql`` : sql`AND board_id = ${boardId}`}
          ORDER BY created_at, id LIMIT 1`
    })
    const listByBoards = SqlSchema.findAll({
      Request: Schema.Array(BoardId),
      Result: AgentFromRow,
      execute: (boardIds) =>
        sql`SELECT * FROM mc_agents WHERE board_id = ANY(${boardIds}::uuid[]) ORDER BY created_at, id`
    })
    const listByGateway = SqlSchema.findAll({
      Request: GatewayId,
      Result: AgentFromRow,
      execute: (gatewayId) =>
        sql`
          SELECT * FROM mc_agents
          WHERE gateway_id = ${gatewayId} OR board_id IN (SELECT id FROM mc_boards WHERE gateway_id = ${gatewayId})
          ORDER BY created_at, id`
    })
    const listChangedSince = SqlSchema.findAll({
      Request: Schema.Struct({ boardIds: Schema.Array(BoardId), since: Timestamp }),
      Result: AgentFromRow,
      execute: ({ boardIds, since }) =>
        sql`
          SELECT * FROM mc_agents
          WHERE board_id = ANY(${boardIds}::uuid[]) AND (updated_at >= ${since} OR last_seen_at >= ${since})
          ORDER BY updated_at, id`
    })
    const listPendingProvision = SqlSchema.findAll({
      Request: Timestamp,
      Result: AgentFromRow,
      execute: (before) =>
        sql`
          SELECT * FROM mc_agents
          WHERE provision_action IS NOT NULL AND provision_requested_at < ${before}
          ORDER BY created_at, id`
    })
    const listCheckinDue = SqlSchema.findAll({
      Request: Timestamp,
      Result: AgentFromRow,
      execute: (before) =>
        sql`
          SELECT * FROM mc_agents
          WHERE checkin_deadline_at IS NOT NULL AND checkin_deadline_at <= ${before}
          ORDER BY checkin_deadline_at, id`
    })
    const insert = SqlSchema.void({
      Request: AgentFromRow,
      execute: (row) => signalled(sql`INSERT INTO mc_agents ${sql.insert(row)}`)
    })
    const update = SqlSchema.findOneOption({
      Request: Schema.Struct({ id: AgentId, patch: PatchColumns }),
      Result: AgentFromRow,
      execute: ({ id, patch }) => signalled(sql`UPDATE mc_agents SET ${sql.update(patch)} WHERE id = ${id} RETURNING *`)
    })

    return AgentRepository.of({
      findById: (id) => databaseFailures(findById(id)),
      findByTokenDigest: (digest) => databaseFailures(findByTokenDigest(digest)),
      findByPreviousTokenDigest: (digest) => databaseFailures(findByPreviousTokenDigest(digest)),
      findLead: (boardId) => databaseFailures(findLead(boardId)),
      findGatewayMain: (gatewayId) => databaseFailures(findGatewayMain(gatewayId)),
      findByNameOnBoard: (boardId, name) => databaseFailures(findByNameOnBoard({ boardId, name })),
      findByNameInGateway: (gatewayId, name) => databaseFailures(findByNameInGateway({ gatewayId, name })),
      findByExactName: (name, { boardId, organizationId }) =>
        databaseFailures(findByExactName({ boardId, name, organizationId })),
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
          items: sql`
            SELECT * FROM mc_agents WHERE ${where}
            ORDER BY created_at DESC, id DESC LIMIT ${page.limit} OFFSET ${page.offset}`.pipe(
            Effect.flatMap(decodeAgents)
          ),
          total: sql`SELECT count(*)::int AS total FROM mc_agents WHERE ${where}`.pipe(Effect.flatMap(decodeTotal))
        }, { concurrency: 2 }).pipe(databaseFailures)
      },
      listByBoards: (boardIds) => databaseFailures(listByBoards(boardIds)),
      listByGateway: (gatewayId) => databaseFailures(listByGateway(gatewayId)),
      listChangedSince: (boardIds, since) => databaseFailures(listChangedSince({ boardIds, since })),
      listPendingProvision: (before) => databaseFailures(listPendingProvision(before)),
      listCheckinDue: (before) => databaseFailures(listCheckinDue(before)),
      insert: (agent) => agentWriteErrors(insert(agent)),
      update: (id, patch) => {
        const fields = definedFields(patch)
        return Object.keys(fields).length === 0
          ? databaseFailures(findById(id))
          : agentWriteErrors(update({ id, patch: fields }))
      },
      updateWithActivity: (id, patch, activity) =>
        Effect.gen(function*() {
          const fields = definedFields(patch)
          // No field to change still writes the row (a no-op update), so the activity goes with an existing agent.
          const set = Object.keys(fields).length === 0 ? { id } : yield* encodePatch(fields)
          const event = yield* encodeActivity(activity)
          const rows = yield* signalled(sql`
            WITH updated AS (
              UPDATE mc_agents SET ${sql.update(set)} WHERE id = ${id} RETURNING *
            ), recorded AS (
              INSERT INTO mc_activity_events (id, event_type, message, agent_id, task_id, created_at)
              SELECT ${event.id}::uuid, ${event.event_type}::text, ${event.message}::text, ${event.agent_id}::uuid,
                ${event.task_id}::uuid, ${event.created_at}::timestamptz
              FROM updated
            )
            SELECT * FROM updated`)
          const row = rows[0]
          return row === undefined ? Option.none() : Option.some(yield* decodeAgent(row))
        }).pipe(agentWriteErrors),
      delete: (id) => signalled(sql`DELETE FROM mc_agents WHERE id = ${id}`).pipe(Effect.asVoid, databaseFailures)
    })
  })
)
