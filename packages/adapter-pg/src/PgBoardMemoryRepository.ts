import { BoardId, BoardMemory, BoardMemoryRepository } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { CountRow, databaseFailures, Jsonb, sqlClient, Timestamp } from "./internal/sql.js"

/** A row of `mc_board_memory` as a `BoardMemory`, and back. */
export const BoardMemoryFromRow = Schema.Struct({
  id: Schema.String,
  boardId: Schema.String,
  content: Schema.String,
  tags: Jsonb(Schema.Array(Schema.String)),
  isChat: Schema.Boolean,
  source: Schema.NullOr(Schema.String),
  createdAt: Timestamp
}).pipe(
  Schema.encodeKeys({ boardId: "board_id", isChat: "is_chat", createdAt: "created_at" }),
  Schema.decodeTo(BoardMemory)
)

/** `BoardMemoryRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  BoardMemoryRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const insert = SqlSchema.void({
      Request: BoardMemoryFromRow,
      execute: (row) => sql`INSERT INTO mc_board_memory ${sql.insert(row)}`
    })
    const pausedBoardIds = SqlSchema.findAll({
      Request: Schema.Array(BoardId),
      Result: Schema.Struct({ board_id: BoardId, command: Schema.String }),
      execute: (boardIds) =>
        sql`
          SELECT DISTINCT ON (board_id) board_id, lower(trim(content)) AS command
          FROM mc_board_memory
          WHERE is_chat AND board_id = ANY(${boardIds}::uuid[]) AND lower(trim(content)) IN ('/pause', '/resume')
          ORDER BY board_id, created_at DESC`
    })
    const ListRequest = Schema.Struct({
      boardId: Schema.String,
      isChat: Schema.UndefinedOr(Schema.Boolean),
      limit: Schema.Number,
      offset: Schema.Number
    })
    const where = ({ boardId, isChat }: typeof ListRequest.Type) =>
      sql.and([
        sql`board_id = ${boardId}`,
        sql`length(trim(content)) > 0`,
        ...(isChat === undefined ? [] : [sql`is_chat = ${isChat}`])
      ])
    const listPage = SqlSchema.findAll({
      Request: ListRequest,
      Result: BoardMemoryFromRow,
      execute: (request) =>
        sql`
          SELECT * FROM mc_board_memory WHERE ${where(request)}
          ORDER BY created_at DESC, id DESC LIMIT ${request.limit} OFFSET ${request.offset}`
    })
    const count = SqlSchema.findOne({
      Request: ListRequest,
      Result: CountRow,
      execute: (request) => sql`SELECT count(*)::int AS total FROM mc_board_memory WHERE ${where(request)}`
    })
    return BoardMemoryRepository.of({
      insert: (memory) => databaseFailures(insert(memory)),
      list: (boardId, filter, page) => {
        const request = { boardId, isChat: filter.isChat, limit: page.limit, offset: page.offset }
        return Effect.all({
          items: listPage(request),
          total: Effect.map(count(request), (row) => row.total)
        }).pipe(databaseFailures)
      },
      pausedBoardIds: (boardIds) =>
        pausedBoardIds(boardIds).pipe(
          Effect.map((rows) => new Set(rows.filter((row) => row.command === "/pause").map((row) => row.board_id))),
          databaseFailures
        )
    })
  })
)
