// Setup of the "core on Postgres" run: each test file gets one database, dropped when the file is done.
import { afterAll } from "vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"

afterAll(closeSharedTestDatabase)
