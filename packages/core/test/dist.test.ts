// The published build: ESM and CJS entry points load, share one copy of every class, and run a program.
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describe("built package", () => {
  it("builds and loads as ESM and CJS", { timeout: 120_000 }, async () => {
    execFileSync("npx", ["tsup", "--silent"], { cwd: packageDir, stdio: "pipe" })
    assert.isTrue(existsSync(`${packageDir}/dist/index.d.cts`))
    const require = createRequire(`${packageDir}/package.json`)
    const cjs = require("./dist/index.cjs")
    const cjsTesting = require("./dist/testing.cjs")
    const esm = await import(`${packageDir}/dist/index.js`)
    assert.strictEqual(typeof cjs.createAgent, "function")
    assert.strictEqual(typeof esm.createAgent, "function")
    const script = `
      const { DateTime, Effect, Schema } = require("effect")
      const core = require("./dist/index.cjs")
      const { Fixtures, TestKit } = require("./dist/testing.cjs")
      const program = Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agent = yield* core.createAgent(core.Actor.user(world.owner),
          Schema.decodeUnknownSync(core.AgentCreate)({ board_id: world.board.id, name: "Built" }))
        const error = yield* core.getAgent(world.reader, agent.id).pipe(Effect.flip)
        const shown = core.computedStatus(agent, yield* DateTime.now)
        return [shown, error._tag, core.httpStatus[error._tag]].join(" ")
      })
      Effect.runPromise(program.pipe(Effect.provide(TestKit.layer()))).then((out) => process.stdout.write(out))
    `
    const output = execFileSync(process.execPath, ["-e", script], { cwd: packageDir, encoding: "utf8" })
    assert.strictEqual(output, "provisioning Forbidden 403")
    assert.strictEqual(typeof cjsTesting.TestKit.layer, "function")
  })
})
