// The repository contract: what every implementation of the core's repositories must do, written once and run
// against the in-memory store, real Postgres and embedded PGlite.
import { assert, describe, it } from "@effect/vitest"
import {
  ActivityEvent,
  ActivityRepository,
  Agent,
  AgentChanges,
  AgentRepository,
  Board,
  BoardAccess,
  BoardMemoryRepository,
  BoardRepository,
  Gateway,
  GatewayRepository,
  OrganizationRepository,
  subscribeAgentChanges,
  TaskRepository,
  Transactor
} from "@mission-control/core"
import type {
  AgentId,
  AgentTokens,
  BoardId,
  DatabaseUnavailable,
  DuplicateAgent,
  GatewayId
} from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import type { Layer, Scope } from "effect"
import { DateTime, Duration, Effect, Exit, Fiber, Option, Stream } from "effect"
import { TestClock } from "effect/testing"

/** The rule a write broke, or the tag of what else failed it. */
const constraintOf = (error: DuplicateAgent | DatabaseUnavailable): string =>
  error._tag === "DuplicateAgent" ? error.constraint : error._tag

type Services =
  | ActivityRepository
  | AgentChanges
  | AgentRepository
  | BoardMemoryRepository
  | BoardRepository
  | GatewayRepository
  | OrganizationRepository
  | TaskRepository
  | Transactor
  | AgentTokens.AgentTokens

const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

export const repositoryContract = (name: string, layer: () => Layer.Layer<Services>) =>
  describe(`repository contract: ${name}`, () => {
    const test = (title: string, body: () => Effect.Effect<void, unknown, Services | Scope.Scope>) =>
      it.effect(title, () => body().pipe(Effect.provide(layer())))

    test("agents: insert, find by id, token digest, lead, gateway agent, names", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const { agent: worker } = yield* Fixtures.agent({
          gatewayId: world.gateway.id,
          boardId: world.board.id,
          name: "Ada"
        })
        const { agent: lead } = yield* Fixtures.agent({
          gatewayId: world.gateway.id,
          boardId: world.board.id,
          isBoardLead: true
        })
        const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null, name: "Main" })
        const found = Option.getOrThrow(yield* agents.findById(worker.id))
        assert.deepStrictEqual(found, worker)
        assert.strictEqual(Object.getPrototypeOf(found), Agent.prototype)
        assert.deepStrictEqual(Object.keys(found).sort(), Object.keys(worker).sort())
        assert.strictEqual(Option.getOrThrow(yield* agents.findByTokenDigest(worker.agentTokenDigest!)).id, worker.id)
        assert.isTrue(Option.isNone(yield* agents.findByTokenDigest("sha256$nope")))
        assert.strictEqual(Option.getOrThrow(yield* agents.findLead(world.board.id)).id, lead.id)
        assert.strictEqual(Option.getOrThrow(yield* agents.findGatewayMain(world.gateway.id)).id, main.id)
        assert.strictEqual(Option.getOrThrow(yield* agents.findByNameOnBoard(world.board.id, "ADA")).id, worker.id)
        assert.isTrue(Option.isNone(yield* agents.findByNameOnBoard(world.board.id, "A_a")))
        assert.strictEqual(Option.getOrThrow(yield* agents.findByNameInGateway(world.gateway.id, "ada")).id, worker.id)
        assert.isTrue(Option.isNone(yield* agents.findByNameInGateway(world.gateway.id, "main")))
        const organizationId = world.organization.id
        assert.strictEqual(Option.getOrThrow(yield* agents.findByExactName("Ada", { organizationId })).id, worker.id)
        assert.isTrue(Option.isNone(yield* agents.findByExactName("ada", { organizationId })))
        assert.isTrue(
          Option.isNone(yield* agents.findByExactName("Ada", { organizationId, boardId: world.other.board.id }))
        )
        // Another organization's agent of that name is never found.
        assert.isTrue(
          Option.isNone(yield* agents.findByExactName("Ada", { organizationId: world.other.organization.id }))
        )
      }))

    test("agents: the store enforces one lead per board, one gateway agent, unique names and digests", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const { agent: worker } = yield* Fixtures.agent({
          gatewayId: world.gateway.id,
          boardId: world.board.id,
          name: "Ada"
        })
        yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, isBoardLead: true, name: "L1" })
        yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null, name: "M1" })
        const copy = (fields: Partial<typeof worker>) =>
          new Agent({
            ...worker,
            id: crypto.randomUUID() as AgentId,
            agentTokenDigest: `sha256$${crypto.randomUUID()}`,
            ...fields
          })
        const name = yield* agents.insert(copy({ name: "ADA" })).pipe(Effect.flip)
        assert.strictEqual(constraintOf(name), "board_name")
        const lead = yield* agents.insert(copy({ name: "L2", isBoardLead: true })).pipe(Effect.flip)
        assert.strictEqual(constraintOf(lead), "board_lead")
        const main = yield* agents.insert(copy({ name: "M2", boardId: null })).pipe(Effect.flip)
        assert.strictEqual(constraintOf(main), "gateway_main")
        const digest = yield* agents.insert(copy({ name: "Other", agentTokenDigest: worker.agentTokenDigest })).pipe(
          Effect.flip
        )
        assert.strictEqual(constraintOf(digest), "token_digest")
        yield* agents.insert(copy({ name: "ADA", boardId: world.other.board.id, gatewayId: world.other.gateway.id }))
        const renamed = yield* agents.update(worker.id, { name: "l1" }).pipe(Effect.flip)
        assert.strictEqual(constraintOf(renamed), "board_name")
      }))

    test("agents: updates apply only the given fields and return the row", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const { agent } = yield* Fixtures.agent({
          gatewayId: world.gateway.id,
          boardId: world.board.id,
          heartbeatConfig: { every: "5m", nested: { a: [1, 2] } },
          identityProfile: { role: "Writer" }
        })
        const seen = DateTime.makeUnsafe("2026-02-12T09:30:00.123Z")
        const updated = Option.getOrThrow(yield* agents.update(agent.id, { status: "busy", lastSeenAt: seen }))
        assert.strictEqual(updated.status, "busy")
        assert.isTrue(DateTime.Equivalence(updated.lastSeenAt!, seen))
        assert.deepStrictEqual(updated.heartbeatConfig, { every: "5m", nested: { a: [1, 2] } })
        assert.deepStrictEqual(updated.identityProfile, { role: "Writer" })
        assert.strictEqual(updated.name, agent.name)
        const cleared = Option.getOrThrow(yield* agents.update(agent.id, { lastSeenAt: null, heartbeatConfig: null }))
        assert.isNull(cleared.lastSeenAt)
        assert.isNull(cleared.heartbeatConfig)
        assert.isTrue(Option.isNone(yield* agents.update(crypto.randomUUID() as AgentId, { status: "x" })))
        yield* agents.delete(agent.id)
        assert.isTrue(Option.isNone(yield* agents.findById(agent.id)))
      }))

    const heartbeatActivity = (agentId: AgentId, at: DateTime.Utc) =>
      new ActivityEvent({
        id: crypto.randomUUID() as ActivityEvent["id"],
        eventType: "agent.heartbeat",
        message: "Heartbeat received.",
        agentId,
        taskId: null,
        createdAt: at
      })

    test("agents: an update with its activity writes both or neither", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const activity = yield* ActivityRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Ada" })
        yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Bea" })
        const at = DateTime.makeUnsafe("2026-03-01T10:00:00.250Z")
        const beat = heartbeatActivity(agent.id, at)
        const updated = Option.getOrThrow(
          yield* agents.updateWithActivity(agent.id, { status: "busy", lastSeenAt: at }, beat)
        )
        assert.strictEqual(updated.status, "busy")
        assert.isTrue(DateTime.Equivalence(updated.lastSeenAt!, at))
        assert.deepStrictEqual((yield* activity.listByAgent(agent.id)).map((event) => event.id), [beat.id])

        // A broken rule keeps the activity out too.
        const clash = heartbeatActivity(agent.id, at)
        const duplicate = yield* agents.updateWithActivity(agent.id, { name: "bea" }, clash).pipe(Effect.flip)
        assert.strictEqual(constraintOf(duplicate), "board_name")
        assert.deepStrictEqual((yield* activity.listByAgent(agent.id)).map((event) => event.id), [beat.id])

        // A missing agent: nothing updated, nothing recorded.
        const missing = crypto.randomUUID() as AgentId
        const orphan = heartbeatActivity(missing, at)
        assert.isTrue(Option.isNone(yield* agents.updateWithActivity(missing, { status: "busy" }, orphan)))
        assert.isFalse((yield* activity.listRecent(100)).some((event) => event.id === orphan.id))
      }))

    test("agents: inside a transaction, lookups see its own writes, and a failure undoes the update and its activity", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const transactor = yield* Transactor
        const agents = yield* AgentRepository
        const activity = yield* ActivityRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        const rotated = `sha256$${crypto.randomUUID()}`
        const beat = heartbeatActivity(agent.id, yield* DateTime.now)
        let seenInside: ReadonlyArray<Option.Option<Agent>> = []
        const exit = yield* Effect.exit(transactor.withTransaction(Effect.gen(function*() {
          yield* agents.update(agent.id, { agentTokenDigest: rotated })
          seenInside = [
            yield* agents.findByTokenDigest(rotated),
            yield* agents.findByTokenDigest(agent.agentTokenDigest!)
          ]
          yield* agents.updateWithActivity(agent.id, { status: "busy" }, beat)
          return yield* Effect.fail("boom" as const)
        })))
        assert.deepStrictEqual(exit, Exit.fail("boom"))
        assert.strictEqual(Option.getOrThrow(seenInside[0]!).id, agent.id)
        assert.isTrue(Option.isNone(seenInside[1]!))
        assert.isTrue(Option.isNone(yield* agents.findByTokenDigest(rotated)))
        const kept = Option.getOrThrow(yield* agents.findByTokenDigest(agent.agentTokenDigest!))
        assert.strictEqual(kept.status, agent.status)
        assert.deepStrictEqual(yield* activity.listByAgent(agent.id), [])
      }))

    test("agents: listing filters by visibility, board and gateway, newest first with a total", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const secondBoard = yield* Fixtures.board(world.organization.id, world.gateway.id)
        const ids: Array<AgentId> = []
        for (let index = 0; index < 5; index++) {
          const boardId = index % 2 === 0 ? world.board.id : secondBoard.id
          ids.push((yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId })).agent.id)
          yield* TestClock.adjust(Duration.seconds(1))
        }
        const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
        yield* Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: world.other.board.id })
        const visible = { visibleBoardIds: [world.board.id, secondBoard.id], visibleMainGatewayIds: [world.gateway.id] }
        const page = yield* agents.list(visible, { limit: 3, offset: 1 })
        assert.strictEqual(page.total, 6)
        assert.deepStrictEqual(page.items.map((agent) => agent.id), [ids[4], ids[3], ids[2]])
        const first = yield* agents.list(visible, { limit: 1, offset: 0 })
        assert.deepStrictEqual(first.items.map((agent) => agent.id), [main.id])
        const byBoard = yield* agents.list({ ...visible, boardId: secondBoard.id }, { limit: 10, offset: 0 })
        assert.deepStrictEqual(byBoard.items.map((agent) => agent.id), [ids[3], ids[1]])
        const byGateway = yield* agents.list({ ...visible, gatewayId: world.gateway.id }, { limit: 10, offset: 0 })
        assert.strictEqual(byGateway.total, 6)
        const none = yield* agents.list({ visibleBoardIds: [], visibleMainGatewayIds: [] }, { limit: 10, offset: 0 })
        assert.deepStrictEqual([none.items.length, none.total], [0, 0])
        const beyond = yield* agents.list(visible, { limit: 10, offset: 100 })
        assert.deepStrictEqual([beyond.items.length, beyond.total], [0, 6])
        const byBoards = yield* agents.listByBoards([world.board.id])
        assert.deepStrictEqual(byBoards.map((agent) => agent.id), [ids[0], ids[2], ids[4]])
        const byGatewayAll = yield* agents.listByGateway(world.gateway.id)
        assert.strictEqual(byGatewayAll.length, 6)
      }))

    test("agents: ties in creation time are broken by id, the same way every time", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        for (let index = 0; index < 6; index++) {
          yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        }
        const visible = { visibleBoardIds: [world.board.id], visibleMainGatewayIds: [] }
        const all = (yield* agents.list(visible, { limit: 10, offset: 0 })).items.map((agent) => agent.id)
        assert.deepStrictEqual(all, [...all].sort().reverse())
        const paged = [
          ...(yield* agents.list(visible, { limit: 4, offset: 0 })).items,
          ...(yield* agents.list(visible, { limit: 4, offset: 4 })).items
        ].map((agent) => agent.id)
        assert.deepStrictEqual(paged, all)
      }))

    test("agents: changed since, and pending provisioning", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agents = yield* AgentRepository
        const { agent: old } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        yield* TestClock.adjust(Duration.minutes(1))
        const since = yield* DateTime.now
        const { agent: fresh } = yield* Fixtures.agent({
          gatewayId: world.gateway.id,
          boardId: world.board.id,
          provisionAction: "provision",
          provisionRequestedAt: since
        })
        yield* agents.update(old.id, { lastSeenAt: yield* DateTime.now })
        const changed = yield* agents.listChangedSince([world.board.id], since)
        assert.sameMembers(changed.map((agent) => agent.id), [old.id, fresh.id])
        assert.strictEqual((yield* agents.listPendingProvision(since)).length, 0)
        yield* TestClock.adjust(Duration.minutes(1))
        const pending = yield* agents.listPendingProvision(yield* DateTime.now)
        assert.deepStrictEqual(pending.map((agent) => agent.id), [fresh.id])
      }))

    test("boards, gateways, organizations", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const boards = yield* BoardRepository
        const gateways = yield* GatewayRepository
        const organizations = yield* OrganizationRepository
        assert.deepStrictEqual(Option.getOrThrow(yield* boards.findById(world.board.id)), world.board)
        assert.deepStrictEqual((yield* boards.listByGateway(world.gateway.id)).map((board) => board.id), [
          world.board.id
        ])
        assert.sameMembers([...(yield* boards.listIdsByOrganization(world.organization.id))], [world.board.id])
        const gateway = Option.getOrThrow(yield* gateways.findById(world.gateway.id))
        assert.strictEqual(gateway.name, world.gateway.name)
        assert.isTrue(yield* gateways.hasBoards(world.gateway.id))
        const spare = yield* Fixtures.gateway(world.organization.id, { token: null })
        assert.isFalse(yield* gateways.hasBoards(spare.id))
        const page = yield* gateways.listByOrganization(world.organization.id, { limit: 1, offset: 0 })
        assert.deepStrictEqual([page.total, page.items.length], [2, 1])
        yield* gateways.update(new Gateway({ ...spare, name: "Renamed" }))
        assert.strictEqual(Option.getOrThrow(yield* gateways.findById(spare.id)).name, "Renamed")
        yield* gateways.delete(spare.id)
        assert.isTrue(Option.isNone(yield* gateways.findById(spare.id)))
        assert.sameMembers([...(yield* gateways.listIdsByOrganization(world.organization.id))], [world.gateway.id])
        const owner = Option.getOrThrow(yield* organizations.findOwnerUser(world.organization.id))
        assert.strictEqual(owner.id, world.owner.id)
        assert.deepStrictEqual(Option.getOrThrow(yield* organizations.findUser(world.owner.id)), world.owner)
        const membership = Option.getOrThrow(
          yield* organizations.findMembership(world.organization.id, world.reader.id)
        )
        assert.strictEqual(membership.role, "member")
        const grants = yield* organizations.listBoardAccess(membership.id)
        assert.deepStrictEqual(grants.map((grant) => [grant.boardId, grant.canRead, grant.canWrite]), [[
          world.board.id,
          true,
          false
        ]])
        assert.strictEqual((yield* organizations.listMemberships(world.reader.id)).length, 1)
        assert.isTrue(Option.isSome(yield* organizations.findOrganization(world.organization.id)))
      }))

    test("tasks are released, activity detached, chat commands pause boards", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const tasks = yield* TaskRepository
        const activity = yield* ActivityRepository
        const memory = yield* BoardMemoryRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        const started = yield* DateTime.now
        const inProgress = yield* Fixtures.task({
          assignedAgentId: agent.id,
          status: "in_progress",
          inProgressAt: started
        })
        const review = yield* Fixtures.task({ assignedAgentId: agent.id, status: "review", inProgressAt: started })
        const at = DateTime.makeUnsafe("2026-01-01T00:00:00Z")
        assert.strictEqual(yield* tasks.releaseAgentTasks(agent.id, at), 2)
        const released = Option.getOrThrow(yield* tasks.findById(inProgress.id))
        assert.deepStrictEqual([released.status, released.assignedAgentId, released.inProgressAt], [
          "inbox",
          null,
          null
        ])
        const kept = Option.getOrThrow(yield* tasks.findById(review.id))
        assert.deepStrictEqual([kept.status, kept.assignedAgentId], ["review", null])
        assert.isNotNull(kept.inProgressAt)

        const record = (message: string) =>
          Effect.flatMap(DateTime.now, (createdAt) =>
            activity.record(
              new ActivityEvent({
                id: crypto.randomUUID() as ActivityEvent["id"],
                eventType: "test",
                message,
                agentId: agent.id,
                taskId: null,
                createdAt
              })
            ))
        yield* record("first")
        yield* record("second")
        assert.deepStrictEqual((yield* activity.listByAgent(agent.id)).map((event) => event.message), [
          "first",
          "second"
        ])
        assert.deepStrictEqual((yield* activity.listRecent(1)).map((event) => event.message), ["second"])
        yield* activity.detachAgent(agent.id)
        assert.strictEqual((yield* activity.listByAgent(agent.id)).length, 0)

        const second = yield* Fixtures.board(world.organization.id, world.gateway.id)
        yield* Fixtures.chatCommand(world.board.id, "/pause")
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Fixtures.chatCommand(second.id, "/pause")
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Fixtures.chatCommand(second.id, " /Resume ")
        const paused = yield* memory.pausedBoardIds([world.board.id, second.id])
        assert.deepStrictEqual([...paused], [world.board.id])
        assert.strictEqual((yield* memory.pausedBoardIds([])).size, 0)
      }))

    test("a failed transaction leaves nothing behind", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const transactor = yield* Transactor
        const tasks = yield* TaskRepository
        const agents = yield* AgentRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        const task = yield* Fixtures.task({ assignedAgentId: agent.id, status: "in_progress" })
        const exit = yield* Effect.exit(transactor.withTransaction(Effect.gen(function*() {
          yield* tasks.releaseAgentTasks(agent.id, yield* DateTime.now)
          yield* agents.delete(agent.id)
          return yield* Effect.fail("boom" as const)
        })))
        assert.strictEqual(exit._tag, "Failure")
        assert.isTrue(Option.isSome(yield* agents.findById(agent.id)))
        assert.strictEqual(Option.getOrThrow(yield* tasks.findById(task.id)).status, "in_progress")
      }))

    test("changes: committed writes reach subscribers in order; resuming replays without duplicates", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const changes = yield* AgentChanges
        const agents = yield* AgentRepository
        const live = yield* subscribeAgentChanges(undefined)
        const collected = yield* Effect.forkChild(Stream.runCollect(Stream.take(live, 3)))
        yield* settle
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        yield* agents.update(agent.id, { status: "busy" })
        yield* agents.delete(agent.id)
        const seen = yield* Fiber.join(collected)
        assert.deepStrictEqual(seen.map((change) => change.agent?.status ?? null), ["online", "busy", null])
        assert.isTrue(seen.every((change, index) => index === 0 || change.sequence > seen[index - 1]!.sequence))
        assert.deepStrictEqual(seen.map((change) => change.boardId), [world.board.id, world.board.id, world.board.id])
        assert.strictEqual(yield* changes.currentSequence, seen[2]!.sequence)
        const resumed = yield* subscribeAgentChanges(seen[0]!.sequence)
        const replayed = yield* Stream.runCollect(Stream.take(resumed, 2))
        assert.deepStrictEqual(replayed.map((change) => change.sequence), [seen[1]!.sequence, seen[2]!.sequence])
      }))

    test("changes: an open feed hands out non-empty batches, the replay first, then live ones, each change once", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const changes = yield* AgentChanges
        const agents = yield* AgentRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        const start = yield* changes.currentSequence
        for (const status of ["one", "two", "three"]) yield* agents.update(agent.id, { status })
        const feed = yield* changes.open(start)
        const statuses: Array<string | null> = []
        const sequences: Array<number> = []
        const takeUntil = (count: number) =>
          Effect.gen(function*() {
            while (statuses.length < count) {
              const batch = yield* feed.take
              assert.isAbove(batch.length, 0)
              for (const change of batch) {
                statuses.push(change.agent?.status ?? null)
                sequences.push(change.sequence)
              }
            }
          })
        yield* takeUntil(3)
        const later = yield* Effect.forkChild(takeUntil(5))
        yield* settle
        yield* agents.update(agent.id, { status: "four" })
        yield* agents.delete(agent.id)
        yield* Fiber.join(later)
        assert.deepStrictEqual(statuses, ["one", "two", "three", "four", null])
        assert.isTrue(sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!))
        // Nothing more is pending: the next take waits (the test clock is not real time, hence the timer).
        const pending = yield* Effect.raceFirst(
          feed.take.pipe(Effect.map(Option.some)),
          Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 100))).pipe(Effect.as(Option.none()))
        )
        assert.isTrue(Option.isNone(pending))
      }))

    test("boards: list by organization, grants and gateway, by name or newest, paged; delete cascades", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const boards = yield* BoardRepository
        yield* TestClock.adjust(Duration.seconds(1))
        const alpha = yield* Fixtures.board(world.organization.id, null, { name: "alpha" })
        yield* TestClock.adjust(Duration.seconds(1))
        const zulu = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Zulu" })
        const ids = (page: { readonly items: ReadonlyArray<{ readonly id: string }> }) => page.items.map((b) => b.id)
        const all = { limit: 10, offset: 0 }
        const byName = yield* boards.list({ organizationId: world.organization.id, order: "name" }, all)
        assert.deepStrictEqual([ids(byName), byName.total], [[alpha.id, world.board.id, zulu.id], 3])
        const newest = yield* boards.list({ organizationId: world.organization.id, order: "newest" }, all)
        assert.deepStrictEqual(ids(newest), [zulu.id, alpha.id, world.board.id])
        const some = yield* boards.list({
          organizationId: world.organization.id,
          boardIds: [alpha.id, zulu.id, world.other.board.id],
          order: "name"
        }, { limit: 1, offset: 1 })
        assert.deepStrictEqual([ids(some), some.total], [[zulu.id], 2])
        const onGateway = yield* boards.list({
          organizationId: world.organization.id,
          gatewayId: world.gateway.id,
          order: "newest"
        }, all)
        assert.deepStrictEqual(ids(onGateway), [zulu.id, world.board.id])
        const none = yield* boards.list({ organizationId: world.organization.id, boardIds: [], order: "name" }, all)
        assert.deepStrictEqual([ids(none), none.total], [[], 0])

        const organizations = yield* OrganizationRepository
        const owner = Option.getOrThrow(yield* organizations.findOwnerUser(world.organization.id))
        const member = Option.getOrThrow(yield* organizations.findMembership(world.organization.id, owner.id))
        yield* Fixtures.boardAccess(member.id, zulu.id, true, false)
        yield* Fixtures.chatCommand(zulu.id, "/pause")
        // A board with an agent is kept: the agent came while the board was being deleted.
        const { agent: late } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: zulu.id })
        assert.isFalse(yield* boards.delete(zulu.id))
        assert.isTrue(Option.isSome(yield* boards.findById(zulu.id)))
        yield* Effect.flatMap(AgentRepository, (agents) => agents.delete(late.id))
        assert.isTrue(yield* boards.delete(zulu.id))
        assert.isTrue(Option.isNone(yield* boards.findById(zulu.id)))
        assert.deepStrictEqual(yield* organizations.listBoardAccess(member.id), [])
        const memory = yield* BoardMemoryRepository
        assert.strictEqual((yield* memory.list(zulu.id, {}, all)).total, 0)
      }))

    test("boards: an update writes only the fields it names, and says when the board is gone", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const boards = yield* BoardRepository
        // Two writers read the same board, each changes another field: both changes stay.
        const read = world.board
        assert.isTrue(yield* boards.update(new Board({ ...read, objective: "ship" }), ["objective"]))
        assert.isTrue(yield* boards.update(new Board({ ...read, maxAgents: 7 }), ["maxAgents"]))
        const stored = Option.getOrThrow(yield* boards.findById(read.id))
        assert.deepStrictEqual([stored.objective, stored.maxAgents, stored.name], ["ship", 7, read.name])
        const gone = yield* Fixtures.board(world.organization.id, null, { name: "Gone" })
        assert.isTrue(yield* boards.delete(gone.id))
        assert.isFalse(yield* boards.update(new Board({ ...gone, name: "Back" }), ["name"]))
      }))

    test("board memory: a board's items newest first, by is_chat, blank ones left out, paged", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const memory = yield* BoardMemoryRepository
        const first = yield* Fixtures.chatCommand(world.board.id, "/pause")
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Fixtures.chatCommand(world.board.id, "   ")
        const note = yield* Fixtures.chatCommand(world.board.id, "note", { isChat: false, tags: ["decision"] })
        yield* Fixtures.chatCommand(world.other.board.id, "elsewhere")
        const all = yield* memory.list(world.board.id, {}, { limit: 10, offset: 0 })
        assert.deepStrictEqual([all.items.map((item) => item.id), all.total], [[note.id, first.id], 2])
        assert.deepStrictEqual(all.items[0], note)
        const chat = yield* memory.list(world.board.id, { isChat: true }, { limit: 10, offset: 0 })
        assert.deepStrictEqual(chat.items.map((item) => item.id), [first.id])
        const second = yield* memory.list(world.board.id, {}, { limit: 1, offset: 1 })
        assert.deepStrictEqual([second.items.map((item) => item.id), second.total], [[first.id], 2])
      }))

    test("tasks: deleting a board's tasks takes their activity entries, and only theirs", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const tasks = yield* TaskRepository
        const activity = yield* ActivityRepository
        const mine = yield* Fixtures.task({ boardId: world.board.id })
        const theirs = yield* Fixtures.task({ boardId: world.other.board.id })
        const at = yield* DateTime.now
        const event = (taskId: typeof mine.id) =>
          new ActivityEvent({
            id: crypto.randomUUID() as ActivityEvent["id"],
            eventType: "task.updated",
            message: null,
            agentId: null,
            taskId,
            createdAt: at
          })
        yield* activity.record(event(mine.id))
        const kept = event(theirs.id)
        yield* activity.record(kept)
        assert.strictEqual(yield* tasks.deleteByBoard(world.board.id), 1)
        assert.isTrue(Option.isNone(yield* tasks.findById(mine.id)))
        assert.isTrue(Option.isSome(yield* tasks.findById(theirs.id)))
        assert.deepStrictEqual((yield* activity.listRecent(10)).map((entry) => entry.id), [kept.id])
      }))

    test("board access: an upsert inserts a grant, then changes its flags in place", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const organizations = yield* OrganizationRepository
        const member = Option.getOrThrow(yield* organizations.findMembership(world.organization.id, world.outsider.id))
        const at = yield* DateTime.now
        const grant = (canWrite: boolean) =>
          new BoardAccess({
            id: crypto.randomUUID() as BoardAccess["id"],
            memberId: member.id,
            boardId: world.board.id,
            canRead: true,
            canWrite,
            createdAt: at,
            updatedAt: at
          })
        const first = grant(false)
        assert.deepStrictEqual(yield* organizations.upsertBoardAccess(first), first)
        const second = yield* organizations.upsertBoardAccess(grant(true))
        assert.deepStrictEqual([second.id, second.canWrite], [first.id, true])
        assert.deepStrictEqual(yield* organizations.listBoardAccess(member.id), [second])
      }))

    test("changes: a rolled-back write is never published", () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const transactor = yield* Transactor
        const agents = yield* AgentRepository
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        const live = yield* subscribeAgentChanges(undefined)
        const collected = yield* Effect.forkChild(Stream.runCollect(Stream.take(live, 1)))
        yield* settle
        yield* Effect.exit(transactor.withTransaction(
          agents.update(agent.id, { status: "ghost" }).pipe(Effect.andThen(Effect.fail("no")))
        ))
        yield* agents.update(agent.id, { status: "real" })
        const seen = yield* Fiber.join(collected)
        assert.deepStrictEqual(seen.map((change) => change.agent?.status), ["real"])
      }))
  })

export type { BoardId, GatewayId }
