import { Gateway, GatewayId, GatewayRepository, OrganizationId } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { CountRow, databaseFailures, Nullable, sqlClient, Timestamp } from "./internal/sql.js"

/** A row of `mc_gateways` as a `Gateway`, and back. The token column holds the secret in clear. */
export const GatewayFromRow = Schema.Struct({
  id: Schema.String,
  organizationId: Schema.String,
  name: Schema.String,
  url: Schema.String,
  token: Nullable(Schema.RedactedFromValue(Schema.String)),
  workspaceRoot: Schema.String,
  allowInsecureTls: Schema.Boolean,
  disableDevicePairing: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).pipe(
  Schema.encodeKeys({
    organizationId: "organization_id",
    workspaceRoot: "workspace_root",
    allowInsecureTls: "allow_insecure_tls",
    disableDevicePairing: "disable_device_pairing",
    createdAt: "created_at",
    updatedAt: "updated_at"
  }),
  Schema.decodeTo(Gateway)
)

/** `GatewayRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  GatewayRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const findById = SqlSchema.findOneOption({
      Request: GatewayId,
      Result: GatewayFromRow,
      execute: (id) => sql`SELECT * FROM mc_gateways WHERE id = ${id}`
    })
    const Page = Schema.Struct({ organizationId: OrganizationId, limit: Schema.Number, offset: Schema.Number })
    const listPage = SqlSchema.findAll({
      Request: Page,
      Result: GatewayFromRow,
      execute: ({ limit, offset, organizationId }) =>
        sql`
          SELECT * FROM mc_gateways WHERE organization_id = ${organizationId}
          ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`
    })
    const countByOrganization = SqlSchema.findOne({
      Request: OrganizationId,
      Result: CountRow,
      execute: (organizationId) =>
        sql`SELECT count(*)::int AS total FROM mc_gateways WHERE organization_id = ${organizationId}`
    })
    const listIdsByOrganization = SqlSchema.findAll({
      Request: OrganizationId,
      Result: Schema.Struct({ id: GatewayId }),
      execute: (organizationId) => sql`SELECT id FROM mc_gateways WHERE organization_id = ${organizationId}`
    })
    const insert = SqlSchema.void({
      Request: GatewayFromRow,
      execute: (row) => sql`INSERT INTO mc_gateways ${sql.insert(row)}`
    })
    const update = SqlSchema.void({
      Request: GatewayFromRow,
      execute: ({ id, ...changes }) => sql`UPDATE mc_gateways SET ${sql.update(changes)} WHERE id = ${id}`
    })
    return GatewayRepository.of({
      findById: (id) => databaseFailures(findById(id)),
      listByOrganization: (organizationId, page) =>
        Effect.all({
          items: listPage({ organizationId, limit: page.limit, offset: page.offset }),
          total: Effect.map(countByOrganization(organizationId), (row) => row.total)
        }).pipe(databaseFailures),
      listIds: sql`SELECT id FROM mc_gateways ORDER BY created_at, id`.pipe(
        Effect.flatMap(Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ id: GatewayId })))),
        Effect.map((rows) => rows.map((row) => row.id)),
        databaseFailures
      ),
      listIdsByOrganization: (organizationId) =>
        listIdsByOrganization(organizationId).pipe(Effect.map((rows) => rows.map((row) => row.id)), databaseFailures),
      insert: (gateway) => databaseFailures(insert(gateway)),
      update: (gateway) => databaseFailures(update(gateway)),
      delete: (id) => sql`DELETE FROM mc_gateways WHERE id = ${id}`.pipe(Effect.asVoid, databaseFailures),
      hasBoards: (id) =>
        sql`SELECT 1 FROM mc_boards WHERE gateway_id = ${id} LIMIT 1`.pipe(
          Effect.map((rows) => rows.length > 0),
          databaseFailures
        )
    })
  })
)
