import { BoardId, BoardMemory, BoardMemoryRepository } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { databaseFailures, Jsonb, sqlClient, Timestamp } from "./internal/sql.js"

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
    return BoardMemoryRepository.of({
      insert: (memory) => databaseFailures(insert(memory)),
      pausedBoardIds: (boardIds) =>
        pausedBoardIds(boardIds).pipe(
          Effect.map((rows) => new Set(rows.filter((row) => row.command === "/pause").map((row) => row.board_id))),
          databaseFailures
        )
    })
  })
)
