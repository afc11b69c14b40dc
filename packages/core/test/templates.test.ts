import { assert, describe, it } from "@effect/vitest"
import { defaultTemplates, TemplateRenderer, templatesFromDirectory } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { Effect, Redacted } from "effect"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { renderWorkspace, templateContext } from "../src/programs/workspaceLifecycle.js"
import { testLayer } from "./support/layer.js"

const capabilities = { writableFiles: null, tokenFile: "TOOLS.md", serverVersion: null, protocol: 4 }

describe("workspace templates", () => {
  it.effect("render for a lead, a worker and the gateway agent with no missing variable", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent: lead } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        isBoardLead: true
      })
      const { agent: worker } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
      const token = Redacted.make("tok")
      for (const [agent, board] of [[lead, world.board], [worker, world.board], [main, null]] as const) {
        const context = templateContext(
          agent,
          world.gateway,
          board,
          "agent:x:main",
          "/w",
          token,
          world.owner,
          "http://mc"
        )
        const files = yield* renderWorkspace(agent, board === null, context, capabilities)
        assert.strictEqual(files.size, 8)
        for (const [name, content] of files) assert.isAbove(content.length, 0, name)
        assert.match(files.get("TOOLS.md")!, /^AUTH_TOKEN=tok$/m)
        assert.include(files.get("USER.md")!, "Olivia Owner")
      }
      const leadContext = templateContext(lead, world.gateway, world.board, "k", "/w", token, null, "b")
      assert.include(
        (yield* renderWorkspace(lead, false, leadContext, capabilities)).get("HEARTBEAT.md")!,
        "Goal intake"
      )
      const workerContext = templateContext(worker, world.gateway, world.board, "k", "/w", token, null, "b")
      assert.notInclude(
        (yield* renderWorkspace(worker, false, workerContext, capabilities)).get("HEARTBEAT.md")!,
        "Goal intake"
      )
    }).pipe(Effect.provide(testLayer())))

  it.effect("read only the variables they are given: no host objects, no code", () =>
    Effect.gen(function*() {
      const renderer = TemplateRenderer.make()
      const undefinedVariable = yield* renderer.renderText("t", "{{ process }}", {}).pipe(Effect.flip)
      assert.strictEqual(undefinedVariable._tag, "TemplateError")
      const prototype = yield* renderer.renderText("t", "{{ name.constructor }}", { name: "x" }).pipe(Effect.flip)
      assert.strictEqual(prototype._tag, "TemplateError")
      assert.strictEqual(yield* renderer.renderText("t", "  Hi {{ name }}  ", { name: "Ann" }), "Hi Ann")
      const missing = yield* renderer.render("NOPE.md", {}).pipe(Effect.flip)
      assert.strictEqual(missing.message, "Missing template file: NOPE.md")
    }))

  it.effect("can be overridden from a directory", () =>
    Effect.gen(function*() {
      const directory = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "mc-templates-")))
      yield* Effect.promise(() => writeFile(join(directory, "SOUL.md"), "Custom soul of {{ agent_name }}"))
      const rendered = yield* Effect.flatMap(TemplateRenderer.TemplateRenderer, (renderer) =>
        renderer.render("SOUL.md", { agent_name: "Ann" })).pipe(Effect.provide(templatesFromDirectory(directory)))
      assert.strictEqual(rendered, "Custom soul of Ann")
      assert.include(Object.keys(defaultTemplates), "HEARTBEAT_LEAD.md")
      const missingDirectory = yield* Effect.flip(
        Effect.provide(TemplateRenderer.TemplateRenderer, templatesFromDirectory(join(directory, "nope")))
      )
      assert.strictEqual(missingDirectory._tag, "TemplateError")
    }))
})
