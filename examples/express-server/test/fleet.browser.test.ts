// The fleet page in a real browser: headless Chromium (Debian's `chromium`) driven by puppeteer-core, against the
// example server started as a user starts it, with the Acme organization on a gateway simulator this test holds (to
// make one agent's provisioning fail). It signs in, sees the seeded agents, sees a heartbeat turn the lead online
// without a reload, sees a stuck agent's provision error, runs a template sync to 100 %, and takes the README's
// screenshot (docs/images/fleet.png with UPDATE_SCREENSHOT=1).
import { assert, describe, it } from "@effect/vitest"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import type { ChildProcessByStdio } from "node:child_process"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import type { Browser, Page } from "puppeteer-core"
import puppeteer from "puppeteer-core"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))
// The README's screenshot is refreshed with UPDATE_SCREENSHOT=1; other runs save theirs to the temp directory, so a
// test run leaves the tree as it was.
const screenshotPath = process.env["UPDATE_SCREENSHOT"] === "1"
  ? fileURLToPath(new URL("../../../docs/images/fleet.png", import.meta.url))
  : join(tmpdir(), "mission-control-fleet.png")

/** CHROMIUM_PATH, else the first Chromium or Chrome on PATH. */
const findChromium = (): string | undefined => {
  const explicit = process.env["CHROMIUM_PATH"]?.trim()
  if (explicit !== undefined && explicit !== "") return existsSync(explicit) ? explicit : undefined
  const names = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"]
  for (const folder of (process.env["PATH"] ?? "").split(delimiter)) {
    for (const name of names) {
      if (folder !== "" && existsSync(join(folder, name))) return join(folder, name)
    }
  }
  return undefined
}

const chromium = findChromium()
const inCi = process.env["CI"] === "true"
const noChromium = "No Chromium found for the fleet page's browser test: install Debian's package " +
  "(`apt-get install -y chromium`; .ci/run does) or set CHROMIUM_PATH to a Chromium or Chrome binary."

interface ReadyLine {
  readonly url: string
  readonly organizations: ReadonlyArray<{
    readonly name: string
    readonly users: { readonly owner: { readonly token: string } }
    readonly board: { readonly id: string }
    readonly gateway: { readonly id: string }
    readonly lead: { readonly id: string; readonly token: string | null }
  }>
}

/** Starts the example as its own test does (its sources through tsx, a free port) and reads its ready line. */
const startExample = (env: Readonly<Record<string, string>>) => {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn("npx", ["tsx", "src/main.ts"], {
    cwd: exampleDir,
    env: { ...process.env, PORT: "0", DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  })
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGTERM")
    } catch {}
  }
  const ready = new Promise<ReadyLine>((resolve, reject) => {
    let stdout = ""
    let output = ""
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s: ${output}`)), 60_000)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      output += chunk
      const newline = stdout.indexOf("\n")
      if (newline < 0) return
      clearTimeout(timer)
      try {
        resolve(JSON.parse(stdout.slice(0, newline)) as ReadyLine)
      } catch {
        reject(new Error(`not a ready line: ${stdout.slice(0, newline)}`))
      }
    })
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`example exited with ${code}: ${output}`))
    })
  })
  return { ready, stop }
}

const launchChromium = (executablePath: string): Promise<Browser> =>
  puppeteer.launch({
    executablePath,
    headless: true,
    timeout: 30_000,
    args: [
      "--no-sandbox", // CI runs as root
      "--disable-dev-shm-usage",
      // Loopback only: the page needs nothing else, and the browser may reach nothing else.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--no-proxy-server"
    ]
  })

const rowOf = (agentId: string) => `tr[data-agent-id="${agentId}"]`

const statusOf = (page: Page, agentId: string) =>
  page.$eval(`${rowOf(agentId)} .status`, (status) => status.textContent)

describe.skipIf(chromium === undefined && !inCi)("the fleet page in headless Chromium", () => {
  it("shows the agents live, a stuck agent's provision error and a template sync's progress", {
    timeout: 150_000
  }, async () => {
    if (chromium === undefined) return assert.fail(noChromium)
    const startedAt = Date.now()
    const simulator = await startGatewaySimulator({
      reloadDelayMs: 100,
      token: `simulator-${globalThis.crypto.randomUUID().replace(/-/g, "")}`
    })
    const example = startExample({ GATEWAY_URL: simulator.url, GATEWAY_TOKEN: simulator.token ?? "" })
    let browser: Browser | undefined
    try {
      const [info, launched] = await Promise.all([example.ready, launchChromium(chromium)])
      browser = launched
      const acme = info.organizations.find((organization) => organization.name === "Acme")
      if (acme === undefined) return assert.fail(`no Acme organization in the ready line: ${JSON.stringify(info)}`)
      const leadToken = acme.lead.token
      if (leadToken === null) return assert.fail("the ready line has no token for Acme's lead")
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${info.url}/api/v1${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${acme.users.owner.token}`,
            "content-type": "application/json",
            ...init.headers
          },
          signal: AbortSignal.timeout(20_000)
        })

      const page = await browser.newPage()
      page.setDefaultTimeout(15_000)
      const pageErrors: Array<string> = []
      const refusedRequests: Array<string> = []
      page.on("pageerror", (error) => pageErrors.push(String(error)))
      page.on("response", (response) => {
        if (response.status() >= 400) {
          refusedRequests.push(
            `${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`
          )
        }
      })
      await page.setViewport({ width: 1180, height: 760 })
      await page.goto(`${info.url}/`, { waitUntil: "load" })

      // Signs in with the labelled field: a token the server does not know is refused, the seed's Acme owner's is not.
      const signIn = async (token: string) => {
        await page.locator("::-p-aria(Owner token)").fill(token)
        await page.locator("::-p-aria([name=\"Sign in\"][role=\"button\"])").click()
      }
      await signIn("user-not-a-token")
      await page.waitForFunction(() =>
        document.getElementById("sign-in-error")?.textContent?.startsWith("Sign-in refused")
      )
      await signIn(acme.users.owner.token)
      await page.waitForSelector(rowOf(acme.lead.id))
      const seeded = (await (await api(`/agents?gateway_id=${acme.gateway.id}`)).json()) as {
        readonly items: ReadonlyArray<{ readonly id: string; readonly name: string; readonly status: string }>
      }
      assert.strictEqual(seeded.items.length, 2) // the board's lead and the gateway's own agent
      for (const agent of seeded.items) assert.strictEqual(await statusOf(page, agent.id), agent.status)
      assert.strictEqual(await statusOf(page, acme.lead.id), "provisioning") // never seen yet
      const loadedAt = await page.evaluate(() => performance.timeOrigin)

      // A heartbeat through the API: the page shows the lead online from the stream, no reload.
      const lead = seeded.items.find((agent) => agent.id === acme.lead.id)!
      const heartbeat = await fetch(`${info.url}/api/v1/agent/heartbeat`, {
        method: "POST",
        headers: { "x-agent-token": leadToken, "content-type": "application/json" },
        body: JSON.stringify({ name: lead.name, status: "online" }),
        signal: AbortSignal.timeout(20_000)
      })
      assert.strictEqual(heartbeat.status, 200)
      await page.waitForFunction(
        (selector) => document.querySelector(selector)?.textContent === "online",
        {},
        `${rowOf(acme.lead.id)} .status`
      )
      assert.strictEqual(await page.evaluate(() => performance.timeOrigin), loadedAt)
      await page.waitForFunction(() => document.getElementById("connection")?.dataset["state"] === "live")
      assert.include(await page.$eval("#announcements", (region) => region.textContent), "is now online")

      // An agent whose provisioning the gateway refuses: the page shows its last provision error.
      simulator.configure({
        faults: [{ method: "agents.create", kind: "error", message: "workspace quota exceeded", retryable: false }]
      })
      const refused = await api("/agents", {
        method: "POST",
        body: JSON.stringify({ board_id: acme.board.id, name: "Scout" })
      })
      simulator.configure({ faults: [] })
      assert.strictEqual(refused.status, 502)
      const stuck = (await (await api(`/agents?board_id=${acme.board.id}`)).json()) as {
        readonly items: ReadonlyArray<{ readonly id: string; readonly name: string }>
      }
      const scout = stuck.items.find((agent) => agent.name === "Scout")
      assert.isDefined(scout)
      await page.waitForFunction(
        (selector) => document.querySelector(selector)?.textContent?.includes("workspace quota exceeded") === true,
        {},
        `${rowOf(scout!.id)} .provision-error`
      )

      // A template sync from the page: the bar follows the sync's progress events to 100 %.
      const gateway = `[data-gateway-id="${acme.gateway.id}"]`
      await page.locator(`${gateway} ::-p-aria([name="Sync templates"][role="button"])`).click()
      await page.waitForFunction(
        (section) => {
          const bar = document.querySelector<HTMLProgressElement>(`${section} progress`)
          const status = document.querySelector(`${section} [role="status"]`)
          return bar !== null && bar.max > 1 && bar.value === bar.max &&
            status?.textContent?.startsWith("Sync done") === true
        },
        {},
        gateway
      )
      const bar = await page.$eval(`${gateway} progress`, (progress) => ({ value: progress.value, max: progress.max }))
      assert.deepStrictEqual(bar, { value: 3, max: 3 }) // the gateway's agent, the lead and Scout
      assert.strictEqual(await page.$eval(`${gateway} .percent`, (percent) => percent.textContent), "100 %")

      mkdirSync(dirname(screenshotPath), { recursive: true })
      await page.screenshot({ path: screenshotPath as `${string}.png`, fullPage: true })
      assert.deepStrictEqual(pageErrors, [])
      assert.deepStrictEqual(refusedRequests, ["GET /api/v1/gateways 401"]) // the unknown token, and nothing else
      console.log(`fleet page in Chromium: ${Date.now() - startedAt} ms (screenshot: ${screenshotPath})`)
    } finally {
      await browser?.close()
      example.stop()
      await simulator.stop()
    }
  })
})
