import { assert, describe, it } from "@effect/vitest"
import {
  addMember,
  createOrganization,
  createUser,
  getBoard,
  grantBoardAccess,
  listBoards,
  OrganizationRepository,
  requireUserContext
} from "@mission-control/core"
import type { UserId } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { Effect, Option } from "effect"
import { testLayer } from "./support/layer.js"

const page = { limit: 50, offset: 0 }

describe("organizations and members", () => {
  it.effect("creates an organization with a new owner who acts in it and reads every board", () =>
    Effect.gen(function*() {
      const ownerId = globalThis.crypto.randomUUID() as UserId
      const { organization, owner, member } = yield* createOrganization({
        name: " Initech ",
        owner: { id: ownerId, name: "Bill", email: "bill@initech.example" }
      })
      assert.deepStrictEqual([organization.name, owner.id, owner.activeOrganizationId], [
        "Initech",
        ownerId,
        organization.id
      ])
      assert.deepStrictEqual([member.role, member.allBoardsRead, member.allBoardsWrite], ["owner", true, true])
      const context = yield* requireUserContext(owner)
      assert.strictEqual(context.organization.id, organization.id)
      const stored = yield* Effect.flatMap(OrganizationRepository, (repo) => repo.findOwnerUser(organization.id))
      assert.strictEqual(Option.getOrThrow(stored).id, ownerId)

      const again = yield* Effect.flip(createUser({ id: ownerId }))
      assert.deepStrictEqual([again._tag, again.detail], ["Conflict", "User already exists"])
      const missing = yield* Effect.flip(
        createOrganization({ name: "X", owner: globalThis.crypto.randomUUID() as UserId })
      )
      assert.deepStrictEqual([missing._tag, missing.detail], ["NotFound", "User not found"])
      const blank = yield* Effect.flip(createOrganization({ name: "  ", owner: {} }))
      assert.deepStrictEqual([blank._tag, blank.detail], ["Unprocessable", "Organization name is required"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("adds members with board grants; an existing membership is a conflict; grants are replaced", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const other = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
      const added = yield* addMember(world.organization.id, { name: "Mia" }, {
        role: "member",
        boardAccess: [{ boardId: world.board.id, canRead: true, canWrite: false }]
      })
      assert.strictEqual(added.user.activeOrganizationId, world.organization.id)
      assert.deepStrictEqual(added.boardAccess.map((grant) => [grant.boardId, grant.canRead, grant.canWrite]), [[
        world.board.id,
        true,
        false
      ]])
      const visible = yield* listBoards(added.user, {}, page)
      assert.deepStrictEqual(visible.items.map((board) => board.id), [world.board.id])

      const duplicate = yield* Effect.flip(addMember(world.organization.id, added.user.id, { role: "admin" }))
      assert.deepStrictEqual([duplicate._tag, duplicate.detail], [
        "Conflict",
        "User is already a member of this organization"
      ])
      const foreignBoard = yield* Effect.flip(
        addMember(world.organization.id, { name: "Zed" }, {
          role: "member",
          boardAccess: [{ boardId: world.other.board.id, canRead: true, canWrite: true }]
        })
      )
      assert.deepStrictEqual([foreignBoard._tag, foreignBoard.detail], ["NotFound", "Board not found"])

      const upgraded = yield* grantBoardAccess(world.organization.id, added.user.id, {
        boardId: world.board.id,
        canRead: true,
        canWrite: true
      })
      assert.strictEqual(upgraded.id, added.boardAccess[0]!.id)
      yield* grantBoardAccess(world.organization.id, added.user.id, {
        boardId: other.id,
        canRead: true,
        canWrite: false
      })
      const grants = yield* Effect.flatMap(OrganizationRepository, (repo) => repo.listBoardAccess(added.member.id))
      assert.deepStrictEqual(
        grants.map((grant) => [grant.boardId, grant.canWrite]).sort(),
        [
          [world.board.id, true],
          [other.id, false]
        ].sort()
      )
      assert.strictEqual((yield* getBoard(added.user, other.id)).id, other.id)

      const stranger = yield* Effect.flip(
        grantBoardAccess(world.other.organization.id, added.user.id, {
          boardId: world.other.board.id,
          canRead: true,
          canWrite: false
        })
      )
      assert.deepStrictEqual([stranger._tag, stranger.detail], ["NotFound", "Member not found"])
      const noOrganization = yield* Effect.flip(
        addMember(globalThis.crypto.randomUUID() as never, {}, { role: "member" })
      )
      assert.deepStrictEqual([noOrganization._tag, noOrganization.detail], ["NotFound", "Organization not found"])
    }).pipe(Effect.provide(testLayer())))
})
